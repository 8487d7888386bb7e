"""A model that is missing, corrupt or raising: replies wait for a person, /ready says why, nothing is published."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import update

from classifier import Scores, Submission
from service.scoring.health import FAILING_AFTER
from service.settings import Settings
from service.storage.database import opened
from service.storage.tables import model_versions
from tests.conftest import build_app
from tests.replies import POLITE, reply

URL = "/api/v1/articles/model-faults/comments"


def _point_active_model_at(settings: Settings, path: Path) -> None:
    async def move() -> None:
        async with opened(settings) as db, db.write() as conn:
            await conn.execute(update(model_versions).where(model_versions.c.active.is_(True)).values(path=str(path)))

    asyncio.run(move())


def _reasons(client: TestClient[Any], comment_id: str, headers: dict[str, str]) -> list[str]:
    item = client.get(f"/api/v1/moderation/comments/{comment_id}", headers=headers).json()
    assert item["status"] == "pending"
    return [reason["code"] for reason in item["reasons"]]


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage"])
def test_a_damaged_artifact_at_start_up_leaves_replies_pending(
    settings: Settings, model_dir: Path, tmp_path: Path, moderator_headers: dict[str, str], damage: str
) -> None:
    copy = tmp_path / "damaged-model"
    shutil.copytree(model_dir, copy)
    artifact = copy / "model.skops"
    if damage == "missing":
        artifact.unlink()
    elif damage == "truncated":
        artifact.write_bytes(artifact.read_bytes()[: artifact.stat().st_size // 2])
    else:
        artifact.write_bytes(b"PK\x03\x04 not a model at all")
    _point_active_model_at(settings, copy)
    with TestClient(build_app(settings)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["model_loaded"] is False
        assert "cannot be loaded" in ready.json()["model"]
        answers = [client.post(URL, json=reply(body, email=f"r{n}@example.org")) for n, body in enumerate(POLITE[:3])]
        assert [answer.status_code for answer in answers] == [201, 201, 201]
        for answer in answers:
            assert answer.json()["status"] == "pending"
            assert _reasons(client, answer.json()["id"], moderator_headers) == ["model_unavailable"]
        assert client.get(f"{URL}/count").json()["count"] == 0  # nothing published unchecked


def test_a_model_that_raises_holds_replies_and_fails_readiness_until_it_scores_again(
    client: TestClient[Any], moderator_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scoring = client.app.state.scoring
    real_score = scoring.scorer.score_many

    def broken(submissions: Sequence[Submission], explain: Any = True) -> list[Scores]:
        raise MemoryError("fault injected by the test")

    # Fault injection: the real model, made to raise on every reply.
    monkeypatch.setattr(scoring.scorer, "score_many", broken)
    answers = [client.post(URL, json=reply(f"{POLITE[0]} ({n})", email=f"f{n}@example.org")) for n in range(6)]
    assert all(answer.status_code == 201 and answer.json()["status"] == "pending" for answer in answers)
    assert _reasons(client, answers[0].json()["id"], moderator_headers) == ["model_unavailable"]
    ready = client.get("/ready")
    assert ready.status_code == 503 and ready.json()["model"].startswith("failing")
    assert ready.json()["scoring_failures"] >= FAILING_AFTER
    assert client.get(f"{URL}/count").json()["count"] == 0

    monkeypatch.setattr(scoring.scorer, "score_many", real_score)  # the fault clears
    assert client.get("/ready").status_code == 200  # the probe's trial reply scored
    healed = client.post(URL, json=reply(POLITE[1], email="healed@example.org"))
    assert healed.json()["status"] == "published"


def test_one_reply_that_trips_the_model_does_not_fail_readiness(
    client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    scoring = client.app.state.scoring
    real_score = scoring.scorer.score_many

    def trips_on_one(submissions: Sequence[Submission], explain: Any = True) -> list[Scores]:
        if any("trip" in submission.body for submission in submissions):
            raise ValueError("fault injected by the test")
        scores: list[Scores] = real_score(submissions, explain=explain)
        return scores

    monkeypatch.setattr(scoring.scorer, "score_many", trips_on_one)
    tripped = client.post(URL, json=reply("This reply will trip the model, sadly.", email="t@example.org"))
    assert tripped.json()["status"] == "pending"
    assert client.post(URL, json=reply(POLITE[2], email="u@example.org")).json()["status"] == "published"
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["scoring_failures"] == 1


def test_threshold_settings_that_do_not_fit_the_model_hold_replies_instead_of_failing(
    settings: Settings, moderator_headers: dict[str, str]
) -> None:
    # A hold threshold above the card's reject threshold: each setting is valid alone, the pair is not.
    misfit = settings.with_overrides(spam_hold_threshold=0.999, abuse_hold_threshold=0.999)
    with TestClient(build_app(misfit)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503 and "do not fit" in ready.json()["model"]
        answer = client.post(URL, json=reply(POLITE[0], email="misfit@example.org"))
        assert answer.status_code == 201 and answer.json()["status"] == "pending"
        assert _reasons(client, answer.json()["id"], moderator_headers) == ["model_unavailable"]
