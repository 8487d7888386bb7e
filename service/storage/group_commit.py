"""Group commit: the writes of concurrent requests share one transaction, and each caller is answered after it.

A transaction costs a fixed number of round trips (BEGIN, a few statements, COMMIT and its fsync) whatever the
number of rows, so under load one transaction per request caps throughput at the single SQLite writer
(MEASUREMENTS.md: Core async ~1,350 one-row transactions/s before any real work). Here requests queue their work
and a writer task takes everything queued so far as one batch. Nothing waits for a batch to fill: an idle service
commits each request alone, exactly as before, and batches only form while a transaction is already running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.exc import IntegrityError

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# Runs one batch in one transaction; returns, per item and in order, its result or the exception to raise to its
# caller (a rule the item broke). Raising fails the whole batch: the transaction was rolled back.
BatchRunner = Callable[[Sequence[Item]], Awaitable[list[Result | Exception]]]


@dataclass
class GroupCommit(Generic[Item, Result]):
    run_batch: BatchRunner[Item, Result]
    max_batch: int = 64
    # Writer tasks working at once: 1 for SQLite (one writer anyway), a few for PostgreSQL.
    concurrency: int = 1
    _queue: deque[tuple[Item, asyncio.Future[Result]]] = field(default_factory=deque)
    _writers: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, item: Item) -> Result:
        """Queue `item` and return its result once its batch has committed (or raise what it failed with).

        If the caller is cancelled (the client went away) the item is still written: a queued reply is not lost,
        and a client that retries with its Idempotency-Key is answered from it.
        """
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if len(self._writers) < self.concurrency:
            task = asyncio.create_task(self._write())
            self._writers.add(task)
            task.add_done_callback(self._writers.discard)
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until everything queued so far is written (at shutdown)."""
        while self._writers:
            await asyncio.gather(*self._writers, return_exceptions=True)

    async def _write(self) -> None:
        try:
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
                await self._commit(batch)
        finally:
            # Leave the set in the same step that saw the queue empty. The done callback alone comes a loop turn
            # later: a request queued in between would count this finished writer, start none, and wait forever.
            self._writers.discard(asyncio.current_task())

    async def _commit(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        items = [item for item, _ in batch]
        try:
            outcomes = await self.run_batch(items)
        except IntegrityError as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            # A constraint one item broke (say an Idempotency-Key raced in from another worker) rolled back the
            # whole batch; statement errors never leave a commit half done, so each item is safe to run alone.
            log.info("a batch of %d hit a constraint; writing its items one by one", len(batch))
            for single in batch:
                await self._commit([single])
            return
        except Exception as exc:
            # Anything else (the database went away, COMMIT failed) is the same answer for every item. They are
            # not retried: a COMMIT that failed may still have landed, and a retry could store a reply twice.
            for _, future in batch:
                _settle(future, exc)
            return
        except BaseException as exc:  # cancelled at shutdown: nobody may wait forever
            for _, future in batch:
                _settle(future, exc)
            raise
        if not isinstance(outcomes, list) or len(outcomes) != len(batch):
            # A runner that answered the wrong number of items is a bug; its callers still get an answer rather
            # than wait forever (and whatever was committed stays committed: nothing is retried).
            log.error("a batch of %d was answered with %s outcomes", len(batch), _count(outcomes))
            failure = RuntimeError("the batch's answers were lost")
            for _, future in batch:
                _settle(future, failure)
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            _settle(future, outcome)


def _count(outcomes: object) -> int | str:
    return len(outcomes) if isinstance(outcomes, list) else type(outcomes).__name__


def _settle(future: asyncio.Future[Result], outcome: Result | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
    # A caller that went away never reads the exception; retrieving it here keeps asyncio from logging it.
    with contextlib.suppress(asyncio.CancelledError, Exception):
        future.exception()
