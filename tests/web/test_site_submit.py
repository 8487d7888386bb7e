"""A site's own server submitting with an API key (the WordPress plugin): it is told the status as stored, a
reader never is."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.replies import ENGLISH_POLITE, SPAM, reply

SUBMIT = "/api/v1/articles/budget-vote/comments"
# More links than REPLYGUARD_MAX_LINKS (3): held whatever the scores.
LINKY = "Sources: http://a.example/1 http://b.example/2 http://c.example/3 http://d.example/4 thanks for the piece."


def site(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_site_caller_is_told_a_rejection_a_reader_is_not(client: TestClient[Any], api_key: str) -> None:
    as_reader = client.post(SUBMIT, json=reply(SPAM[0]))
    as_site = client.post(SUBMIT, json=reply(SPAM[0], email="bo@example.org"), headers=site(api_key))
    assert as_reader.status_code == 201 and as_reader.json()["status"] == "pending"
    assert as_site.status_code == 201 and as_site.json()["status"] == "rejected"


def test_a_site_caller_sees_published_and_held_as_a_reader_does(client: TestClient[Any], api_key: str) -> None:
    published = client.post(SUBMIT, json=reply(ENGLISH_POLITE[0]), headers=site(api_key))
    held = client.post(SUBMIT, json=reply(LINKY), headers=site(api_key))
    assert published.json()["status"] == "published"
    assert held.json()["status"] == "pending"


def test_a_replayed_site_submit_answers_the_stored_status(client: TestClient[Any], api_key: str) -> None:
    headers = {**site(api_key), "Idempotency-Key": "wp-comment-17"}
    first = client.post(SUBMIT, json=reply(SPAM[1]), headers=headers)
    again = client.post(SUBMIT, json=reply(SPAM[1]), headers=headers)
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["status"] == again.json()["status"] == "rejected"


def test_a_key_that_is_not_active_is_refused_and_stores_nothing(client: TestClient[Any]) -> None:
    refused = client.post(SUBMIT, json=reply(ENGLISH_POLITE[1]), headers=site("rgk_not-a-key"))
    assert refused.status_code == 401
    assert client.get(f"{SUBMIT}/count").json()["count"] == 0


def test_other_authorization_values_leave_a_readers_submit_as_it_was(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    answer = client.post(SUBMIT, json=reply(SPAM[2]), headers=moderator_headers)
    assert answer.status_code == 201 and answer.json()["status"] == "pending"


def test_the_schema_documents_the_site_key_on_submit(client: TestClient[Any]) -> None:
    submit = client.get("/schema/openapi.json").json()["paths"]["/api/v1/articles/{article_id}/comments"]["post"]
    headers = {p["name"]: p for p in submit["parameters"] if p["in"] == "header"}
    assert "rejected" in headers["Authorization"]["description"]
    assert headers["Authorization"]["required"] is False
