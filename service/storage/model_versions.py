"""SQL for the model registry (model_versions): which trained models are known and which one is active. Runs inside
the caller's transaction; never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import model_versions


async def record_version(
    conn: AsyncConnection, version: str, *, path: str, card: dict[str, Any], activate: bool, now: datetime
) -> None:
    """Record a model version (a known one keeps its row); with `activate`, it becomes the only active one."""
    if activate:
        await conn.execute(update(model_versions).values(active=False))
    existing = (await conn.execute(select(model_versions.c.version).where(model_versions.c.version == version))).first()
    if existing is None:
        await conn.execute(
            model_versions.insert(),
            {"version": version, "path": path, "card": card, "active": activate, "created_at": now},
        )
    elif activate:
        await conn.execute(update(model_versions).where(model_versions.c.version == version).values(active=True))


async def active_model(conn: AsyncConnection) -> Row[Any] | None:
    """The active model's row; None when none is registered."""
    query = select(model_versions).where(model_versions.c.active.is_(True))
    return (await conn.execute(query)).first()


async def model_by_version(conn: AsyncConnection, version: str) -> Row[Any] | None:
    query = select(model_versions).where(model_versions.c.version == version)
    return (await conn.execute(query)).first()
