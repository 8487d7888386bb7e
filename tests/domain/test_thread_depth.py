"""Threads nest at most REPLYGUARD_MAX_THREAD_DEPTH levels, and no stored chain can break one (issue 20, finding 7).

A reply to a comment at the last level attaches to that comment's parent (the answer's parent_id says so); a chain
stored deeper than Python's recursion limit (old data, or a limit lowered since) is still served, at most the
limit deep, and still takes replies and take-downs.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from service.settings import Settings
from service.storage.database import opened
from service.storage.tables import articles, comments
from tests.conftest import build_app
from tests.replies import POLITE, reply

CHAIN = 1_500  # comments in one stored chain, more than Python's default recursion limit


def _url(article_id: str) -> str:
    return f"/api/v1/articles/{article_id}/comments"


def _answer(client: TestClient[Any], article_id: str, number: int, parent: str | None = None) -> dict[str, Any]:
    payload = reply(f"{POLITE[number % 5]} (reader {number})", email=f"reader{number}@example.org")
    if parent is not None:
        payload["parent_id"] = parent
    response = client.post(_url(article_id), json=payload)
    assert response.status_code == 201 and response.json()["status"] == "published", response.text
    answer: dict[str, Any] = response.json()
    return answer


def _levels(items: list[dict[str, Any]]) -> dict[str, tuple[int, str | None]]:
    """Each served comment's level (top = 1) and the id of the comment it is served under, walked without recursion."""
    found: dict[str, tuple[int, str | None]] = {}
    waiting: list[tuple[dict[str, Any], int, str | None]] = [(item, 1, None) for item in items]
    while waiting:
        item, level, holder = waiting.pop()
        found[item["id"]] = (level, holder)
        waiting += [(child, level + 1, item["id"]) for child in item["replies"]]
    return found


def test_a_reply_to_the_last_level_attaches_to_its_parent(client: TestClient[Any]) -> None:
    article = "depth-default"
    chain = [_answer(client, article, 0)["id"]]
    for number in range(1, 5):  # levels 2 to 5: each under the one before
        answer = _answer(client, article, number, parent=chain[-1])
        assert answer["parent_id"] == chain[-1]
        chain.append(answer["id"])
    # Level 5 is the last (the default): a reply to it goes beside it, under level 4, and says so.
    beside = _answer(client, article, 5, parent=chain[-1])
    assert beside["parent_id"] == chain[3]
    again = _answer(client, article, 6, parent=beside["id"])
    assert again["parent_id"] == chain[3]

    page = client.get(_url(article)).json()
    levels = _levels(page["items"])
    assert max(level for level, _ in levels.values()) == 5
    assert levels[beside["id"]] == (5, chain[3]) and levels[again["id"]] == (5, chain[3])
    assert page["total"] == len(levels) == 7
    # Served oldest first under level 4: the level-5 reply, then the two that came to it.
    holder = page["items"][0]["replies"][0]["replies"][0]["replies"][0]
    assert [r["id"] for r in holder["replies"]] == [chain[4], beside["id"], again["id"]]


def test_the_depth_is_a_setting(settings: Settings) -> None:
    with TestClient(build_app(settings.with_overrides(max_thread_depth=2))) as client:
        top = _answer(client, "depth-two", 0)["id"]
        first = _answer(client, "depth-two", 1, parent=top)
        second = _answer(client, "depth-two", 2, parent=first["id"])
        assert first["parent_id"] == top and second["parent_id"] == top
        levels = _levels(client.get(_url("depth-two")).json()["items"])
        assert levels == {top: (1, None), first["id"]: (2, top), second["id"]: (2, top)}


async def _store_chain(settings: Settings, article_id: str) -> list[uuid.UUID]:
    """One top-level comment and CHAIN - 1 replies each under the one before, written as old data would be."""
    start = datetime.now(UTC) - timedelta(days=1)
    ids = [uuid.uuid4() for _ in range(CHAIN)]
    rows: list[dict[str, Any]] = [
        {
            "id": comment_id,
            "article_id": article_id,
            "parent_id": ids[depth - 1] if depth else None,
            "root_id": ids[0] if depth else None,
            "depth": depth,
            "name": f"Reader {depth}",
            "email": f"reader{depth}@example.org",
            "body": f"{POLITE[depth % 5]} (depth {depth})",
            "status": "published",
            "reasons": [],
            "created_at": start + timedelta(seconds=depth),
            "updated_at": start + timedelta(seconds=depth),
        }
        for depth, comment_id in enumerate(ids)
    ]
    async with opened(settings) as db, db.write() as conn:
        await conn.execute(
            articles.insert(),
            {"id": article_id, "status": "open", "published_count": CHAIN, "revision": 1,
             "created_at": start, "updated_at": start},
        )  # fmt: skip
        for offset in range(0, CHAIN, 500):
            await conn.execute(comments.insert(), rows[offset : offset + 500])
    return ids


def test_a_chain_deeper_than_the_recursion_limit_is_served_flat_below_the_limit(
    settings: Settings, client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    assert sys.getrecursionlimit() < CHAIN
    article = "depth-old-chain"
    ids = [str(i) for i in asyncio.run(_store_chain(settings, article))]

    response = client.get(_url(article), params={"order": "newest"})
    assert response.status_code == 200, response.text[:300]
    page = response.json()
    levels = _levels(page["items"])
    assert len(levels) == page["total"] == CHAIN
    assert max(level for level, _ in levels.values()) == 5
    # Levels 1-5 as stored; everything deeper is served beside level 5, under level 4, oldest first, with its own
    # parent_id.
    holder = page["items"][0]["replies"][0]["replies"][0]["replies"][0]
    assert holder["id"] == ids[3]
    assert [r["id"] for r in holder["replies"]] == ids[4:]
    assert [r["parent_id"] for r in holder["replies"]] == ids[3:-1]
    assert client.get(f"{_url(article)}/{ids[-1]}").status_code == 200

    # A reply to the deepest stored comment attaches under level 4 too (found by a walk up the whole chain).
    answer = _answer(client, article, 7, parent=ids[-1])
    assert answer["parent_id"] == ids[3]

    # Taking down a comment in the middle hides it and the 749 below it (a walk down as deep); a rescue shows them.
    decide = f"/api/v1/moderation/comments/{ids[750]}/decision"
    taken = client.post(decide, json={"action": "reject", "reason": "abuse"}, headers=moderator_headers)
    assert taken.status_code == 200
    assert client.get(f"{_url(article)}/count").json()["count"] == 750 + 1  # the new reply sits under level 4
    assert client.get(f"{_url(article)}/{ids[-1]}").status_code == 404
    assert client.post(decide, json={"action": "approve"}, headers=moderator_headers).status_code == 200
    assert client.get(f"{_url(article)}/count").json()["count"] == CHAIN + 1
