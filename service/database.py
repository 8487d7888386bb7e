"""Database engines and transactions: one writer for SQLite, a pool for PostgreSQL, explicit BEGIN everywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from service.settings import Settings

CHANGED_ARTICLES = "replyguard.changed_articles"


def note_article_changed(conn: AsyncConnection, article_id: str) -> None:
    """Record, on the transaction's connection, that readers of this article must see new data after it commits."""
    conn.info.setdefault(CHANGED_ARTICLES, set()).add(article_id)


@dataclass(slots=True)
class Database:
    """The service's engines. On PostgreSQL `reader` and `writer` are the same pool.

    SQLite allows one writer at a time; a single writer connection queues writers inside the process instead of
    letting them fight for the file lock (MEASUREMENTS.md: p99 0.5-0.8 s with a 32-connection pool, 40-70 ms with one).
    """

    writer: AsyncEngine
    reader: AsyncEngine
    # Called after each write transaction with the articles whose published replies it changed (see
    # note_article_changed); the reader cache listens here.
    change_listeners: list[Callable[[set[str]], None]] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One transaction that commits on success; a failed COMMIT raises, so no 2xx is sent for it."""
        async with self.writer.connect() as conn:
            try:
                async with conn.begin():
                    yield conn
            finally:
                # Told even when the COMMIT failed: its outcome is unknown, and forgetting costs one read.
                changed: set[str] = conn.info.pop(CHANGED_ARTICLES, set())
                if changed:
                    for listener in self.change_listeners:
                        listener(changed)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.reader.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def _sqlite_engine(url: str, *, pool_size: int, immediate: bool) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_pre_ping=False)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Take over transaction control from the driver so BEGIN is emitted by us (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a 201 promises the reply survives a power cut, not only a process crash (WAL + NORMAL may drop
        # the last commits on an OS crash).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that upgrades later can fail at once with
        # SQLITE_BUSY when another process (a second worker) wrote in between.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Database]:
    """The engines for one job (a CLI command, a test step), disposed of when it ends."""
    db = connect(settings)
    try:
        yield db
    finally:
        await db.dispose()


def connect(settings: Settings) -> Database:
    """Create the engines for the configured database (nothing is opened until first use)."""
    if settings.is_sqlite:
        writer = _sqlite_engine(settings.database_url, pool_size=1, immediate=True)
        reader = _sqlite_engine(settings.database_url, pool_size=4, immediate=False)
        return Database(writer=writer, reader=reader)
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
    )
    return Database(writer=engine, reader=engine)
