"""Emails never leave through public responses or logs, including failure paths."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar.testing import TestClient

from service.logs import JsonFormatter, redact
from tests.replies import POLITE, SPAM, reply

TAGGED = "tagged.private.7731@example.org"


def test_no_email_in_any_public_answer_or_log_line(client: TestClient[Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = "/api/v1/articles/privacy/comments"
    answers = [
        client.post(url, json=reply(POLITE[0], email=TAGGED)),
        client.post(url, json=reply(SPAM[0], email=TAGGED)),
        client.post(url, json=reply("", email=TAGGED)),
        client.post(url, data=reply(POLITE[1], email=TAGGED)),
        client.post(url, json=reply(POLITE[2], email=TAGGED + "@")),
        client.get(url),
        client.get(f"{url}/count"),
    ]
    created = answers[0].json()
    answers.append(client.get(f"{url}/{created['id']}"))
    local = TAGGED.split("@")[0]
    for answer in answers:
        assert local not in answer.text
    formatter = JsonFormatter()
    for record in caplog.records:
        assert local not in formatter.format(record)


def test_redaction_removes_addresses_from_log_lines() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s failed", (TAGGED,), None)
    assert TAGGED not in JsonFormatter().format(record)
    assert redact(f"mail {TAGGED} now") == "mail [email] now"


def _events(settings: Any) -> list[Any]:
    import asyncio

    from sqlalchemy import select

    from service.database import opened
    from service.models import privacy_events

    async def load() -> list[Any]:
        async with opened(settings) as db, db.read() as conn:
            return list((await conn.execute(select(privacy_events))).all())

    return asyncio.run(load())


def test_export_gives_everything_stored_about_an_address(
    client: TestClient[Any], admin_headers: dict[str, str], settings: Any
) -> None:
    url = "/api/v1/articles/privacy/comments"
    mine = [client.post(url, json=reply(body, email="Owner@Example.org")).json()["id"] for body in (POLITE[0], SPAM[0])]
    client.post(url, json=reply(POLITE[1], email="someone@example.org"))
    response = client.post("/api/v1/admin/privacy/export", json={"email": "owner@example.org"}, headers=admin_headers)
    assert response.status_code == 200
    export = response.json()
    assert sorted(item["id"] for item in export["comments"]) == sorted(mine)
    assert all(item["decisions"] and item["email"] == "Owner@example.org" for item in export["comments"])
    events = _events(settings)
    assert [(e.action, e.comments_affected) for e in events] == [("export", 2)]
    assert "owner" not in repr(events).lower()


def test_erase_anonymises_in_place_and_is_audited_without_the_address(
    client: TestClient[Any], admin_headers: dict[str, str], settings: Any
) -> None:
    url = "/api/v1/articles/privacy/comments"
    parent = client.post(
        url, json=reply(POLITE[0], name="Owner Name", email=TAGGED, website="https://owner.example")
    ).json()
    client.post(url, json=reply(POLITE[1], parent_id=parent["id"]))
    response = client.post("/api/v1/admin/privacy/erase", json={"email": TAGGED}, headers=admin_headers)
    assert response.json() == {"comments_erased": 1}
    thread = client.get(url).json()
    assert thread["items"][0]["name"] == "[erased]" and thread["items"][0]["body"] == "[erased]"
    assert len(thread["items"][0]["replies"]) == 1  # the thread keeps its shape
    again = client.post("/api/v1/admin/privacy/export", json={"email": TAGGED}, headers=admin_headers).json()
    assert again["count"] == 0
    assert [(e.action, e.comments_affected) for e in _events(settings)] == [("erase", 1), ("export", 0)]


def test_privacy_operations_need_the_admin_role(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    for path in ("/api/v1/admin/privacy/export", "/api/v1/admin/privacy/erase"):
        assert client.post(path, json={"email": TAGGED}).status_code == 401
        assert client.post(path, json={"email": TAGGED}, headers=moderator_headers).status_code == 403


def test_purge_deletes_old_rejected_replies_only(
    client: TestClient[Any], moderator_headers: dict[str, str], settings: Any
) -> None:
    from tests.test_cli import _cli

    url = "/api/v1/articles/retention/comments"
    kept = client.post(url, json=reply(POLITE[0])).json()
    rejected = client.post(url, json=reply(POLITE[1])).json()
    client.post(
        f"/api/v1/moderation/comments/{rejected['id']}/decision",
        json={"action": "reject", "reason": "other"},
        headers=moderator_headers,
    )
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    assert "purged 0" in _cli("purge", env=env).stdout  # 90 days by default: nothing is that old
    done = _cli("purge", "--rejected-older-than-days", "0", env=env)
    assert done.returncode == 0 and "purged 1" in done.stdout, done.stderr
    assert client.get(f"/api/v1/moderation/comments/{rejected['id']}", headers=moderator_headers).status_code == 404
    assert client.get(f"/api/v1/moderation/comments/{kept['id']}", headers=moderator_headers).status_code == 200
