"""Emails never leave through public responses or logs, including failure paths."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from service.settings import Settings
from service.storage import outbox as outbox_store
from service.storage.database import opened
from service.storage.tables import outbox
from service.web.logs import JsonFormatter, redact
from tests.conftest import SITE, build_app
from tests.replies import POLITE, SPAM, reply

TAGGED = "tagged.private.7731@example.org"


def _public_answers(client: TestClient[Any], url: str, email: str) -> list[httpx.Response]:
    """Every public path a submission can take with `email` in it, failures included."""
    local = email.split("@")[0]
    first = client.post(url, json=reply(POLITE[0], email=email), headers={"Idempotency-Key": "privacy-1"})
    answers = [
        first,
        client.post(url, json=reply(POLITE[0], email=email), headers={"Idempotency-Key": "privacy-1"}),  # replay
        client.post(url, json=reply(POLITE[1], email=email), headers={"Idempotency-Key": "privacy-1"}),  # 409
        client.post(url, json=reply(SPAM[0], email=email)),
        client.post(url, json=reply(POLITE[0], email=email)),  # a duplicate, held
        client.post(url, json=reply("", email=email)),  # 422 beside a valid address
        client.post(url, data=reply(POLITE[1], email=email)),  # plain form post
        client.post(
            url, data={**reply(POLITE[2], email=email), "return_to": f"{SITE}/a"}, follow_redirects=False
        ),  # 303
        client.post(url, json=reply(POLITE[2], email=email + "@")),  # 422 on the address itself
        client.post(url, json=reply(POLITE[2], email=f"{local} @example.org")),
        client.post(url, json=reply(POLITE[2], email=local + "@" + "x" * 300 + ".org")),
        client.post(url, json={**reply(POLITE[2], email=email), "name": None}),
        client.post(url, json=[email]),  # 400: not an object
        client.post(
            url, content=f'{{"email": "{email}", "body": '.encode(), headers={"Content-Type": "application/json"}
        ),
        client.post(url, content=email.encode(), headers={"Content-Type": "text/plain"}),  # 415
        client.post(url, json=reply("x" * 70_000, email=email)),  # 413
        client.post(f"/api/v1/articles/{local}!/comments", json=reply(POLITE[3], email=email)),  # bad article id
        client.post(url, json=reply(POLITE[3], email=email, parent_id=email)),  # bad parent
        client.get(url),
        client.get(f"{url}/count"),
        client.get(f"{url}/{first.json()['id']}"),
        client.get(f"{url}/01a22701-65fb-7a4c-af9c-a672c98f2501"),  # 404
        client.get("/metrics"),
        client.get("/ready"),
    ]
    answers += [client.post(url, json=reply(f"{POLITE[4]} {n}", email=email)) for n in range(6)]  # to the 429
    return answers


@pytest.fixture
def limited_client(settings: Settings) -> Iterator[TestClient[Any]]:
    """A client of a service with its rate limits on. Started before the test's log capture begins, as
    Litestar's start-up sets up logging again."""
    with TestClient(build_app(settings.with_overrides(rate_limit_enabled=True, submit_limit_per_email=12))) as client:
        yield client


def test_no_email_in_any_public_answer_or_log_line(
    limited_client: TestClient[Any], caplog: pytest.LogCaptureFixture, moderator_headers: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    url = "/api/v1/articles/privacy/comments"
    answers = _public_answers(limited_client, url, TAGGED)
    statuses = {answer.status_code for answer in answers}
    assert {200, 201, 303, 400, 404, 409, 413, 415, 422, 429} <= statuses, sorted(statuses)
    # The moderation side shows moderators the address (the contract's queue item); nothing else does.
    assert TAGGED in limited_client.get("/api/v1/moderation/queue", headers=moderator_headers).text
    local = TAGGED.split("@")[0]
    for answer in answers:
        assert local not in answer.text, (answer.request.method, answer.request.url, answer.status_code)
        assert all(local not in value for value in answer.headers.values())
    formatter = JsonFormatter()
    # The test client's own log lines (httpx) are not the service's.
    lines = [formatter.format(record) for record in caplog.records if not record.name.startswith("httpx")]
    assert lines  # the service did log during the walk (how much differs by database: the scan is what counts)
    assert [line for line in lines if local in line] == []
    print(f"privacy: {len(answers)} public answers ({len(statuses)} statuses) and {len(lines)} log lines, no address")


def test_redaction_removes_addresses_from_log_lines() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s failed", (TAGGED,), None)
    assert TAGGED not in JsonFormatter().format(record)
    assert redact(f"mail {TAGGED} now") == "mail [email] now"


def _events(settings: Any) -> list[Any]:
    import asyncio

    from sqlalchemy import select

    from service.storage.database import opened
    from service.storage.tables import privacy_events

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
    # Nothing of the erased text is left, not even the duplicate check's hash: the same words again are new.
    assert client.post(url, json=reply(POLITE[0], email="someone.new@example.org")).json()["status"] == "published"


def test_privacy_operations_need_the_admin_role(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    for path in ("/api/v1/admin/privacy/export", "/api/v1/admin/privacy/erase"):
        assert client.post(path, json={"email": TAGGED}).status_code == 401
        assert client.post(path, json={"email": TAGGED}, headers=moderator_headers).status_code == 403


def test_purge_deletes_old_rejected_replies_only(
    client: TestClient[Any], moderator_headers: dict[str, str], settings: Any
) -> None:
    from tests.commands import run_cli

    url = "/api/v1/articles/retention/comments"
    kept = client.post(url, json=reply(POLITE[0])).json()
    rejected = client.post(url, json=reply(POLITE[1])).json()
    client.post(
        f"/api/v1/moderation/comments/{rejected['id']}/decision",
        json={"action": "reject", "reason": "other"},
        headers=moderator_headers,
    )
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    assert "purged 0" in run_cli("purge", env=env).stdout  # 90 days by default: nothing is that old
    done = run_cli("purge", "--rejected-older-than-days", "0", env=env)
    assert done.returncode == 0 and "purged 1" in done.stdout, done.stderr
    assert client.get(f"/api/v1/moderation/comments/{rejected['id']}", headers=moderator_headers).status_code == 404
    assert client.get(f"/api/v1/moderation/comments/{kept['id']}", headers=moderator_headers).status_code == 200


def test_purge_deletes_finished_outbox_messages_after_their_retention_and_never_pending_ones(
    settings: Settings,
) -> None:
    from tests.commands import run_cli

    now = datetime.now(UTC)
    old, recent = now - timedelta(days=30), now - timedelta(days=1)
    messages = {
        "sent long ago": ("sent", old),
        "dead long ago": ("dead", old),
        "skipped long ago": ("skipped", old),
        "pending long ago": ("pending", old),
        "sent yesterday": ("sent", recent),
    }
    rows = [
        {
            "id": uuid.uuid4(), "channel": "email", "event": "email.reply_published", "recipient": TAGGED,
            "payload": {"label": label}, "status": status, "next_attempt_at": changed, "created_at": changed,
            "updated_at": changed,
        }
        for label, (status, changed) in messages.items()
    ]  # fmt: skip

    async def insert() -> None:
        async with opened(settings) as db, db.write() as conn:
            await outbox_store.insert_messages(conn, rows)

    async def left() -> set[str]:
        async with opened(settings) as db, db.read() as conn:
            return {row.payload["label"] for row in (await conn.execute(select(outbox))).all()}

    asyncio.run(insert())
    done = run_cli("purge", env={"REPLYGUARD_DATABASE_URL": settings.database_url})
    assert done.returncode == 0 and "purged 3 delivered, dead or skipped outbox messages" in done.stdout, done.stderr
    assert asyncio.run(left()) == {"pending long ago", "sent yesterday"}
