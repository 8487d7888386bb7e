"""The `replyguard` command as an operator runs it: score, moderator add, migrate.

Most run `service.cli.main` in this process (tests/commands.py); two run the installed console script and
`python -m service.cli` as child processes, proving what an operator types is wired to the same command."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from tests.classifier.test_relevance import needs_extra
from tests.commands import run_cli, run_installed_cli
from tests.replies import ABUSIVE, POLITE, SPAM
from tests.scoring.test_relevance import PROMOTION, REGISTERED, RUDE, RUDE_GERMAN


def test_score_writes_one_line_per_input_in_order(model_dir: Path, tmp_path: Path) -> None:
    lines = [
        {"body": POLITE[0], "name": "Ana", "email": "ana@example.org"},
        {"body": SPAM[0], "website": "http://pills.example"},
        {"body": ABUSIVE[0], "article_title": "Budget", "parent_body": "I agree"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    env = {"REPLYGUARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db"}
    # The installed `replyguard` script, reading a real pipe and writing another.
    done = run_installed_cli("score", "--model-dir", str(model_dir), env=env, stdin=stdin)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 3
    # A line naming its article's title may also carry what relevance did to its spam score, and an English line what
    # the abuse head's second opinion did to its abuse score (with the relevance extra).
    assert all(set(o) - {"relevance", "abuse_opinion"} == {"spam_score", "abuse_score", "model_version"} for o in out)
    assert out[0]["spam_score"] < out[1]["spam_score"]
    assert out[0]["abuse_score"] < out[2]["abuse_score"]
    assert "ana@example.org" not in done.stderr


def test_score_reports_a_bad_line_and_keeps_going(model_dir: Path, tmp_path: Path) -> None:
    env = {"REPLYGUARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db"}
    done = run_cli("score", "--model-dir", str(model_dir), env=env, stdin='not json\n{"body": "fine"}\n')
    assert done.returncode == 1
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert "error" in out[0] and "spam_score" in out[1]


def test_moderator_add_prints_a_token_that_works(settings: Any, client: TestClient[Any]) -> None:
    done = run_cli(
        "moderator", "add", "alice", "--role", "admin", env={"REPLYGUARD_DATABASE_URL": settings.database_url}
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("rg_")
    response = client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_moderator_add_with_an_expiry(settings: Any, client: TestClient[Any]) -> None:
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    done = run_cli("moderator", "add", "temp", "--expires-in-days", "7", env=env)
    token = done.stdout.strip().splitlines()[-1]
    assert client.get("/api/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    refused = run_cli("moderator", "add", "never", "--expires-in-days", "0", env=env)
    assert refused.returncode == 2 and "at most 3650 days" in refused.stderr


def test_unknown_setting_is_refused_clearly(tmp_path: Path) -> None:
    done = run_installed_cli("migrate", env={"REPLYGUARD_DATABSE_URL": "typo"}, as_module=True)
    assert done.returncode == 2
    assert "REPLYGUARD_DATABSE_URL" in done.stderr


def test_train_registers_a_model_that_score_and_serve_use(tmp_path: Path) -> None:
    env = {
        "REPLYGUARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/train.db",
        "REPLYGUARD_MODEL_DIR": str(tmp_path / "models"),
    }
    empty = tmp_path / "no-corpora"
    empty.mkdir()
    trained = run_cli("train", "--data-dir", str(empty), env=env)
    assert trained.returncode == 0, trained.stderr
    version = trained.stdout.split("model ")[1].split()[0]
    assert (tmp_path / "models" / version / "card.json").is_file()
    scored = run_cli("score", "--model", version, env=env, stdin=json.dumps({"body": POLITE[0]}) + "\n")
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["model_version"] == version
    active = run_cli("score", env=env, stdin=json.dumps({"body": POLITE[1]}) + "\n")
    assert json.loads(active.stdout)["model_version"] == version


def test_score_with_an_unknown_version_says_so(tmp_path: Path) -> None:
    env = {"REPLYGUARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    assert run_cli("migrate", env=env).returncode == 0
    done = run_cli("score", "--model", "19990101-000000000000", env=env, stdin="")
    assert done.returncode != 0
    assert "19990101-000000000000" in done.stderr


def test_moderator_revoke_stops_the_token_within_a_second(settings: Any, client: TestClient[Any]) -> None:
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    token = run_cli("moderator", "add", "bob", env=env).stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/moderation/queue", headers=headers).status_code == 200
    revoked_at = time.monotonic()
    assert run_cli("moderator", "revoke", "bob", env=env).returncode == 0
    # The server kept the token's moderator for REPLYGUARD_MODERATION_CACHE_SECONDS (1 s), no longer.
    while client.get("/api/v1/moderation/queue", headers=headers).status_code != 401:
        assert time.monotonic() - revoked_at < settings.moderation_cache_seconds + 1, "the revoked token still works"
        time.sleep(0.05)
    assert run_cli("moderator", "revoke", "bob", env=env).returncode == 1


def test_evaluate_writes_a_report_with_plots(model_dir: Path, tmp_path: Path) -> None:
    from tests.classifier.fake_corpora import write_fake_corpora

    data = write_fake_corpora(tmp_path / "corpora")
    env = {"REPLYGUARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e.db"}
    done = run_cli(
        "evaluate", "--model-dir", str(model_dir), "--data-dir", str(data), "--quick", "--report", str(tmp_path / "r"),
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert {"spam", "abuse"} <= set(json.dumps(report).split('"')) and (tmp_path / "r" / "index.html").is_file()
    assert list((tmp_path / "r").glob("*.png"))


@needs_extra
def test_score_adjusts_by_relevance_when_a_line_names_its_article(model_dir: Path, tmp_path: Path) -> None:
    promotion = {"body": PROMOTION, "name": "Kim", "email": "kim@example.org"}
    titled = {**promotion, "article_title": REGISTERED["title"], "article_url": REGISTERED["url"]}
    stdin = "\n".join(json.dumps(line) for line in (promotion, titled)) + "\n"
    env = {"REPLYGUARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db"}
    done = run_cli("score", "--model-dir", str(model_dir), env=env, stdin=stdin)
    assert done.returncode == 0, done.stderr
    alone, adjusted = (json.loads(line) for line in done.stdout.splitlines())
    assert "relevance" not in alone
    # The figures as the service's decision record keeps them (classifier.relevance_shift.RelevanceScores.figures).
    assert adjusted["relevance"]["trained_spam_score"] == round(alone["spam_score"], 4)
    assert adjusted["relevance"]["link_leaves_site"] is True
    assert adjusted["spam_score"] > alone["spam_score"]
    off = run_cli("score", "--model-dir", str(model_dir), env={**env, "REPLYGUARD_RELEVANCE": "off"}, stdin=stdin)
    assert [json.loads(line)["spam_score"] for line in off.stdout.splitlines()] == [alone["spam_score"]] * 2


@needs_extra
def test_score_asks_relevance_only_inside_the_effective_thresholds_as_the_service_does(
    model_dir: Path, tmp_path: Path
) -> None:
    """The cascade's band ends at the reject threshold the service decides with (policy and overrides), not the card's
    default: a reply the operator's thresholds reject outright is not adjusted (the service asks in_uncertain_band
    with ScoringState.thresholds, the same decision_thresholds)."""
    promotion = {"body": PROMOTION, "name": "Kim", "email": "kim@example.org"}
    titled = {**promotion, "article_title": REGISTERED["title"], "article_url": REGISTERED["url"]}
    stdin = "\n".join(json.dumps(line) for line in (promotion, titled)) + "\n"
    env = {"REPLYGUARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db"}
    alone, adjusted = (json.loads(line) for line in run_cli("score", "--model-dir", str(model_dir), env=env,
                                                            stdin=stdin).stdout.splitlines())  # fmt: skip
    assert "relevance" in adjusted  # under the card's thresholds the reply is in the band
    trained = alone["spam_score"]
    # A reject threshold just below the reply's trained score (and a hold below that): rejected whatever relevance says.
    lowered = {**env, "REPLYGUARD_SPAM_HOLD_THRESHOLD": str(round(trained / 2, 4)),
               "REPLYGUARD_SPAM_REJECT_THRESHOLD": str(round(trained - 0.01, 4))}  # fmt: skip
    done = run_cli("score", "--model-dir", str(model_dir), env=lowered, stdin=stdin)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert "relevance" not in out[1]
    assert out[1]["spam_score"] == trained


@needs_extra
def test_score_asks_the_abuse_opinion_about_an_uncertain_english_line_as_the_service_does(
    model_dir: Path, tmp_path: Path
) -> None:
    lines = [{"body": RUDE}, {"body": RUDE_GERMAN}]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    env = {"REPLYGUARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db"}
    done = run_cli("score", "--model-dir", str(model_dir), env=env, stdin=stdin)
    assert done.returncode == 0, done.stderr
    english, german = (json.loads(line) for line in done.stdout.splitlines())
    off = run_cli("score", "--model-dir", str(model_dir), env={**env, "REPLYGUARD_RELEVANCE": "off"}, stdin=stdin)
    alone = [json.loads(line) for line in off.stdout.splitlines()]
    # The figures as the service's decision record keeps them (classifier.abuse_opinion.OpinionScores.figures).
    assert english["abuse_opinion"]["trained_abuse_score"] == round(alone[0]["abuse_score"], 4)
    assert english["abuse_score"] != alone[0]["abuse_score"]
    assert "abuse_opinion" not in german and german["abuse_score"] == alone[1]["abuse_score"]
