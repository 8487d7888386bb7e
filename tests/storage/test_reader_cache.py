"""The reader cache: pages and counts served from memory, never hiding a change made in this process, and
showing another worker's change within `read_cache_seconds`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

from litestar.testing import TestClient

from service.settings import Settings
from service.storage.reader_cache import ArticleSnapshot, ReaderCache
from tests.conftest import build_app
from tests.replies import POLITE, reply

URL = "/api/v1/articles/cached/comments"


def test_a_reply_published_here_shows_at_once(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    client.post(URL, json=reply(POLITE[0]))
    first = client.get(URL)
    assert client.get(URL).content == first.content  # served again from memory, byte for byte
    client.post(URL, json=reply(POLITE[1], email="bo@example.org"))
    assert len(client.get(URL).json()["items"]) == 2
    assert client.get(f"{URL}/count").json()["count"] == 2
    # A moderator's take-down is a change of what readers see too.
    comment_id = first.json()["items"][0]["id"]
    decision = {"action": "reject", "reason": "other"}
    response = client.post(f"/api/v1/moderation/comments/{comment_id}/decision", json=decision, headers=admin_headers)
    assert response.status_code == 200
    assert [item["body"] for item in client.get(URL).json()["items"]] == [POLITE[1]]
    assert client.get(f"{URL}/count").json()["count"] == 1


def test_another_workers_write_shows_within_the_freshness_window(settings: Settings) -> None:
    fresh_for = 0.3
    worker_settings = replace(settings, read_cache_seconds=fresh_for)
    with TestClient(build_app(worker_settings)) as writer, TestClient(build_app(worker_settings)) as reader:
        writer.post(URL, json=reply(POLITE[0]))
        assert reader.get(f"{URL}/count").json()["count"] == 1
        writer.post(URL, json=reply(POLITE[2], email="cy@example.org"))
        deadline = time.monotonic() + fresh_for + 2.0
        while reader.get(f"{URL}/count").json()["count"] != 2:
            assert time.monotonic() < deadline, "the other worker's reply never showed"
            time.sleep(0.05)
        assert len(reader.get(URL).json()["items"]) == 2


def test_turned_off_every_read_goes_to_the_database(settings: Settings) -> None:
    with (
        TestClient(build_app(replace(settings, read_cache_entries=0))) as one,
        TestClient(build_app(replace(settings, read_cache_entries=0))) as other,
    ):
        one.post(URL, json=reply(POLITE[0]))
        assert other.get(f"{URL}/count").json()["count"] == 1
        one.post(URL, json=reply(POLITE[1], email="di@example.org"))
        assert other.get(f"{URL}/count").json()["count"] == 2  # no window at all


# The cache's own rules, with a hand-driven clock.


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_snapshot_is_reused_while_fresh_and_reloaded_after() -> None:
    clock = Clock()
    cache = ReaderCache(freshness_seconds=1.0, clock=clock)
    loads: list[int] = []

    async def load() -> ArticleSnapshot:
        loads.append(1)
        return ArticleSnapshot(revision=len(loads), published_count=0)

    async def scenario() -> list[int]:
        seen = [(await cache.snapshot("a", load)).revision]
        clock.now = 0.9
        seen.append((await cache.snapshot("a", load)).revision)
        clock.now = 1.1
        seen.append((await cache.snapshot("a", load)).revision)
        return seen

    assert asyncio.run(scenario()) == [1, 1, 2]


def test_a_write_committed_during_a_load_is_not_hidden() -> None:
    cache = ReaderCache(freshness_seconds=60.0)
    revision = 1

    async def load() -> ArticleSnapshot:
        loaded = ArticleSnapshot(revision=revision, published_count=revision)
        await asyncio.sleep(0.01)
        return loaded

    async def scenario() -> int:
        nonlocal revision
        loading = asyncio.ensure_future(cache.snapshot("a", load))
        await asyncio.sleep(0.001)
        revision = 2
        cache.forget(["a"])  # the write commits while the old revision is on its way
        assert (await loading).revision == 1
        return (await cache.snapshot("a", load)).revision

    assert asyncio.run(scenario()) == 2


def test_a_cold_page_is_rendered_once_for_all_who_ask() -> None:
    cache = ReaderCache()
    renders: list[int] = []

    async def render() -> bytes:
        renders.append(1)
        await asyncio.sleep(0.01)
        return b"page"

    async def scenario() -> list[bytes]:
        return list(await asyncio.gather(*(cache.page("key", 1, render) for _ in range(50))))

    assert asyncio.run(scenario()) == [b"page"] * 50
    assert renders == [1]


def test_pages_are_bounded_in_number_and_bytes() -> None:
    cache = ReaderCache(max_pages=3, max_bytes=16 * 100)

    async def scenario() -> None:
        for n in range(10):
            await cache.page(n, 1, lambda n=n: _bytes(n, 60))  # type: ignore[misc]
        assert len(cache._pages) == 3 and list(cache._pages) == [7, 8, 9]
        await cache.page("huge", 1, lambda: _bytes(0, 200))  # over max_bytes / 16: served, not kept
        assert "huge" not in cache._pages

    asyncio.run(scenario())


async def _bytes(n: int, size: int) -> bytes:
    return bytes([n]) * size
