"""Moderating through the HTTP API: auth and roles, the queue, item history, decisions and conflicts."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from service.settings import Settings
from tests.conftest import add_moderator
from tests.replies import POLITE, reply

ARTICLE = "/api/v1/articles/budget/comments"
QUEUE = "/api/v1/moderation/queue"


@pytest.fixture(autouse=True)
def premoderated(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    """Every reply on the `budget` article waits for a person, so the queue's content is known."""
    response = client.put("/api/v1/articles/budget", json={"status": "premoderated"}, headers=admin_headers)
    assert response.status_code == 200


def _held(client: TestClient[Any]) -> str:
    created = client.post(ARTICLE, json=reply(POLITE[2], email="newcomer@example.net")).json()
    assert created["status"] == "pending"
    return str(created["id"])


def _decide(client: TestClient[Any], comment_id: str, headers: dict[str, str], **decision: Any) -> Any:
    return client.post(f"/api/v1/moderation/comments/{comment_id}/decision", json=decision, headers=headers)


@pytest.mark.parametrize("path", [QUEUE, "/api/v1/moderation/comments/0190c2d4-8f5e-7000-8000-000000000000"])
def test_moderation_needs_a_valid_token(client: TestClient[Any], path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer rg_wrong"}).status_code == 401
    assert client.get(path, headers={"Authorization": "Basic abc"}).status_code == 401


def test_article_settings_need_the_admin_role(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    response = client.put("/api/v1/articles/budget", json={"status": "closed"}, headers=moderator_headers)
    assert response.status_code == 403


def test_queue_shows_everything_a_moderator_needs(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    comment_id = _held(client)
    items = client.get(QUEUE, headers=moderator_headers).json()["items"]
    assert [item["id"] for item in items] == [comment_id]
    item = items[0]
    assert item["email"] == "newcomer@example.net"
    assert 0.0 <= item["spam_score"] <= 1.0 and 0.0 <= item["abuse_score"] <= 1.0
    assert item["model_version"]
    assert item["reasons"], "a held item says why"
    assert item["author_history"] == {"published": 0, "pending": 1, "rejected": 0}


def test_queue_filters_by_status_and_article_and_paginates(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    ids = [_held(client) for _ in range(3)]
    client.post("/api/v1/articles/other/comments", json=reply(POLITE[3]))
    first = client.get(QUEUE, params={"article_id": "budget", "limit": 2}, headers=moderator_headers).json()
    second = client.get(
        QUEUE, params={"article_id": "budget", "limit": 2, "cursor": first["next_cursor"]}, headers=moderator_headers
    ).json()
    assert [i["id"] for i in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    published = client.get(
        QUEUE, params={"status": "published", "article_id": "budget"}, headers=moderator_headers
    ).json()
    assert published["items"] == []


def test_approve_publishes_and_history_records_both_decisions(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    comment_id = _held(client)
    response = _decide(client, comment_id, moderator_headers, action="approve", note="a real reader")
    assert response.status_code == 200
    detail = response.json()
    assert detail["status"] == "published"
    assert [(d["actor"], d["to_status"]) for d in detail["decisions"]][-1] == ("moderator", "published")
    assert detail["decisions"][0]["actor"] == "model"
    assert client.get(f"{ARTICLE}/count").json()["count"] == 1


def test_reject_needs_a_reason_and_takes_down_a_published_comment(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    created = client.post("/api/v1/articles/open-one/comments", json=reply(POLITE[0])).json()
    assert created["status"] == "published"
    assert _decide(client, created["id"], moderator_headers, action="reject").status_code == 422
    response = _decide(client, created["id"], moderator_headers, action="reject", reason="off_topic")
    assert response.json()["status"] == "rejected"
    assert client.get("/api/v1/articles/open-one/comments/count").json()["count"] == 0
    assert client.get("/api/v1/articles/open-one/comments").json()["items"] == []


def test_rejected_item_can_be_rescued(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    comment_id = _held(client)
    _decide(client, comment_id, moderator_headers, action="reject", reason="spam")
    rejected = client.get(QUEUE, params={"status": "rejected"}, headers=moderator_headers).json()["items"]
    assert comment_id in [item["id"] for item in rejected]
    assert _decide(client, comment_id, moderator_headers, action="approve").json()["status"] == "published"


def test_expected_status_conflict_is_409_and_changes_nothing(
    client: TestClient[Any], settings: Settings, moderator_headers: dict[str, str]
) -> None:
    comment_id = _held(client)
    other = {"Authorization": f"Bearer {add_moderator(settings, 'second')}"}
    first = _decide(client, comment_id, moderator_headers, action="approve", expected_status="pending")
    assert first.status_code == 200
    second = _decide(client, comment_id, other, action="reject", reason="spam", expected_status="pending")
    assert second.status_code == 409
    detail = client.get(f"/api/v1/moderation/comments/{comment_id}", headers=moderator_headers).json()
    assert detail["status"] == "published"
    assert len([d for d in detail["decisions"] if d["actor"] == "moderator"]) == 1


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        ({"action": "delete"}, "action"),
        ({"action": "reject", "reason": "because"}, "reason"),
        ({"action": "approve", "reason": "spam"}, "reason"),
        ({"action": "approve", "expected_status": "gone"}, "expected_status"),
        ({"action": "approve", "note": "n" * 1001}, "note"),
    ],
)
def test_bad_decisions_are_422(
    client: TestClient[Any], moderator_headers: dict[str, str], decision: dict[str, Any], field: str
) -> None:
    comment_id = _held(client)
    response = _decide(client, comment_id, moderator_headers, **decision)
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}


def test_deciding_an_unknown_comment_is_404(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    response = _decide(client, "0190c2d4-8f5e-7000-8000-000000000000", moderator_headers, action="approve")
    assert response.status_code == 404


def test_author_history_counts_across_articles(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    client.post("/api/v1/articles/a/comments", json=reply(POLITE[0], email="regular@example.org"))
    client.post("/api/v1/articles/b/comments", json=reply(POLITE[1], email="regular@example.org"))
    held = client.post(ARTICLE, json=reply(POLITE[4], email="regular@example.org")).json()
    detail = client.get(f"/api/v1/moderation/comments/{held['id']}", headers=moderator_headers).json()
    assert detail["author_history"]["published"] == 2


def test_the_kept_queue_page_never_hides_this_workers_writes(
    client: TestClient[Any], moderator_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    """Queue pages and tokens are kept for a moment (service/web/moderator_reads.py); a reply held, a decision or a
    role check in this worker show on the very next request, and the role is checked on a kept token too."""
    first = _held(client)
    assert [item["id"] for item in client.get(QUEUE, headers=moderator_headers).json()["items"]] == [first]
    second = _held(client)
    assert [item["id"] for item in client.get(QUEUE, headers=moderator_headers).json()["items"]] == [first, second]
    assert _decide(client, first, moderator_headers, action="approve").status_code == 200
    items = client.get(QUEUE, headers=moderator_headers).json()["items"]
    assert [item["id"] for item in items] == [second]
    assert items[0]["author_history"] == {"published": 1, "pending": 1, "rejected": 0}
    assert client.get(QUEUE, headers={"Authorization": "Bearer rg_wrong"}).status_code == 401
    assert client.get(QUEUE, headers=admin_headers).status_code == 200  # admins may do what moderators may
