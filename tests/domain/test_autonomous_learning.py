"""Learning without an operator, end to end through HTTP: moderators' decisions retrain the model, the challenger is
judged on the site's newest decisions and promoted, the service scores with it; an admin rolls it back.

Real database, real classifier: the challenger trains on the seed corpus plus the decisions (no corpora), in seconds.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from service.settings import Settings
from tests.commands import run_cli
from tests.conftest import add_moderator, build_app
from tests.replies import reply

# Enough decisions for the newest 30 held out to hold 10 of each class (classifier/site_compare.py).
DECISIONS = 80
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PLACES = ["the library", "the town hall", "the old school", "the community centre", "Mill Street cafe"]
TOPICS = ["the budget vote", "the bridge repairs", "the new hospital", "the school closures", "the bus timetable"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _club(n: int) -> str:
    """What this site's moderators call spam, and the default model does not: a local club's advertising."""
    return (f"The Riverside chess club meets {DAYS[n % 7]} at {PLACES[n % 5]}; new members welcome, "
            f"first game free (notice {n}).")  # fmt: skip


def _fine(n: int) -> str:
    """An ordinary reply, now and then naming the same days and places."""
    return (f"I was at {PLACES[(n + 2) % 5]} on {DAYS[(n + 3) % 7]} and read your piece on {TOPICS[n % 5]}; "
            f"point {n} deserves a follow-up.")  # fmt: skip


def _spam_score(client: TestClient[Any], headers: dict[str, str], article: str, body: str) -> tuple[float, str]:
    created = client.post(f"/api/v1/articles/{article}/comments", json=reply(body, email=f"{article}@example.org"))
    assert created.status_code == 201, created.text
    item = client.get(f"/api/v1/moderation/comments/{created.json()['id']}", headers=headers).json()
    return float(item["spam_score"]), str(item["model_version"])


def _decide(client: TestClient[Any], headers: dict[str, str], body: str, n: int, **decision: str) -> None:
    created = client.post(f"/api/v1/articles/club-{n % 4}/comments", json=reply(body, email=f"r{n}@example.org"))
    assert created.status_code == 201, created.text
    url = f"/api/v1/moderation/comments/{created.json()['id']}/decision"
    assert client.post(url, json=decision, headers=headers).status_code == 200


def _wait_for_model(client: TestClient[Any], version: str) -> None:
    deadline = time.monotonic() + 30  # a bound on waiting, not a speed claim
    while client.get("/ready").json()["model"] != version:
        assert time.monotonic() < deadline, f"the service never switched to {version}"
        time.sleep(0.1)


@pytest.fixture
def learning(settings: Settings) -> Settings:
    """The retraining job due after DECISIONS decisions, with no hourly spacing; triggered here by the worker."""
    return settings.with_overrides(
        retrain_after_decisions=DECISIONS, retrain_min_interval_minutes=0, auto_retrain=False, model_poll_seconds=0.1
    )


def test_moderators_decisions_retrain_and_promote_a_model_and_an_admin_rolls_it_back(
    learning: Settings, model_dir: Path
) -> None:
    env = {"REPLYGUARD_DATABASE_URL": learning.database_url, "REPLYGUARD_MODEL_DIR": str(learning.model_dir),
           "REPLYGUARD_DATA_DIR": "", "REPLYGUARD_RETRAIN_AFTER_DECISIONS": str(DECISIONS),
           "REPLYGUARD_RETRAIN_MIN_INTERVAL_MINUTES": "0"}  # fmt: skip
    token = add_moderator(learning, "ada", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    probe = "Riverside chess club tonight, all welcome!"
    with TestClient(build_app(learning)) as client:
        before, version = _spam_score(client, headers, "probe-before", probe)
        assert version == model_dir.name

        for n in range(DECISIONS // 2):  # interleaved, so the newest decisions hold both kinds
            _decide(client, headers, _club(n), 2 * n, action="reject", reason="spam")
            if n == 0:
                early = run_cli("worker", "--once", env=env)
                assert early.returncode == 0 and "no retraining due" in early.stdout, early.stderr
            _decide(client, headers, _fine(n), 2 * n + 1, action="approve")

        done = run_cli("worker", "--once", env=env)
        assert done.returncode == 0, done.stderr
        outcome = json.loads(done.stdout)
        assert outcome["champion"] == model_dir.name
        assert outcome["site_held_out"] == 30 and outcome["moderator_labels"] == DECISIONS - 30
        site = outcome["site_comparison"]
        assert site["decided"] is True and site["heads"]["spam"]["comparable"] is True
        assert outcome["promoted"] is True, outcome["why"]
        challenger = outcome["challenger"]
        assert challenger != model_dir.name

        # The running service switches to it (registry poll) and scores the club's notices as the moderators taught.
        _wait_for_model(client, challenger)
        after, version = _spam_score(client, headers, "probe-after", probe)
        assert version == challenger
        assert after > before + 0.2, (before, after)
        # Nothing new to learn from: the next round is not due.
        assert "no retraining due" in run_cli("worker", "--once", env=env).stdout

        listed = json.loads(run_cli("model", "list", "--json", env=env).stdout)
        latest = listed["activations"][0]
        assert (latest["action"], latest["by"], latest["from"], latest["to"]) == (
            "register", "auto", model_dir.name, challenger)  # fmt: skip
        learned = next(v for v in listed["versions"] if v["version"] == challenger)
        assert learned["on_site"]["roc_auc"]["spam"] > learned["champion_on_site"]["roc_auc"]["spam"] - 0.01

        # An admin rolls back from the console: the old model is active again and scores new replies.
        form = client.get("/console/sign-in")
        signed = client.post("/console/sign-in", data={"token": token, "csrf_token": CSRF.search(form.text)[1]})  # type: ignore[index]
        assert signed.status_code == 200, signed.text[:300]
        page = client.get("/console/model")
        assert challenger in page.text and f"Roll back to {model_dir.name}" in page.text
        csrf = CSRF.search(page.text)[1]  # type: ignore[index]
        rolled = client.post("/console/model/rollback", data={"csrf_token": csrf}, follow_redirects=False)
        assert rolled.status_code == 303, rolled.text[:300]
        assert "Rolled back" in client.get(rolled.headers["location"]).text
        _wait_for_model(client, model_dir.name)
        again, version = _spam_score(client, headers, "probe-rolled-back", probe)
        assert version == model_dir.name
        assert abs(again - before) < 1e-9
        latest = json.loads(run_cli("model", "list", "--json", env=env).stdout)["activations"][0]
        assert (latest["action"], latest["by"], latest["to"]) == ("rollback", "console: ada", model_dir.name)


def test_the_running_service_retrains_by_itself(settings: Settings, model_dir: Path) -> None:
    """The in-process job (REPLYGUARD_AUTO_RETRAIN) notices the decisions and runs a round on its own."""
    quick = settings.with_overrides(
        auto_retrain=True, retrain_after_decisions=20, retrain_min_interval_minutes=0, retrain_check_seconds=0.2
    )
    headers = {"Authorization": f"Bearer {add_moderator(quick, 'bo')}"}
    env = {"REPLYGUARD_DATABASE_URL": quick.database_url}
    with TestClient(build_app(quick)) as client:
        for n in range(10):
            _decide(client, headers, _club(n), 2 * n, action="reject", reason="spam")
            _decide(client, headers, _fine(n), 2 * n + 1, action="approve")
        deadline = time.monotonic() + 120  # a bound on waiting: spawning the child and training take seconds
        while True:
            versions = json.loads(run_cli("model", "list", "--json", env=env).stdout)["versions"]
            if len(versions) == 2:
                break
            assert time.monotonic() < deadline, "the service never retrained"
            time.sleep(0.5)
    learned = versions[-1]
    assert learned["moderator_labels"] + learned["site_held_out"] == 20
    assert learned["verdict"]  # judged: on the site's decisions or, with these few, on the corpora's held-out rows
