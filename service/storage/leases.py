"""Named leases in the database: one holder at a time across workers and replicas, on SQLite and PostgreSQL alike.

A holder takes a lease for a while and renews it while it works; a holder that dies simply stops renewing, and the
lease is free again once it expires. Each call runs inside the caller's transaction; never commits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import leases

# acquired_at of a lease no one has taken yet: long enough ago for any spacing.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)


async def acquire(
    conn: AsyncConnection, name: str, *, holder: str, now: datetime, hold_for: timedelta, spacing: timedelta
) -> bool:
    """Take the lease `name` for `holder` until now + hold_for; True if taken.

    Refused while another holder's lease runs, and while the last acquisition is less than `spacing` ago (so a job
    runs at most once per spacing across the fleet, whichever replica runs it). The first acquisition creates the
    row; two replicas creating it at once both fall through to the compare-and-set update, and one wins.
    """
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    await conn.execute(
        insert(leases).on_conflict_do_nothing(index_elements=["name"]),
        {"name": name, "holder": None, "expires_at": NEVER, "acquired_at": NEVER},
    )
    taken = await conn.execute(
        update(leases)
        .where(
            leases.c.name == name,
            or_(leases.c.holder.is_(None), leases.c.expires_at <= now),
            leases.c.acquired_at <= now - spacing,
        )
        .values(holder=holder, expires_at=now + hold_for, acquired_at=now)
    )
    return taken.rowcount == 1


async def renew(conn: AsyncConnection, name: str, *, holder: str, now: datetime, hold_for: timedelta) -> bool:
    """Extend `holder`'s lease; False if it is no longer theirs (it expired and someone else took it)."""
    renewed = await conn.execute(
        update(leases).where(and_(leases.c.name == name, leases.c.holder == holder)).values(expires_at=now + hold_for)
    )
    return renewed.rowcount == 1


async def release(conn: AsyncConnection, name: str, *, holder: str) -> None:
    """Let go of the lease (keeping acquired_at, which spaces out the next acquisition)."""
    await conn.execute(update(leases).where(leases.c.name == name, leases.c.holder == holder).values(holder=None))
