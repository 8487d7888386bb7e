"""Reads kept for a moment: a value read from the database, served again until this process writes or it ages.

What moderators ask for (who a token belongs to, a page of the review queue) is read far more often than it changes,
and unlike the readers' pages it has no per-article revision to key on: a queue page depends on every pending reply
of the site and on its authors' histories. So the rule here is coarser than the reader cache's:

- Any write transaction this process commits (Database.writes moves) drops every kept value, so a moderator's own
  decision, a new reply held by this worker, a revoked token or a changed role show on the very next request.
- Writes in another worker or replica (or a `replyguard` command) show within `freshness_seconds` (default 1 s, the
  reader cache's REPLYGUARD_READ_CACHE_SECONDS), the age after which a kept value is read again.

A value is kept with the write count and the time taken *before* its read started: a write that commits while the
read is in flight makes the value stale at once, never kept past that write.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class ReadStamp:
    """When a read started: the process's write count and the clock."""

    writes: int
    at: float


@dataclass
class RecentReads(Generic[V]):
    writes: Callable[[], int]  # the process's count of committed (or attempted) write transactions
    freshness_seconds: float = 1.0
    max_entries: int = 512
    clock: Callable[[], float] = time.monotonic
    _kept: OrderedDict[Hashable, tuple[V, ReadStamp]] = field(default_factory=OrderedDict)
    _flights: dict[Hashable, asyncio.Future[V]] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.freshness_seconds > 0 and self.max_entries > 0

    def stamp(self) -> ReadStamp:
        """Taken before reading what will be kept."""
        return ReadStamp(self.writes(), self.clock())

    def get(self, key: Hashable) -> V | None:
        """The kept value while no write happened since its read started and it is younger than the freshness."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        value, stamp = kept
        if stamp.writes != self.writes() or self.clock() - stamp.at >= self.freshness_seconds:
            del self._kept[key]
            return None
        return value

    def keep(self, key: Hashable, value: V, stamp: ReadStamp) -> None:
        if not self.enabled or stamp.writes != self.writes():
            return
        self._kept[key] = (value, stamp)
        self._kept.move_to_end(key)
        while len(self._kept) > self.max_entries:
            self._kept.popitem(last=False)

    async def read(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """The kept value, or `load()` kept (on the event loop that awaits it; an exception keeps nothing).

        Requests that miss the same key together share one load: when a kept page ages out under 64 connections,
        one read goes to the database, not 64 queued on its one reader thread (p99 near a second before)."""
        value = self.get(key)
        if value is not None:
            return value
        # A load that started before this process's latest write may have read what that write changed: a request
        # after the write starts its own (the key of a flight holds the write count it started at).
        flight_key = (key, self.writes())
        flight = self._flights.get(flight_key)
        if flight is None:
            flight = self._flights[flight_key] = asyncio.ensure_future(self._load(key, load))
            flight.add_done_callback(partial(self._landed, flight_key))
        # Shielded: a requester that goes away does not cancel the load the others wait for.
        return await asyncio.shield(flight)

    async def _load(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        stamp = self.stamp()
        value = await load()
        self.keep(key, value, stamp)
        return value

    def _landed(self, key: Hashable, flight: asyncio.Future[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved: the requesters get it raised; the loop must not log it again
