"""Moderators' decisions teach the classifier: labels from the database, a challenger, promotion only if not worse."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from service.domain.labels import moderator_labels
from service.settings import Settings
from service.storage.database import opened
from tests.commands import run_cli
from tests.replies import POLITE, SPAM, reply


def _decide(client: TestClient[Any], headers: dict[str, str], comment_id: str, **decision: Any) -> None:
    response = client.post(f"/api/v1/moderation/comments/{comment_id}/decision", json=decision, headers=headers)
    assert response.status_code == 200, response.text


def _labels(settings: Settings) -> list[Any]:
    async def load() -> list[Any]:
        async with opened(settings) as db, db.read() as conn:
            return await moderator_labels(conn)

    return asyncio.run(load())


def test_latest_moderator_decision_is_the_label_newest_first(
    client: TestClient[Any], settings: Settings, moderator_headers: dict[str, str]
) -> None:
    ham = client.post("/api/v1/articles/a/comments", json=reply(POLITE[0])).json()
    spam = client.post("/api/v1/articles/a/comments", json=reply(SPAM[0])).json()
    changed = client.post("/api/v1/articles/a/comments", json=reply(POLITE[1])).json()
    unsure = client.post("/api/v1/articles/a/comments", json=reply(POLITE[2])).json()
    _decide(client, moderator_headers, ham["id"], action="reject", reason="abuse")
    _decide(client, moderator_headers, ham["id"], action="approve")  # overrules the rejection
    _decide(client, moderator_headers, spam["id"], action="reject", reason="spam")
    _decide(client, moderator_headers, changed["id"], action="reject", reason="abuse")
    _decide(client, moderator_headers, unsure["id"], action="reject", reason="other")  # teaches nothing
    labels = _labels(settings)
    assert [(row.text, row.spam, row.abuse) for row in labels] == [
        (POLITE[1], None, 1),
        (SPAM[0], 1, None),
        (POLITE[0], 0, 0),
    ]
    assert labels[0].weight == 1.0 and labels[-1].weight == 0.5
    assert all(row.source == "moderators" for row in labels)


def test_train_compares_the_challenger_and_promotes_only_if_not_worse(
    client: TestClient[Any], settings: Settings, moderator_headers: dict[str, str], model_dir: Path, tmp_path: Path
) -> None:
    for body in SPAM:
        created = client.post("/api/v1/articles/b/comments", json=reply(body)).json()
        _decide(client, moderator_headers, created["id"], action="reject", reason="spam")
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url, "REPLYGUARD_MODEL_DIR": str(tmp_path / "models")}
    empty = tmp_path / "no-corpora"
    empty.mkdir()

    dry = run_cli("train", "--data-dir", str(empty), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout[: dry.stdout.rindex("}") + 1])
    assert report["moderator_labels"] == len(SPAM)
    assert report["comparison"]["champion"] == model_dir.name
    assert client.get("/ready").json()["model"] == model_dir.name  # nothing registered

    forced = run_cli("train", "--data-dir", str(empty), "--promote", env=env)
    assert forced.returncode == 0, forced.stderr
    promoted = json.loads(forced.stdout[: forced.stdout.rindex("}") + 1])
    assert promoted["promoted"] is True
    scored = run_cli("score", env=env, stdin=json.dumps({"body": POLITE[0]}) + "\n")
    assert json.loads(scored.stdout)["model_version"] == promoted["challenger"]
