"""SQLite's plans for the reads that must not grow with the site: it keeps no statistics here, so it plans from the
query's shape alone, and these tests pin the index each read goes through (PostgreSQL plans from its statistics: the
scale run in bench/scale.py records its plans)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine

from service.storage.comments import published_replies
from tests.conftest import POSTGRES_URL, run

pytestmark = pytest.mark.skipif(POSTGRES_URL is not None, reason="SQLite's planner; PostgreSQL's is in bench/scale.py")


def _plan_of_replies_read(database_url: str, roots: int) -> list[str]:
    """The plan SQLite picks for the replies below `roots` top-level comments, as the service sends the query."""
    sent: list[tuple[str, Any]] = []

    async def read() -> None:
        engine = create_async_engine(database_url)
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: sent.append((args[2], args[3])))
        try:
            async with engine.connect() as conn:
                await published_replies(conn, [uuid.uuid4() for _ in range(roots)])
        finally:
            await engine.dispose()

    run(read())
    (statement, parameters), *_ = [(s, p) for s, p in sent if "FROM comments" in s]
    with sqlite3.connect(database_url.removeprefix("sqlite+aiosqlite:///")) as raw:
        return [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]


@pytest.mark.parametrize("roots", [1, 20, 100])
def test_a_pages_replies_are_read_by_their_top_level_comments_not_by_walking_every_published_one(
    database_url: str, roots: int
) -> None:
    plan = _plan_of_replies_read(database_url, roots)
    assert any("USING INDEX ix_comments_published_replies (root_id=?)" in step for step in plan), plan
    assert not any("ix_comments_queue" in step or step.startswith("SCAN comments") for step in plan), plan
