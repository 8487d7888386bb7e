"""SQL for email addresses that asked for mail: confirmation (double opt-in) and suppression, and the counts the send
limits read. Runs inside the caller's transaction; never commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import email_addresses, outbox


async def request_confirmation(conn: AsyncConnection, addresses: Iterable[str], *, now: datetime) -> set[str]:
    """Record that these addresses asked for mail; returns those that never had (each gets its one confirmation)."""
    wanted = sorted(set(addresses))
    if not wanted:
        return set()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    rows = [{"address": a, "confirm_requested_at": now, "created_at": now} for a in wanted]
    statement = insert(email_addresses).values(rows).on_conflict_do_nothing(index_elements=["address"])
    inserted = await conn.execute(statement.returning(email_addresses.c.address))
    return {str(address) for address in inserted.scalars()}


async def by_address(conn: AsyncConnection, address: str) -> Row[Any] | None:
    return (await conn.execute(select(email_addresses).where(email_addresses.c.address == address))).first()


async def by_id(conn: AsyncConnection, address_id: int) -> Row[Any] | None:
    return (await conn.execute(select(email_addresses).where(email_addresses.c.id == address_id))).first()


async def confirm(conn: AsyncConnection, address_id: int, *, now: datetime) -> bool:
    """Mark it confirmed (once; a second confirmation changes nothing); False for an unknown id."""
    row = await by_id(conn, address_id)
    if row is None:
        return False
    if row.confirmed_at is None:
        await conn.execute(update(email_addresses).where(email_addresses.c.id == address_id).values(confirmed_at=now))
    return True


async def suppress(conn: AsyncConnection, *, address_id: int | None = None, address: str | None = None,
                   reason: str, now: datetime) -> bool:  # fmt: skip
    """Send this address nothing more (unsubscribed, bounced, complained); False when it is unknown."""
    where = email_addresses.c.id == address_id if address_id is not None else email_addresses.c.address == address
    changed = await conn.execute(
        update(email_addresses).where(where).values(suppressed_at=now, suppressed_reason=reason)
    )
    return changed.rowcount == 1


async def suppress_address(conn: AsyncConnection, address: str, *, reason: str, now: datetime) -> None:
    """Send this address nothing more, known or not: one that never asked for mail gets a suppressed row (dated as
    if it had asked now, the column being required), so it is not sent a confirmation if it asks later."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    row = {"address": address, "confirm_requested_at": now, "created_at": now, "suppressed_at": now,
           "suppressed_reason": reason}  # fmt: skip
    statement = insert(email_addresses).values(row)
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["address"], set_={"suppressed_at": now, "suppressed_reason": reason}
        )
    )


async def sent_to(conn: AsyncConnection, recipient: str, *, since: datetime) -> int:
    query = select(func.count()).where(outbox.c.recipient == recipient, outbox.c.sent_at >= since)
    return int((await conn.execute(query)).scalar_one())


async def sent_by_email(conn: AsyncConnection, *, since: datetime) -> int:
    query = select(func.count()).where(outbox.c.channel == "email", outbox.c.sent_at >= since)
    return int((await conn.execute(query)).scalar_one())
