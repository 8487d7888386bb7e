"""SQL for webhook endpoints: the admins' list, and the enabled ones' subscriptions that events fan out to. Runs
inside the caller's transaction; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import webhook_endpoints

# What listing and event fan-out read: never the secrets.
SUBSCRIPTION = (webhook_endpoints.c.id, webhook_endpoints.c.events, webhook_endpoints.c.include_email)


async def enabled_subscriptions(conn: AsyncConnection) -> Sequence[Row[Any, Any, Any]]:
    """(id, events, include_email) of every enabled endpoint: the whole small table in one read."""
    query = select(*SUBSCRIPTION).where(webhook_endpoints.c.enabled.is_(True)).order_by(webhook_endpoints.c.id)
    return (await conn.execute(query)).all()


async def all_endpoints(conn: AsyncConnection) -> Sequence[Row[Any]]:
    return (await conn.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.id))).all()


async def get_endpoint(conn: AsyncConnection, endpoint_id: int) -> Row[Any] | None:
    return (await conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))).first()


async def insert_endpoint(conn: AsyncConnection, values: dict[str, Any]) -> int:
    inserted = await conn.execute(insert(webhook_endpoints).values(**values).returning(webhook_endpoints.c.id))
    return int(inserted.scalar_one())


async def update_endpoint(conn: AsyncConnection, endpoint_id: int, values: dict[str, Any]) -> bool:
    changed = await conn.execute(
        update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id).values(**values)
    )
    return changed.rowcount == 1


async def delete_endpoint(conn: AsyncConnection, endpoint_id: int) -> bool:
    """Delete the endpoint and (by the foreign key's cascade) every message to it."""
    removed = await conn.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
    return removed.rowcount == 1


async def rotate_secret(
    conn: AsyncConnection, endpoint_id: int, *, secret: str, previous_until: datetime, now: datetime
) -> bool:
    """Make `secret` the signing secret; the current one goes on signing beside it until `previous_until`."""
    changed = await conn.execute(
        update(webhook_endpoints)
        .where(webhook_endpoints.c.id == endpoint_id)
        .values(
            previous_secret=webhook_endpoints.c.secret,
            previous_secret_expires_at=previous_until,
            secret=secret,
            updated_at=now,
        )
    )
    return changed.rowcount == 1
