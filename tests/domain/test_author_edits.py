"""Authors edit and delete their own reply within the window, with the token the submit answer gave (issue 15,
item 4). Through HTTP with the real model, on SQLite and (with REPLYGUARD_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import select

from service.settings import Settings
from service.storage.database import opened
from service.storage.tables import comment_revisions, comments, idempotency_keys, outbox
from tests.conftest import add_moderator, build_app, run
from tests.replies import ENGLISH_POLITE, SPAM, reply
from tests.web.test_console import _sign_in

ARTICLE = "edits"
URL = f"/api/v1/articles/{ARTICLE}/comments"


def _submit(client: TestClient[Any], body: str, *, email: str = "ana@example.org", **extra: Any) -> dict[str, Any]:
    response = client.post(URL, json={**reply(body, email=email), **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _edit(client: TestClient[Any], created: dict[str, Any], body: str, *, token: str | None = None) -> Any:
    return client.patch(f"{URL}/{created['id']}", json={"body": body}, headers=_bearer(token or created["edit_token"]))


def _delete(client: TestClient[Any], created: dict[str, Any], *, token: str | None = None) -> Any:
    return client.delete(f"{URL}/{created['id']}", headers=_bearer(token or created["edit_token"]))


def _thread(client: TestClient[Any]) -> dict[str, Any]:
    return dict(client.get(URL, params={"limit": 100}).json())


def _item(client: TestClient[Any], headers: dict[str, str], comment_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/moderation/comments/{comment_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _stored(settings: Settings, table: Any, *where: Any) -> list[Any]:
    async def read() -> list[Any]:
        async with opened(settings) as db, db.read() as conn:
            return list((await conn.execute(select(table).where(*where))).all())

    return list(run(read()))


def test_the_submit_answer_carries_a_token_stored_only_as_its_hash(client: TestClient[Any], settings: Settings) -> None:
    created = _submit(client, ENGLISH_POLITE[0], **{})
    token = created["edit_token"]
    assert isinstance(token, str) and len(token) >= 43
    until = datetime.fromisoformat(created["editable_until"])
    assert until - datetime.fromisoformat(created["created_at"]) == timedelta(seconds=900)
    (row,) = _stored(settings, comments, comments.c.id == uuid.UUID(created["id"]))
    assert row.edit_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(tuple(row))
    # A replay of the same Idempotency-Key gives the first answer, token included (derived again from the reply's
    # id), and the token works; the plain token is stored nowhere, not even in the remembered answer.
    keyed = client.post(URL, json=reply(ENGLISH_POLITE[1]), headers={"Idempotency-Key": "k-1"}).json()
    again = client.post(URL, json=reply(ENGLISH_POLITE[1]), headers={"Idempotency-Key": "k-1"}).json()
    assert keyed["edit_token"] and again == keyed
    (answer,) = _stored(settings, idempotency_keys, idempotency_keys.c.key == "k-1")
    assert keyed["edit_token"] not in repr(answer.response)
    (keyed_row,) = _stored(settings, comments, comments.c.id == uuid.UUID(keyed["id"]))
    assert keyed["edit_token"] not in repr(tuple(keyed_row))
    assert _edit(client, keyed, ENGLISH_POLITE[2], token=again["edit_token"]).status_code == 200
    # Readers never see it.
    assert "edit_token" not in client.get(f"{URL}/{created['id']}").text


def test_an_edit_is_published_again_and_the_old_text_stays_in_the_audit_trail(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    created = _submit(client, ENGLISH_POLITE[0])
    assert created["status"] == "published"
    etag = client.get(URL).headers["etag"]
    edited = _edit(client, created, ENGLISH_POLITE[2])
    assert edited.status_code == 200, edited.text
    answer = edited.json()
    assert answer["status"] == "published" and answer["body"] == ENGLISH_POLITE[2]
    assert answer["editable_until"] == created["editable_until"] and answer["edited_at"]
    assert "edit_token" not in answer
    assert client.get(URL).headers["etag"] != etag  # cached pages of the thread go
    assert [item["body"] for item in _thread(client)["items"]] == [ENGLISH_POLITE[2]]
    item = _item(client, moderator_headers, created["id"])
    assert item["body"] == ENGLISH_POLITE[2] and item["edited_at"]
    (revision,) = item["revisions"]
    assert revision["kind"] == "edit" and revision["body"] == ENGLISH_POLITE[0]
    assert revision["status"] == "published" and revision["model_version"] and revision["spam_score"] is not None
    latest = item["decisions"][-1]
    assert (latest["actor"], latest["from_status"], latest["note"]) == ("model", "published", "edited by its author")


def test_a_published_reply_edited_into_spam_is_held_and_leaves_readers(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    created = _submit(client, ENGLISH_POLITE[0])
    child = _submit(client, ENGLISH_POLITE[1], email="bo@example.org", parent_id=created["id"])
    assert _thread(client)["total"] == 2
    edited = _edit(client, created, SPAM[0])
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "pending"
    page = _thread(client)
    assert page["items"] == [] and page["total"] == 0
    assert client.get(f"{URL}/count").json()["count"] == 0
    assert client.get(f"{URL}/{child['id']}").status_code == 404  # hidden with its parent, as at a take-down
    item = _item(client, moderator_headers, created["id"])
    assert item["status"] in {"pending", "rejected"} and item["body"] == SPAM[0]
    assert item["revisions"][0]["body"] == ENGLISH_POLITE[0]


def test_a_shadow_banned_authors_edit_answers_exactly_as_a_held_replys(
    client: TestClient[Any], moderator_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    banned = client.post(
        "/api/v1/moderation/sanctions", json={"email": "shadow@example.org", "kind": "shadow_ban"},
        headers=moderator_headers,
    )  # fmt: skip
    assert banned.status_code in {200, 201}, banned.text
    client.put("/api/v1/rules/modes/articles/held", json={"mode": "all-held"}, headers=admin_headers)
    shadowed = _submit(client, ENGLISH_POLITE[0], email="shadow@example.org")
    held_response = client.post("/api/v1/articles/held/comments", json=reply(ENGLISH_POLITE[1]))
    held = held_response.json()
    shadow_edit = _edit(client, shadowed, ENGLISH_POLITE[3])
    held_edit = client.patch(
        f"/api/v1/articles/held/comments/{held['id']}",
        json={"body": ENGLISH_POLITE[4]},
        headers=_bearer(held["edit_token"]),
    )

    def shape(response: Any) -> tuple[int, list[str], list[str], str]:
        body = response.json()
        return response.status_code, sorted(body), sorted(response.headers.keys()), body["status"]

    assert shape(shadow_edit) == shape(held_edit)
    assert shape(shadow_edit)[3] == "pending"
    assert _item(client, moderator_headers, shadowed["id"])["status"] == "rejected"


def test_bad_requests_get_a_clear_4xx(client: TestClient[Any], settings: Settings) -> None:
    created = _submit(client, ENGLISH_POLITE[0])
    path = f"{URL}/{created['id']}"
    no_token = client.patch(path, json={"body": "x"})
    assert no_token.status_code == 401 and no_token.json()["code"] == "edit_token_missing"
    wrong = client.patch(path, json={"body": ENGLISH_POLITE[1]}, headers=_bearer("not-the-token"))
    assert wrong.status_code == 403 and wrong.json()["code"] == "edit_token_invalid"
    assert client.delete(path, headers=_bearer("not-the-token")).status_code == 403
    blank = client.patch(path, json={"body": "   "}, headers=_bearer(created["edit_token"]))
    assert blank.status_code == 422 and blank.json()["errors"] == [{"field": "body", "message": "is required"}]
    long = client.patch(path, json={"body": "a" * 5001}, headers=_bearer(created["edit_token"]))
    assert long.status_code == 422 and long.json()["errors"][0]["field"] == "body"
    form = {**_bearer(created["edit_token"]), "Content-Type": "application/x-www-form-urlencoded"}
    not_json = client.patch(path, content=b"body=x", headers=form)
    assert not_json.status_code == 415
    unknown = client.patch(f"{URL}/0190a2b4-0000-7000-8000-000000000000", json={"body": "hello"},
                           headers=_bearer(created["edit_token"]))  # fmt: skip
    assert unknown.status_code == 404
    elsewhere = client.patch(f"/api/v1/articles/other/comments/{created['id']}", json={"body": "hello"},
                             headers=_bearer(created["edit_token"]))  # fmt: skip
    assert elsewhere.status_code == 404
    # Another reply's token on a reply nobody sees yet answers as an unknown id: no hint that it exists.
    hidden = _submit(client, SPAM[1], email="spammer@example.org")
    assert hidden["status"] == "pending"
    probe = client.patch(f"{URL}/{hidden['id']}", json={"body": "hello"}, headers=_bearer(created["edit_token"]))
    assert probe.status_code == 404 and probe.json()["detail"] == unknown.json()["detail"]
    assert _thread(client)["items"][0]["body"] == ENGLISH_POLITE[0]  # nothing changed


def test_after_the_window_the_reply_can_no_longer_be_edited_or_deleted(settings: Settings, default_model: Any) -> None:
    short = dataclasses.replace(settings, edit_window_seconds=1)
    with TestClient(app=build_app(short)) as client:
        created = _submit(client, ENGLISH_POLITE[0])
        time.sleep(1.2)
        late = _edit(client, created, ENGLISH_POLITE[1])
        assert late.status_code == 403 and late.json()["code"] == "edit_window_closed"
        assert _delete(client, created).json()["code"] == "edit_window_closed"
        assert _thread(client)["items"][0]["body"] == ENGLISH_POLITE[0]
    off = dataclasses.replace(settings, edit_window_seconds=0)
    with TestClient(app=build_app(off)) as client:
        created = _submit(client, ENGLISH_POLITE[2])
        assert created["edit_token"] is None and created["editable_until"] is None


def test_a_deleted_reply_without_replies_disappears(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    created = _submit(client, ENGLISH_POLITE[0])
    other = _submit(client, ENGLISH_POLITE[1], email="bo@example.org")
    deleted = _delete(client, created)
    assert deleted.status_code == 204
    page = _thread(client)
    assert [item["id"] for item in page["items"]] == [other["id"]] and page["total"] == 1
    assert client.get(f"{URL}/count").json()["count"] == 1
    assert client.get(f"{URL}/{created['id']}").status_code == 404
    assert _delete(client, created).status_code == 204  # again: as the first time
    gone = _edit(client, created, ENGLISH_POLITE[2])
    assert gone.status_code == 410 and gone.json()["code"] == "deleted"
    item = _item(client, moderator_headers, created["id"])
    assert item["deleted_at"] and item["body"] == ""
    assert [(r["kind"], r["body"]) for r in item["revisions"]] == [("delete", ENGLISH_POLITE[0])]
    # Out of the moderators' folders, and no decision can bring an empty reply back.
    queue = client.get("/api/v1/moderation/queue", params={"status": "published"}, headers=moderator_headers).json()
    assert created["id"] not in {entry["id"] for entry in queue["items"]}
    decision = client.post(
        f"/api/v1/moderation/comments/{created['id']}/decision", json={"action": "approve"}, headers=moderator_headers
    )
    assert decision.status_code == 409


def test_a_deleted_reply_with_replies_leaves_a_placeholder(client: TestClient[Any]) -> None:
    parent = _submit(client, ENGLISH_POLITE[0])
    child = _submit(client, ENGLISH_POLITE[1], email="bo@example.org", parent_id=parent["id"])
    assert _delete(client, parent).status_code == 204
    page = _thread(client)
    (placeholder,) = page["items"]
    assert placeholder["id"] == parent["id"] and placeholder["deleted"] is True
    assert placeholder["name"] == "" and placeholder["body"] == ""
    assert [reply["id"] for reply in placeholder["replies"]] == [child["id"]]
    assert page["total"] == 1 and client.get(f"{URL}/count").json()["count"] == 1
    assert ENGLISH_POLITE[0] not in client.get(URL).text
    # The placeholder takes no new replies.
    late = client.post(URL, json={**reply(ENGLISH_POLITE[2], email="cy@example.org"), "parent_id": parent["id"]})
    assert late.status_code == 422 and "parent_id" in late.text
    # When the last reply under it goes too, so does the placeholder.
    assert _delete(client, child).status_code == 204
    assert _thread(client)["items"] == [] and _thread(client)["total"] == 0


def test_an_edit_does_not_undo_a_moderators_rejection(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    created = _submit(client, ENGLISH_POLITE[0])
    rejected = client.post(
        f"/api/v1/moderation/comments/{created['id']}/decision",
        json={"action": "reject", "reason": "off_topic"},
        headers=moderator_headers,
    )
    assert rejected.status_code == 200
    # Readers no longer see it, so a stranger's token would learn nothing: the author's own still works.
    edited = _edit(client, created, ENGLISH_POLITE[3])
    assert edited.status_code == 200 and edited.json()["status"] == "pending"
    item = _item(client, moderator_headers, created["id"])
    assert item["status"] == "rejected" and "moderator_rejected" in {r["code"] for r in item["reasons"]}
    assert _thread(client)["total"] == 0


def test_erasure_removes_the_earlier_texts(
    client: TestClient[Any], admin_headers: dict[str, str], settings: Settings
) -> None:
    created = _submit(client, ENGLISH_POLITE[0], email="gone@example.org")
    assert _edit(client, created, ENGLISH_POLITE[1]).status_code == 200
    exported = client.post("/api/v1/admin/privacy/export", json={"email": "gone@example.org"}, headers=admin_headers)
    (exported_item,) = exported.json()["comments"]
    assert [r["body"] for r in exported_item["revisions"]] == [ENGLISH_POLITE[0]]
    assert "edit_token_hash" not in exported_item
    erased = client.post("/api/v1/admin/privacy/erase", json={"email": "gone@example.org"}, headers=admin_headers)
    assert erased.status_code == 200, erased.text
    assert _stored(settings, comment_revisions, comment_revisions.c.comment_id == uuid.UUID(created["id"])) == []
    assert _edit(client, created, ENGLISH_POLITE[2]).status_code in {403, 404}


def test_the_console_shows_that_a_reply_was_edited_with_its_earlier_texts(
    client: TestClient[Any], settings: Settings
) -> None:
    token = add_moderator(settings, "console-edits")
    _sign_in(client, token)
    created = _submit(client, ENGLISH_POLITE[0])
    assert _edit(client, created, ENGLISH_POLITE[2]).status_code == 200
    assert _edit(client, created, "<b>third</b> version of " + ENGLISH_POLITE[3]).status_code == 200
    page = client.get(f"/console/items/{created['id']}").text
    assert "Edited by its author" in page
    assert ENGLISH_POLITE[0] in page and ENGLISH_POLITE[2] in page  # both earlier texts, in order
    assert page.index(ENGLISH_POLITE[0]) < page.index(ENGLISH_POLITE[2])
    assert "&lt;b&gt;third&lt;/b&gt;" in page and "<b>third</b>" not in page  # escaped like every text
    queue = client.get("/console", params={"status": "published"}).text
    assert "edited by its author" in queue
    gone = _submit(client, ENGLISH_POLITE[4], email="bo@example.org")
    assert _delete(client, gone).status_code == 204
    page = client.get(f"/console/items/{gone['id']}").text
    assert "Deleted by its author" in page and ENGLISH_POLITE[4] in page


def test_the_sites_systems_hear_of_edits_and_deletes(
    client: TestClient[Any], admin_headers: dict[str, str], settings: Settings
) -> None:
    hooked = client.post("/api/v1/webhooks", json={"url": "https://hooks.example/in"}, headers=admin_headers)
    assert hooked.status_code == 201, hooked.text
    created = _submit(client, ENGLISH_POLITE[0])
    assert _edit(client, created, ENGLISH_POLITE[1]).status_code == 200
    assert _delete(client, created).status_code == 204
    rows = _stored(settings, outbox, outbox.c.channel == "webhook")
    about = [row.payload for row in rows if row.payload["data"].get("id") == created["id"]]
    edited = [p["data"] for p in about if p["type"] == "reply.edited"]
    deleted = [p["data"] for p in about if p["type"] == "reply.deleted"]
    assert [data["body"] for data in edited] == [ENGLISH_POLITE[1]]
    assert len(deleted) == 1 and deleted[0]["body"] == "" and deleted[0]["deleted_at"]
    assert all("email" not in data for data in edited + deleted)  # the endpoint was not granted addresses
    assert "decision.made" in {row.payload["type"] for row in rows}


def test_an_edit_is_judged_with_the_authors_trust_as_a_new_reply_is(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    # Three replies people approved make an author trusted (REPLYGUARD_TRUST_AFTER_APPROVALS, 3).
    for body in ENGLISH_POLITE[:3]:
        approved = _submit(client, body, email="trusted@example.org")
        decided = client.post(f"/api/v1/moderation/comments/{approved['id']}/decision", json={"action": "approve"},
                              headers=moderator_headers)  # fmt: skip
        assert decided.status_code == 200
    copied = ENGLISH_POLITE[3]
    _submit(client, copied, email="first@example.org")
    # Editing into a copy of a recent reply is a doubt (duplicate): the trusted author's edit is published over it,
    # anyone else's waits, exactly as a fresh submission of the copy would.
    trusted = _submit(client, "A first draft that I will change in a minute, sorry.", email="trusted@example.org")
    other = _submit(client, "Another first draft, to be replaced by a copy shortly.", email="plain@example.org")
    assert _edit(client, trusted, copied).json()["status"] == "published"
    assert _edit(client, other, copied).json()["status"] == "pending"
    codes = {r["code"] for r in _item(client, moderator_headers, trusted["id"])["reasons"]}
    assert {"trusted_author", "duplicate"} <= codes
    assert {r["code"] for r in _item(client, moderator_headers, other["id"])["reasons"]} >= {"duplicate"}


def test_saving_the_same_text_again_is_no_duplicate_of_itself(client: TestClient[Any]) -> None:
    created = _submit(client, ENGLISH_POLITE[4])
    again = _edit(client, created, ENGLISH_POLITE[4])
    assert again.status_code == 200 and again.json()["status"] == "published"
    assert _thread(client)["total"] == 1


def test_the_retention_purge_deletes_a_rejected_reply_with_its_earlier_texts(
    client: TestClient[Any], moderator_headers: dict[str, str], settings: Settings
) -> None:
    from tests.commands import run_cli

    created = _submit(client, ENGLISH_POLITE[0])
    assert _edit(client, created, SPAM[2]).status_code == 200
    client.post(
        f"/api/v1/moderation/comments/{created['id']}/decision",
        json={"action": "reject", "reason": "spam"},
        headers=moderator_headers,
    )
    done = run_cli("purge", "--rejected-older-than-days", "0", env={"REPLYGUARD_DATABASE_URL": settings.database_url})
    assert done.returncode == 0 and "purged 1" in done.stdout, done.stderr
    assert _stored(settings, comment_revisions, comment_revisions.c.comment_id == uuid.UUID(created["id"])) == []
