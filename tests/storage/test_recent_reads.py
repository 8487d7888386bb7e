"""What is kept of moderators' reads: dropped by any write in this process, by age, and never kept across a write
that committed while it was being read."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from service.storage.recent_reads import RecentReads


class Process:
    def __init__(self) -> None:
        self.writes = 0
        self.now = 0.0

    def reads(self, freshness: float = 1.0, entries: int = 8) -> RecentReads[str]:
        return RecentReads(
            lambda: self.writes, freshness_seconds=freshness, max_entries=entries, clock=lambda: self.now
        )


def load(value: str, calls: list[str]) -> Callable[[], Awaitable[str]]:
    async def loaded() -> str:
        calls.append(value)
        return value

    return loaded


def test_kept_until_a_write_in_this_process() -> None:
    process, calls = Process(), list[str]()
    reads = process.reads()
    assert asyncio.run(reads.read("queue", load("first", calls))) == "first"
    assert asyncio.run(reads.read("queue", load("second", calls))) == "first"
    process.writes += 1  # a decision, a held reply, a revocation in this worker
    assert asyncio.run(reads.read("queue", load("third", calls))) == "third"
    assert calls == ["first", "third"]


def test_kept_until_it_ages_past_the_freshness() -> None:
    process, calls = Process(), list[str]()
    reads = process.reads(freshness=1.0)
    asyncio.run(reads.read("queue", load("first", calls)))
    process.now = 0.99
    assert reads.get("queue") == "first"
    process.now = 1.0  # another replica's write may be behind it: read again
    assert reads.get("queue") is None


def test_a_write_during_the_read_keeps_nothing() -> None:
    process = Process()
    reads = process.reads()

    async def read_while_writing() -> str:
        process.writes += 1  # committed by another request while this read was in flight
        return "maybe stale"

    assert asyncio.run(reads.read("queue", read_while_writing)) == "maybe stale"
    assert reads.get("queue") is None


def test_failures_are_not_kept_and_zero_freshness_keeps_nothing() -> None:
    process = Process()
    reads = process.reads()

    async def refused() -> str:
        raise PermissionError

    for _ in range(2):
        with contextlib.suppress(PermissionError):
            asyncio.run(reads.read("token", refused))
    assert reads.get("token") is None
    off = process.reads(freshness=0)
    calls: list[str] = []
    for _ in range(2):
        asyncio.run(off.read("queue", load("page", calls)))
    assert calls == ["page", "page"]


def test_bounded_oldest_out() -> None:
    process = Process()
    reads = process.reads(entries=2)
    stamp = reads.stamp()
    for key in ("a", "b", "c"):
        reads.keep(key, key.upper(), stamp)
    assert [reads.get(key) for key in ("a", "b", "c")] == [None, "B", "C"]


def test_requests_that_miss_together_share_one_load_unless_a_write_came_between() -> None:
    process, calls = Process(), list[str]()
    reads = process.reads()
    release = asyncio.Event()

    async def slow() -> str:
        calls.append("load")
        await release.wait()
        return f"page after {process.writes} writes"

    async def scenario() -> list[str]:
        together = [asyncio.ensure_future(reads.read("queue", slow)) for _ in range(5)]
        await asyncio.sleep(0)
        process.writes += 1  # a decision in this worker while the first load is in flight
        after_write = asyncio.ensure_future(reads.read("queue", slow))
        await asyncio.sleep(0)
        release.set()
        return list(await asyncio.gather(*together, after_write))

    answers = asyncio.run(scenario())
    assert calls == ["load", "load"]  # five requests, one load; the one after the write, its own
    assert answers[-1] == "page after 1 writes" and reads.get("queue") == "page after 1 writes"
