"""Migrations produce exactly the tables the code declares, and go down and up again cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from service.storage import migrations
from service.storage.tables import metadata
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
