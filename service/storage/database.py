"""Database engines and transactions: one writer for SQLite, a pool for PostgreSQL, explicit BEGIN everywhere.

Every engine hides a statement's parameters from its error messages (hide_parameters): they hold emails, token
hashes and reply text, and an error's message reaches logs and the command line.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from service.settings import Settings
from service.storage.sqlite_units import Work, run_on
from service.storage.wal_checkpoints import Checkpointer

T = TypeVar("T")

CHANGED_ARTICLES = "replyguard.changed_articles"
OUTBOX_WRITTEN = "replyguard.outbox_written"


def note_article_changed(conn: AsyncConnection, article_id: str) -> None:
    """Record, on the transaction's connection, that readers of this article must see new data after it commits."""
    conn.info.setdefault(CHANGED_ARTICLES, set()).add(article_id)


def note_outbox_written(conn: AsyncConnection) -> None:
    """Record, on the transaction's connection, that it wrote messages to the outbox: after it ends, this process's
    delivery worker is woken instead of finding them at its next poll."""
    conn.info[OUTBOX_WRITTEN] = True


@dataclass(slots=True)
class Database:
    """The service's engines. On PostgreSQL `reader` and `writer` are the same pool.

    SQLite allows one writer at a time; a single writer connection queues writers inside the process instead of
    letting them fight for the file lock (MEASUREMENTS.md: p99 0.5-0.8 s with a 32-connection pool, 40-70 ms with one).
    """

    writer: AsyncEngine
    reader: AsyncEngine
    # SQLite only: the same database through the synchronous driver, for the hot units of work
    # (service/storage/sqlite_units.py), with one writer thread and a few reader threads.
    threaded: _Threaded | None = None
    # Called after each write transaction with the articles whose published replies it changed (see
    # note_article_changed); the reader cache listens here.
    change_listeners: list[Callable[[set[str]], None]] = field(default_factory=list)
    # Called after each write transaction that wrote to the outbox (see note_outbox_written): the delivery worker.
    outbox_listeners: list[Callable[[], None]] = field(default_factory=list)
    # Write transactions this process has ended (committed, failed or rolled back): what is kept of moderators'
    # reads is good only while this has not moved (service/storage/recent_reads.py).
    writes: int = 0

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
                self._announce(conn.info.pop(CHANGED_ARTICLES, set()), outbox=conn.info.pop(OUTBOX_WRITTEN, False))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.reader.connect() as conn:
            yield conn

    async def ping(self) -> None:
        """One round trip on a reader connection (readiness); raises what the database or the pool raised."""
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))

    async def run_write(self, work: Work[T]) -> T:
        """`work` in one write transaction: on SQLite whole in the writer thread, on PostgreSQL on the loop."""
        if self.threaded is None:
            async with self.write() as conn:
                return await work(conn)
        changed: set[str] = set()
        outbox: list[bool] = []

        def in_thread(engine: Engine) -> T:
            with engine.connect() as conn:
                try:
                    with conn.begin():
                        return run_on(conn, work)
                finally:
                    changed.update(conn.info.pop(CHANGED_ARTICLES, set()))
                    outbox.append(conn.info.pop(OUTBOX_WRITTEN, False))

        try:
            return await self.threaded.run_write(in_thread)
        finally:
            self._announce(changed, outbox=any(outbox))  # back on the loop: listeners are not thread-safe

    async def run_read(self, work: Work[T]) -> T:
        """`work` on a reader connection: on SQLite in a reader thread, on PostgreSQL on the loop."""
        if self.threaded is None:
            async with self.read() as conn:
                return await work(conn)

        def in_thread(engine: Engine) -> T:
            with engine.connect() as conn:
                return run_on(conn, work)

        return await self.threaded.run_read(in_thread)

    def _announce(self, changed: set[str], *, outbox: bool = False) -> None:
        """Tell the listeners which articles a write transaction changed, and whether it wrote to the outbox. Told
        even when the COMMIT failed: its outcome is unknown, and forgetting costs one read (or one idle poll)."""
        self.writes += 1
        if changed:
            for listener in self.change_listeners:
                listener(changed)
        if outbox:
            for ring in self.outbox_listeners:
                ring()

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()
        if self.threaded is not None:
            self.threaded.dispose()


@dataclass(slots=True)
class _Threaded:
    """Synchronous SQLite engines with their own threads: one writer (SQLite has one anyway) and
    REPLYGUARD_SQLITE_READ_THREADS readers (one by default: settings.py says why)."""

    writer: Engine
    reader: Engine
    write_thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="replyguard-sqlite-writer")
    )
    read_threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="replyguard-sqlite-reader")
    )
    # Set when the writers leave checkpoints to a background thread (service/storage/wal_checkpoints.py).
    checkpointer: Checkpointer | None = None

    async def run_write(self, function: Callable[[Engine], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.write_thread, function, self.writer)

    async def run_read(self, function: Callable[[Engine], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.read_threads, function, self.reader)

    def dispose(self) -> None:
        self.write_thread.shutdown(wait=True)
        self.read_threads.shutdown(wait=True)
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer.engine.dispose()
        self.writer.dispose()
        self.reader.dispose()


def _configure_sqlite(engine: Engine, *, immediate: bool, autocheckpoint: bool = True) -> None:
    @event.listens_for(engine, "connect")
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
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # a Checkpointer thread does it off the commit path
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that upgrades later can fail at once with
        # SQLITE_BUSY when another process (a second worker) wrote in between.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _json_text(value: Any) -> str:
    """JSON columns (reasons, answers) encoded by msgspec: under submit load the stdlib encoder held the GIL ~3% of
    the time."""
    return msgspec.json.encode(value).decode()


# ...and decoded by msgspec: a moderator's queue page decodes the reasons of every item it shows.
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": msgspec.json.decode}


def _sqlite_engine(url: str, *, pool_size: int, immediate: bool, autocheckpoint: bool = True) -> AsyncEngine:
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=0, pool_pre_ping=False, hide_parameters=True, **JSON_CODEC
    )
    _configure_sqlite(engine.sync_engine, immediate=immediate, autocheckpoint=autocheckpoint)
    return engine


def _sqlite_sync_engine(url: str, *, pool_size: int, immediate: bool, autocheckpoint: bool = True) -> Engine:
    sync_url = make_url(url).set(drivername="sqlite+pysqlite")
    # Connections move between the threads of one executor; each is used by one thread at a time.
    engine = create_engine(
        sync_url,
        pool_size=pool_size,
        max_overflow=0,
        connect_args={"check_same_thread": False},
        hide_parameters=True,
        **JSON_CODEC,
    )
    _configure_sqlite(engine, immediate=immediate, autocheckpoint=autocheckpoint)
    return engine


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Database]:
    """The engines for one job (a CLI command, a test step), disposed of when it ends."""
    db = connect(settings)
    try:
        yield db
    finally:
        await db.dispose()


def connect(settings: Settings, *, background_checkpoints: bool = False) -> Database:
    """Create the engines for the configured database (nothing is opened until first use).

    `background_checkpoints` (the running service): on SQLite, checkpoint the write-ahead log in a thread of its
    own rather than in whichever COMMIT fills it (service/storage/wal_checkpoints.py). Short jobs keep SQLite's default.
    """
    if settings.is_sqlite:
        url = settings.database_url
        auto = not background_checkpoints
        threaded = _Threaded(
            writer=_sqlite_sync_engine(url, pool_size=1, immediate=True, autocheckpoint=auto),
            reader=_sqlite_sync_engine(url, pool_size=settings.sqlite_read_threads, immediate=False),
            read_threads=ThreadPoolExecutor(
                settings.sqlite_read_threads, thread_name_prefix="replyguard-sqlite-reader"
            ),
        )
        if background_checkpoints:
            threaded.checkpointer = Checkpointer(_sqlite_sync_engine(url, pool_size=1, immediate=False))
            threaded.checkpointer.start()
        writer = _sqlite_engine(url, pool_size=1, immediate=True, autocheckpoint=auto)
        reader = _sqlite_engine(url, pool_size=4, immediate=False)
        return Database(writer=writer, reader=reader, threaded=threaded)
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_timeout=10,
        hide_parameters=True,
        **JSON_CODEC,
    )
    return Database(writer=engine, reader=engine)
