"""Article metadata through the HTTP API: operators register it (PUT, GET); pages may only fill what nobody set."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from service.settings import Settings
from service.storage import articles as article_store
from service.storage import comments as comment_store
from service.storage.database import opened
from tests.conftest import SITE
from tests.replies import POLITE, reply

ARTICLE = "/api/v1/articles/budget-vote"
COMMENTS = f"{ARTICLE}/comments"
PAGE = {"article_title": "Budget vote: what changes", "article_url": f"{SITE}/2026/budget-vote"}


def _article(client: TestClient[Any], headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(ARTICLE, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_operator_registers_title_url_and_excerpt(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    excerpt = "The council voted 31 to 12 to cut the bridge budget. " * 40
    payload = {"title": "Budget vote", "url": f"{SITE}/budget", "excerpt": excerpt, "status": "premoderated"}
    response = client.put(ARTICLE, json=payload, headers=admin_headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["title"] == "Budget vote" and answer["url"] == f"{SITE}/budget"
    assert answer["metadata_source"] == "operator" and answer["status"] == "premoderated"
    assert answer["excerpt_chars"] == len(excerpt) and "excerpt" not in answer  # the PUT answer stays small
    assert _article(client, admin_headers)["excerpt"] == excerpt


def test_a_status_change_alone_leaves_the_metadata_to_the_page(
    client: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    answer = client.put(ARTICLE, json={"status": "open"}, headers=admin_headers).json()
    assert answer["metadata_source"] is None and answer["excerpt_chars"] == 0


def test_get_of_an_unknown_article_is_404_and_moderators_cannot_read_it(
    client: TestClient[Any], admin_headers: dict[str, str], moderator_headers: dict[str, str]
) -> None:
    assert client.get(ARTICLE, headers=admin_headers).status_code == 404
    client.put(ARTICLE, json={"title": "Budget vote"}, headers=admin_headers)
    assert client.get(ARTICLE, headers=moderator_headers).status_code == 403
    assert client.get(ARTICLE).status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"excerpt": "x" * 20_001}, "excerpt"),
        ({"excerpt": 42}, "excerpt"),
        ({"title": "t" * 301}, "title"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://" + "a" * 2000}, "url"),
        ({"status": "archived"}, "status"),
    ],
)
def test_bad_article_fields_are_422_naming_the_field(
    client: TestClient[Any], admin_headers: dict[str, str], payload: dict[str, Any], field: str
) -> None:
    response = client.put(ARTICLE, json=payload, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert client.get(ARTICLE, headers=admin_headers).status_code == 404  # nothing was stored


def test_an_excerpt_at_the_limit_is_accepted(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    response = client.put(ARTICLE, json={"excerpt": "é" * 20_000}, headers=admin_headers)
    assert response.status_code == 200 and response.json()["excerpt_chars"] == 20_000


def test_the_first_page_values_fill_an_unregistered_article_once(
    client: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    assert client.post(COMMENTS, json=reply(POLITE[0], **PAGE)).status_code == 201
    article = _article(client, admin_headers)
    assert (article["title"], article["url"]) == (PAGE["article_title"], PAGE["article_url"])
    assert article["metadata_source"] == "page"

    spam_title = {"article_title": "Cheap pills and casino bonuses", "article_url": "https://pills.example/"}
    assert client.post(COMMENTS, json=reply(POLITE[1], **spam_title)).status_code == 201
    article = _article(client, admin_headers)
    assert (article["title"], article["url"]) == (PAGE["article_title"], PAGE["article_url"])


def test_page_values_fill_only_the_fields_still_empty(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    client.post(COMMENTS, json=reply(POLITE[0], article_title=PAGE["article_title"]))
    client.post(COMMENTS, json=reply(POLITE[1], article_title="Another title", article_url=PAGE["article_url"]))
    article = _article(client, admin_headers)
    assert (article["title"], article["url"]) == (PAGE["article_title"], PAGE["article_url"])


def test_operator_values_are_never_overwritten_by_a_page(
    client: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    client.put(ARTICLE, json={"title": "Budget vote"}, headers=admin_headers)  # the URL stays empty on purpose
    assert client.post(COMMENTS, json=reply(POLITE[0], **PAGE)).status_code == 201
    article = _article(client, admin_headers)
    assert (article["title"], article["url"], article["metadata_source"]) == ("Budget vote", None, "operator")


def test_an_operator_takes_over_page_values(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    client.post(COMMENTS, json=reply(POLITE[0], **PAGE))
    answer = client.put(ARTICLE, json={"title": "Budget vote (corrected)"}, headers=admin_headers).json()
    assert answer["title"] == "Budget vote (corrected)" and answer["url"] == PAGE["article_url"]
    assert answer["metadata_source"] == "operator"


def test_a_rejected_reply_does_not_describe_the_article(
    client: TestClient[Any], admin_headers: dict[str, str], settings: Settings
) -> None:
    trapped = reply(POLITE[0], **PAGE, **{settings.honeypot_field: "filled by a bot"})
    assert client.post(COMMENTS, json=trapped).status_code == 201
    article = _article(client, admin_headers)
    assert (article["title"], article["url"], article["metadata_source"]) == (None, None, None)


def test_a_form_post_carries_the_page_values(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    form = {**reply(POLITE[1]), **PAGE, "website": "", "parent_id": "", "return_to": f"{SITE}/2026/budget-vote"}
    assert client.post(COMMENTS, data=form, follow_redirects=False).status_code == 303
    assert _article(client, admin_headers)["title"] == PAGE["article_title"]


def test_empty_page_values_in_a_form_are_ignored(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    form = {**reply(POLITE[1]), "article_title": "", "article_url": ""}
    assert client.post(COMMENTS, data=form, follow_redirects=False).status_code == 201
    assert _article(client, admin_headers)["metadata_source"] is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"article_title": "t" * 301}, "article_title"),
        ({"article_title": 7}, "article_title"),
        ({"article_title": "Budget\u202evote"}, "article_title"),
        ({"article_url": "ftp://news.example/a"}, "article_url"),
        ({"article_url": "/2026/budget-vote"}, "article_url"),
        ({"article_url": "https://news.example/" + "a" * 2000}, "article_url"),
        ({"article_url": ["https://news.example/"]}, "article_url"),
    ],
)
def test_bad_page_values_are_422_naming_the_field(
    client: TestClient[Any], admin_headers: dict[str, str], extra: dict[str, Any], field: str
) -> None:
    response = client.post(COMMENTS, json=reply(POLITE[0], **extra))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_page_values_stay_out_of_public_answers_and_the_thread(client: TestClient[Any]) -> None:
    created = client.post(COMMENTS, json=reply(POLITE[0], **PAGE))
    assert set(created.json()) == {"id", "article_id", "parent_id", "name", "body", "status", "created_at",
                                   "edit_token", "editable_until"}  # fmt: skip
    listed = client.get(COMMENTS).text
    assert PAGE["article_title"] not in listed and "ana@example.org" not in listed


def test_scoring_context_gives_the_article_and_the_parent_body(
    client: TestClient[Any], admin_headers: dict[str, str], settings: Settings
) -> None:
    client.put(ARTICLE, json={"title": "Budget vote", "excerpt": "The council voted."}, headers=admin_headers)
    parent = client.post(COMMENTS, json=reply(POLITE[0])).json()
    assert parent["status"] == "published"
    parent_id = uuid.UUID(parent["id"])

    async def read() -> tuple[Any, Any, Any, Any]:
        async with opened(settings) as db, db.read() as conn:
            return (
                await article_store.article_context(conn, "budget-vote"),
                await article_store.article_context(conn, "never-seen"),
                await comment_store.parent_body(conn, parent_id, article_id="budget-vote"),
                await comment_store.parent_body(conn, parent_id, article_id="another-article"),
            )

    context, unknown, body, elsewhere = asyncio.run(read())
    assert (context.title, context.url, context.excerpt) == ("Budget vote", None, "The council voted.")
    assert context.metadata_source == "operator"
    assert unknown is None and body == POLITE[0] and elsewhere is None


def test_the_store_keeps_first_values_even_when_a_batch_read_a_stale_row(
    client: TestClient[Any], admin_headers: dict[str, str], settings: Settings
) -> None:
    """The submit path skips described articles from the row it read; a write racing that read meets this UPDATE."""
    client.post("/api/v1/articles/by-page/comments", json=reply(POLITE[0], article_title="First"))
    client.put(ARTICLE, json={"title": "Budget vote"}, headers=admin_headers)
    now = datetime.now(UTC)

    async def offer() -> list[bool]:
        async with opened(settings) as db, db.write() as conn:
            return [
                await article_store.fill_page_metadata(conn, "by-page", title="Second", url=None, now=now),
                await article_store.fill_page_metadata(
                    conn, "budget-vote", title="Spam", url=PAGE["article_url"], now=now
                ),
                await article_store.fill_page_metadata(
                    conn, "by-page", title="Second", url=PAGE["article_url"], now=now
                ),
            ]

    assert asyncio.run(offer()) == [False, False, True]
    by_page = client.get("/api/v1/articles/by-page", headers=admin_headers).json()
    assert (by_page["title"], by_page["url"]) == ("First", PAGE["article_url"])
    article = _article(client, admin_headers)
    assert (article["title"], article["url"]) == ("Budget vote", None)
