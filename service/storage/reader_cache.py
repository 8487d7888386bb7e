"""What readers ask for most, kept in memory: each article's published count and revision, and rendered pages.

A popular thread is read far more often than it changes, and every change of what readers may see bumps the
article's revision (articles.change_published). So a page rendered once is served as bytes until the revision moves,
and the revision itself is re-read from the database at most once per `freshness` seconds per article:

- Writes in this process forget the article the moment they commit (Database.write reports what it changed),
  so a single worker, the embedded default, always answers from the current revision.
- Writes in another worker or replica reach this one within `freshness` seconds (default 1 s). Reader responses
  already allow CDNs and browsers 10 s (Cache-Control), so this adds no staleness a reader could not already see.

Litestar's own response cache keys by request and expires by time only; it cannot drop a page when a moderator
publishes a reply, which is why this small cache exists. It is bounded (LRU) in pages, bytes and articles.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any


@dataclass(frozen=True, slots=True)
class ArticleSnapshot:
    revision: int
    published_count: int


@dataclass(slots=True)
class _Page:
    revision: int
    body: bytes


@dataclass
class ReaderCache:
    max_pages: int = 1024
    max_bytes: int = 64 * 1024 * 1024
    freshness_seconds: float = 1.0
    max_articles: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _articles: OrderedDict[str, tuple[ArticleSnapshot, float]] = field(default_factory=OrderedDict)
    _pages: OrderedDict[Hashable, _Page] = field(default_factory=OrderedDict)
    _bytes: int = 0
    # Every forget() takes the next epoch and notes it per article: a snapshot read from the database while a
    # write to that article committed must not be kept, or it would hide that write for `freshness` seconds.
    _epoch: int = 0
    _changed: OrderedDict[str, int] = field(default_factory=OrderedDict)
    # Loads and renders in progress. When a hot article's snapshot goes stale or its page is cold, every request
    # in flight for it would otherwise go to the database at once (64 connections: 64 identical queries queued on
    # 4 reader connections, seconds of p99). Each runs as its own task, so a requester that goes away does not
    # cancel it for the others.
    _flights: dict[Hashable, asyncio.Future[Any]] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.max_pages > 0

    async def snapshot(self, article_id: str, load: Callable[[], Awaitable[ArticleSnapshot]]) -> ArticleSnapshot:
        """The article's revision and count: from memory while fresh, else from `load` (the database)."""
        known = self._articles.get(article_id)
        now = self.clock()
        if known is not None and now - known[1] < self.freshness_seconds:
            return known[0]
        change = self._changed.get(article_id, -1)
        loaded: ArticleSnapshot = await self._flight(("snapshot", article_id, change), load)
        if self.enabled and self._changed.get(article_id, -1) == change:  # no write to it committed meanwhile
            self._articles[article_id] = (loaded, now)
            self._articles.move_to_end(article_id)
            while len(self._articles) > self.max_articles:
                self._articles.popitem(last=False)
        return loaded

    async def page(self, key: Hashable, revision: int, render: Callable[[], Awaitable[bytes]]) -> bytes:
        """The rendered page for this request at this revision: kept bytes, or `render()` once for all askers."""
        page = self._pages.get(key)
        if page is not None and page.revision == revision:
            self._pages.move_to_end(key)
            return page.body
        body: bytes = await self._flight(("page", key, revision), render)
        self._keep(key, revision, body)
        return body

    def forget(self, article_ids: Iterable[str]) -> None:
        """These articles changed: their next read goes to the database (their pages then miss on revision)."""
        self._epoch += 1
        for article_id in article_ids:
            self._articles.pop(article_id, None)
            self._changed[article_id] = self._epoch
            self._changed.move_to_end(article_id)
        while len(self._changed) > self.max_articles:
            self._changed.popitem(last=False)

    def _keep(self, key: Hashable, revision: int, body: bytes) -> None:
        if not self.enabled or len(body) > self.max_bytes // 16:  # one huge page must not flush all the others
            return
        old = self._pages.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._pages[key] = _Page(revision, body)
        self._bytes += len(body)
        while len(self._pages) > self.max_pages or self._bytes > self.max_bytes:
            _, evicted = self._pages.popitem(last=False)
            self._bytes -= len(evicted.body)

    def _flight(self, key: Hashable, start: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        task = self._flights.get(key)
        if task is None:
            task = self._flights[key] = asyncio.ensure_future(start())
            task.add_done_callback(partial(self._landed, key))
        return asyncio.shield(task)

    def _landed(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
        if not task.cancelled():
            task.exception()  # retrieved: the requesters get it raised; the loop must not log it again
