"""Reading published replies: threading, keyset pagination, totals, counts, caching headers, nothing private."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.replies import ENGLISH_POLITE, SPAM, reply

URL = "/api/v1/articles/harbour/comments"


def _publish(client: TestClient[Any], count: int, *, start: int = 0) -> list[str]:
    ids = []
    for number in range(start, start + count):
        body = f"{ENGLISH_POLITE[number % len(ENGLISH_POLITE)]} (reader {number})"
        response = client.post(URL, json=reply(body, email=f"reader{number}@example.org"))
        assert response.json()["status"] == "published", body
        ids.append(response.json()["id"])
    return ids


def test_pages_walk_every_published_comment_once_in_order(client: TestClient[Any]) -> None:
    ids = _publish(client, 7)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, params=params).json()
        assert page["total"] == 7
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


def test_newest_order_reverses_the_pages(client: TestClient[Any]) -> None:
    ids = _publish(client, 4)
    page = client.get(URL, params={"order": "newest", "limit": 2}).json()
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    rest = client.get(URL, params={"order": "newest", "limit": 2, "cursor": page["next_cursor"]}).json()
    assert [item["id"] for item in rest["items"]] == ids[::-1][2:]


def test_items_have_only_public_fields(client: TestClient[Any]) -> None:
    _publish(client, 1)
    response = client.get(URL)
    item = response.json()["items"][0]
    assert set(item) == {"id", "parent_id", "name", "body", "created_at", "replies", "deleted"}
    assert item["deleted"] is False
    assert "@example.org" not in response.text


def test_pending_and_rejected_never_appear(client: TestClient[Any]) -> None:
    _publish(client, 1)
    for body in SPAM:
        client.post(URL, json=reply(body))
    page = client.get(URL).json()
    assert page["total"] == 1 and len(page["items"]) == 1
    assert client.get(f"{URL}/count").json() == {"count": 1}


def test_unknown_article_is_an_empty_thread(client: TestClient[Any]) -> None:
    assert client.get("/api/v1/articles/nobody-here/comments").json() == {"items": [], "next_cursor": None, "total": 0}
    assert client.get("/api/v1/articles/nobody-here/comments/count").json() == {"count": 0}


def test_etag_gives_304_until_the_thread_changes(client: TestClient[Any]) -> None:
    _publish(client, 1)
    first = client.get(URL)
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304
    _publish(client, 1, start=1)
    changed = client.get(URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_readers_revalidate_with_star_weak_or_strong_tags_and_lists(client: TestClient[Any]) -> None:
    """RFC 9110's If-None-Match for a GET: "*", a list (over one or more lines), weak comparison on both sides."""
    _publish(client, 1)
    for path in (URL, f"{URL}/count"):
        etag = client.get(path).headers["etag"]
        assert etag.startswith('W/"')
        strong = etag.removeprefix("W/")
        for field in ("*", strong, f'"stale", {etag}', f'W/"stale",{strong}'):
            answer = client.get(path, headers={"If-None-Match": field})
            assert answer.status_code == 304 and answer.content == b"", field
            assert answer.headers["etag"] == etag
        split = client.get(path, headers=[("If-None-Match", '"stale"'), ("If-None-Match", etag)])
        assert split.status_code == 304
        assert client.get(path, headers={"If-None-Match": 'W/"stale", "older"'}).status_code == 200


def test_bad_query_parameters_are_400_naming_the_parameter(client: TestClient[Any]) -> None:
    for params, field in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"order": "random"}, "order")):
        response = client.get(URL, params=params)
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == field
    response = client.get(URL, params={"cursor": "garbage!"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cursor"
