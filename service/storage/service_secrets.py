"""Secrets the service makes for itself: created on first use, kept in the database so every replica agrees."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import service_secrets


async def shared_secret(conn: AsyncConnection, name: str) -> bytes:
    """The secret called `name` (32 random bytes), created if there is none yet. Two replicas creating it at once
    both get the first one stored (INSERT ... ON CONFLICT DO NOTHING, then read back)."""
    query = select(service_secrets.c.value).where(service_secrets.c.name == name)
    value = (await conn.execute(query)).scalar_one_or_none()
    if value is None:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        row = {"name": name, "value": secrets.token_hex(32), "created_at": datetime.now(UTC)}
        await conn.execute(insert(service_secrets).on_conflict_do_nothing(index_elements=["name"]), row)
        value = (await conn.execute(query)).scalar_one()
    return bytes.fromhex(value)
