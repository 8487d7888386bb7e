"""SQL for the labels client sites send back (feedback_labels). Runs inside the caller's transaction; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import feedback_labels


async def insert_label(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(feedback_labels.insert().values(**values))


async def latest_labels(conn: AsyncConnection, *, limit: int) -> Sequence[Row[Any]]:
    """The newest `limit` labels, newest first."""
    query = (
        select(feedback_labels).order_by(feedback_labels.c.created_at.desc(), feedback_labels.c.id.desc()).limit(limit)
    )
    return (await conn.execute(query)).all()
