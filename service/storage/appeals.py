"""SQL for appeals: open one, the open ones with what they appeal, decide one (compare-and-set on `open`). Runs
inside the caller's transaction; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import appeals, comments, decisions, moderators


async def open_appeal(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """Store the appeal; False when this decision was appealed already (one appeal per decision)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stored = await conn.execute(insert(appeals).values(**row).on_conflict_do_nothing(index_elements=["decision_id"]))
    return stored.rowcount == 1


def _listing() -> Any:
    return (
        select(
            appeals,
            comments.c.article_id,
            comments.c.name,
            comments.c.body,
            comments.c.status.label("comment_status"),
            decisions.c.moderator_id.label("decided_by"),
            decisions.c.actor,
            decisions.c.reason,
            decisions.c.from_status,
            decisions.c.created_at.label("decided_on"),
            moderators.c.name.label("decided_by_name"),
        )
        .join(comments, comments.c.id == appeals.c.comment_id)
        .join(decisions, decisions.c.id == appeals.c.decision_id)
        .outerjoin(moderators, moderators.c.id == decisions.c.moderator_id)
    )


async def by_status(conn: AsyncConnection, status: str, *, limit: int) -> Sequence[Row[Any]]:
    """Appeals in a status with the reply and the decision they appeal, oldest first."""
    query = _listing().where(appeals.c.status == status).order_by(appeals.c.created_at, appeals.c.id).limit(limit)
    return (await conn.execute(query)).all()


async def get_appeal(conn: AsyncConnection, appeal_id: uuid.UUID) -> Row[Any] | None:
    return (await conn.execute(_listing().where(appeals.c.id == appeal_id))).first()


async def close_appeal(
    conn: AsyncConnection, appeal_id: uuid.UUID, *, status: str, moderator_id: int, note: str | None, now: datetime
) -> bool:
    """Decide an open appeal; False when it is decided already (its decision is final)."""
    closed = await conn.execute(
        update(appeals)
        .where(appeals.c.id == appeal_id, appeals.c.status == "open")
        .values(status=status, moderator_id=moderator_id, note=note, decided_at=now)
    )
    return closed.rowcount == 1


async def count_since(conn: AsyncConnection, *, since: datetime) -> tuple[int, int]:
    """(appeals opened since `since`, appeals open now)."""
    opened = await conn.execute(select(func.count()).where(appeals.c.created_at >= since))
    waiting = await conn.execute(select(func.count()).where(appeals.c.status == "open"))
    return int(opened.scalar_one()), int(waiting.scalar_one())
