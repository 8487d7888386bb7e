"""Migrations produce exactly the tables the code declares, and go down and up again cleanly."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from service.storage import migrations
from service.storage.tables import appeals, articles, comments, decisions, metadata
from tests.conftest import POSTGRES_URL


def _diff(url: str) -> list[object]:
    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async def run() -> list[object]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_migrations_match_the_models_and_are_reversible(tmp_path: Path) -> None:
    url = POSTGRES_URL or f"sqlite+aiosqlite:///{tmp_path}/m.db"
    migrations.downgrade(url, "base")
    migrations.upgrade(url)
    assert _diff(url) == []
    migrations.downgrade(url, "base")
    migrations.upgrade(url)
    assert _diff(url) == []


def _back_to_head(url: str) -> None:
    migrations.downgrade(url, "base")
    migrations.upgrade(url)


def test_titles_set_before_0007_are_marked_as_the_operators(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Before page metadata existed only an operator could set a title or URL; the page must not replace them."""
    url = POSTGRES_URL or f"sqlite+aiosqlite:///{tmp_path}/m.db"
    # Emptied and left at the latest revision however the test ends: on PostgreSQL this is the database that every
    # later test uses (a schema left at base failed 158 of them).
    request.addfinalizer(lambda: _back_to_head(url))
    migrations.downgrade(url, "base")
    migrations.upgrade(url, "0006")

    async def execute(sql: str) -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(sql))
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    asyncio.run(execute(
        "INSERT INTO articles (id, status, title, url, published_count, revision, created_at, updated_at) VALUES "
        "('titled', 'open', 'Budget', NULL, 0, 0, '2026-11-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00'), "
        "('bare', 'open', NULL, NULL, 0, 0, '2026-11-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00')"
    ))  # fmt: skip
    migrations.upgrade(url)
    rows = asyncio.run(execute("SELECT id, metadata_source FROM articles ORDER BY id"))
    assert [tuple(row) for row in rows] == [("bare", None), ("titled", "operator")]


def test_0009_hides_replies_stored_under_a_comment_already_taken_down(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Take-downs made before 0009 hid only the comment itself: its replies must leave readers' counts now."""
    url = POSTGRES_URL or f"sqlite+aiosqlite:///{tmp_path}/m.db"
    request.addfinalizer(lambda: _back_to_head(url))
    migrations.downgrade(url, "base")
    migrations.upgrade(url, "0008")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    root, child, grandchild, other = (uuid.uuid4() for _ in range(4))
    shape = [(root, None, None, "rejected"), (child, root, root, "published"), (grandchild, child, root, "published"),
             (other, None, None, "published")]  # fmt: skip

    async def run(statements: list[Any]) -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                results = [await conn.execute(statement) for statement in statements]
                return [list(result.all()) if result.returns_rows else [] for result in results]
        finally:
            await engine.dispose()

    article = {"id": "old", "status": "open", "published_count": 3, "revision": 0, "created_at": at, "updated_at": at}
    rows: list[dict[str, Any]] = [
        {"id": id_, "article_id": "old", "parent_id": parent, "root_id": top, "name": "Reader",
         "email": "r@example.org", "body": "An old reply.", "status": status, "reasons": [], "created_at": at,
         "updated_at": at}
        for id_, parent, top, status in shape
    ]  # fmt: skip
    asyncio.run(run([insert(articles).values(article), *(insert(comments).values(row) for row in rows)]))

    def read() -> tuple[dict[uuid.UUID, tuple[int, int]], tuple[int, int]]:
        shapes, counts = asyncio.run(
            run([
                select(comments.c.id, comments.c.depth, comments.c.hidden_ancestors),
                select(articles.c.published_count, articles.c.revision),
            ])
        )  # fmt: skip
        return {row.id: (row.depth, row.hidden_ancestors) for row in shapes}, tuple(counts[0])

    migrations.upgrade(url)
    depths, counts = read()
    assert depths == {root: (0, 0), child: (1, 1), grandchild: (2, 1), other: (0, 0)}
    assert counts == (1, 1)  # only `other` is shown; a new revision for cached pages
    migrations.downgrade(url, "0008")
    counted = asyncio.run(run([select(articles.c.published_count)]))[0]
    assert counted == [(3,)]


def test_0015_keeps_every_decision_and_the_appeals_that_point_at_them(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """0015 widens the decisions' actor constraint; on SQLite that copies the table, which must lose no decision and
    break no appeal's reference to one."""
    url = POSTGRES_URL or f"sqlite+aiosqlite:///{tmp_path}/m.db"
    request.addfinalizer(lambda: _back_to_head(url))
    migrations.downgrade(url, "base")
    migrations.upgrade(url, "0014")
    at = datetime(2026, 12, 1, tzinfo=UTC)
    comment_id, decision_id = uuid.uuid4(), uuid.uuid4()

    async def run(statements: list[Any]) -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                results = [await conn.execute(statement) for statement in statements]
                return [list(result.all()) if result.returns_rows else [] for result in results]
        finally:
            await engine.dispose()

    article = {"id": "old", "status": "open", "published_count": 0, "revision": 0, "created_at": at, "updated_at": at}
    comment = {"id": comment_id, "article_id": "old", "name": "Reader", "email": "r@example.org", "body": "Old.",
               "status": "rejected", "reasons": [], "created_at": at, "updated_at": at}  # fmt: skip
    decision = {"id": decision_id, "comment_id": comment_id, "actor": "model", "to_status": "rejected",
                "reasons": [], "created_at": at}  # fmt: skip
    appeal = {"id": uuid.uuid4(), "comment_id": comment_id, "decision_id": decision_id, "text": "Please.",
              "status": "open", "created_at": at}  # fmt: skip
    rows = ((articles, article), (comments, comment), (decisions, decision), (appeals, appeal))
    asyncio.run(run([insert(table).values(row) for table, row in rows]))
    migrations.upgrade(url)
    found = asyncio.run(run([select(decisions.c.id), select(appeals.c.decision_id)]))
    assert found == [[(decision_id,)], [(decision_id,)]]
