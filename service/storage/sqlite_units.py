"""Units of work for SQLite run whole in a worker thread, on a plain sqlite3 connection.

Through aiosqlite every statement is several thread hops (cursor, execute, fetch, close), ~0.6 ms each here, so a
five-statement transaction took ~4 ms of waiting while the one writer connection sat idle between hops. Run in a
thread on the synchronous driver, the same transaction takes ~0.35 ms, one hop in all (measured in this repo's
bench, see docs/performance.md).

The unit of work stays one async function written against AsyncConnection, shared with PostgreSQL (where asyncpg is
native and it runs on the event loop). Here it gets a look-alike whose execute() never suspends, so the coroutine runs
to completion in one send() inside the thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Dialect
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]


class SyncBackedConnection:
    """The parts of AsyncConnection a unit of work uses (execute, dialect, info), over a synchronous Connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @property
    def dialect(self) -> Dialect:
        return self._conn.dialect

    @property
    def info(self) -> dict[Any, Any]:
        return self._conn.info

    async def execute(self, statement: Any, parameters: Any = None) -> Result[Any]:
        return self._conn.execute(statement, parameters)


def run_on(conn: Connection, work: Work[T]) -> T:
    """Run `work` to completion on a synchronous connection (call it in a worker thread)."""
    coroutine = cast(Coroutine[Any, Any, T], work(cast(AsyncConnection, SyncBackedConnection(conn))))
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return cast(T, finished.value)
    coroutine.close()
    raise RuntimeError("a unit of work waited on something other than its connection; it cannot run in a thread")
