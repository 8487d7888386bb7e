"""SQLite's write-ahead log is checkpointed by a background thread in the service, not inside a request's COMMIT."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from service.settings import Settings
from service.storage.database import connect

pytestmark = pytest.mark.anyio

ROWS_PER_BATCH = 200
BODY = "x" * 3000  # about one page per row, so a batch writes a few hundred log frames


def _settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/wal.db", data_dir=None)


async def _create(conn: AsyncConnection) -> None:
    await conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))


async def _insert_batch(conn: AsyncConnection) -> None:
    for _ in range(ROWS_PER_BATCH):
        await conn.execute(text("INSERT INTO filler (body) VALUES (:body)"), {"body": BODY})


async def _autocheckpoint(conn: AsyncConnection) -> int:
    return int((await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one())


async def test_service_writers_leave_checkpoints_to_the_background_thread(tmp_path: Path) -> None:
    db = connect(_settings(tmp_path), background_checkpoints=True)
    try:
        assert db.threaded is not None and db.threaded.checkpointer is not None
        await db.run_write(_create)
        assert await db.run_write(_autocheckpoint) == 0  # the threaded writer (hot path)
        async with db.write() as conn:  # and the async writer
            assert await _autocheckpoint(conn) == 0
        db.threaded.checkpointer.stop()  # run the checkpoints by hand below, deterministically

        await db.run_write(_insert_batch)
        wal = tmp_path / "wal.db-wal"
        grown = wal.stat().st_size
        result = db.threaded.checkpointer.checkpoint()
        assert result is not None
        busy, frames, done = result
        assert busy == 0 and frames >= ROWS_PER_BATCH and done == frames  # caught up with every commit

        # Once caught up, the next writer rewinds the log instead of growing it: the file stays the same size.
        for _ in range(3):
            await db.run_write(_insert_batch)
            db.threaded.checkpointer.checkpoint()
        assert wal.stat().st_size <= grown * 1.1
        async with db.read() as conn:
            stored = (await conn.execute(text("SELECT count(*) FROM filler"))).scalar_one()
        assert stored == 4 * ROWS_PER_BATCH  # nothing lost to the checkpoints
    finally:
        await db.dispose()


async def test_the_background_thread_keeps_the_log_short_on_its_own(tmp_path: Path) -> None:
    db = connect(_settings(tmp_path), background_checkpoints=True)
    try:
        assert db.threaded is not None and db.threaded.checkpointer is not None
        db.threaded.checkpointer.interval = 0.05
        await db.run_write(_create)
        for _ in range(10):
            await db.run_write(_insert_batch)
            await asyncio.sleep(0.2)  # a few of the thread's ticks between bursts of writes
        # Without checkpoints 10 batches would leave ~2,000 frames (8 MB) of log; the thread rewinds it meanwhile.
        frames_without_checkpoints = 10 * ROWS_PER_BATCH
        wal_frames = (tmp_path / "wal.db-wal").stat().st_size // 4120
        assert wal_frames < frames_without_checkpoints / 2
    finally:
        await db.dispose()


async def test_short_jobs_keep_sqlites_own_checkpoints(tmp_path: Path) -> None:
    db = connect(_settings(tmp_path))
    try:
        assert db.threaded is not None and db.threaded.checkpointer is None
        assert await db.run_write(_autocheckpoint) == 1000
    finally:
        await db.dispose()
