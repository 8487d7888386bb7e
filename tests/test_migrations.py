"""Migrations produce exactly the tables the code declares, and go down and up again cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from service import migrate
from service.models import metadata
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
    migrate.downgrade(url, "base")
    migrate.upgrade(url)
    assert _diff(url) == []
    migrate.downgrade(url, "base")
    migrate.upgrade(url)
    assert _diff(url) == []
