"""SQL for the outbox: messages written beside the change that causes them, claimed by one worker at a time, marked
sent, retried or dead. Runs inside the caller's transaction; never commits.

A claim is a lease on the row (claimed_by, claimed_until), taken in a write transaction: on PostgreSQL the due rows
are locked with FOR UPDATE SKIP LOCKED, so two workers claiming at once take different rows; SQLite has one writer
(BEGIN IMMEDIATE), so the read and the update of one claim cannot interleave with another's. Every later change of
the row checks that the claim is still the caller's, so a worker whose lease ran out cannot overwrite the outcome of
the one that took the row over.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import outbox, webhook_endpoints

ERROR_MAX = 500  # characters of the last error kept on a row


async def insert_messages(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """One statement for the whole list (executemany); nothing when the list is empty."""
    if rows:
        await conn.execute(outbox.insert(), list(rows))


def _due(now: datetime) -> Any:
    return and_(
        outbox.c.status == "pending",
        outbox.c.next_attempt_at <= now,
        or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now),
    )


async def bury_exhausted(conn: AsyncConnection, *, now: datetime, max_attempts: int) -> int:
    """Mark dead the due messages that used every attempt without an outcome (their worker died each time, say a
    message that crashes it): they would otherwise wait forever. Returns how many."""
    buried = await conn.execute(
        update(outbox)
        .where(_due(now), outbox.c.attempts >= max_attempts)
        .values(status="dead", claimed_by=None, claimed_until=None, updated_at=now,
                last_error=func.coalesce(outbox.c.last_error, "the worker stopped during every attempt"))
    )  # fmt: skip
    return int(buried.rowcount or 0)


async def claim_due(
    conn: AsyncConnection,
    *,
    holder: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    max_attempts: int,
    channels: Sequence[str],
) -> list[Row[Any]]:
    """Claim up to `limit` due messages of `channels` for `holder` until now + lease, oldest due first, counting
    the attempt (so a message whose delivery kills the worker every time ends dead, not in a loop).

    Messages to a disabled endpoint are not due: they wait until it is enabled again (or deleted, with them).
    Returns the claimed rows with their endpoint's url and secrets (None for email).
    """
    enabled = select(webhook_endpoints.c.id).where(webhook_endpoints.c.enabled.is_(True))
    candidates = (
        select(outbox.c.id)
        .where(_due(now), outbox.c.attempts < max_attempts, outbox.c.channel.in_(channels))
        .where(or_(outbox.c.endpoint_id.is_(None), outbox.c.endpoint_id.in_(enabled)))
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list((await conn.execute(candidates)).scalars())
    if not ids:
        return []
    await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(ids))
        .values(claimed_by=holder, claimed_until=now + lease, attempts=outbox.c.attempts + 1, updated_at=now)
    )
    query = (
        select(
            outbox,
            webhook_endpoints.c.url,
            webhook_endpoints.c.secret,
            webhook_endpoints.c.previous_secret,
            webhook_endpoints.c.previous_secret_expires_at,
        )
        .outerjoin(webhook_endpoints, webhook_endpoints.c.id == outbox.c.endpoint_id)
        .where(outbox.c.id.in_(ids))
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
    )
    return list((await conn.execute(query)).all())


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed message: sent, or failed and then retried at `retry_at` (None: it ends as
    `give_up_as`, dead or, for a message that must not be sent, skipped)."""

    id: uuid.UUID
    sent: bool
    status_code: int | None = None
    error: str | None = None
    retry_at: datetime | None = None
    give_up_as: str = "dead"


async def settle(conn: AsyncConnection, outcomes: Sequence[Outcome], *, holder: str, now: datetime) -> int:
    """Record the outcomes of `holder`'s claims, one statement per kind; returns how many rows were still its own
    (a claim that ran out and was taken over is left to its new holder)."""
    mine = and_(outbox.c.id == bindparam("message_id"), outbox.c.claimed_by == holder)
    released = {"claimed_by": None, "claimed_until": None, "updated_at": now}
    changed = 0
    sent = [{"message_id": o.id, "code": o.status_code} for o in outcomes if o.sent]
    if sent:
        statement = update(outbox).where(mine).values(status="sent", sent_at=now, last_status_code=bindparam("code"),
                                                      last_error=None, **released)  # fmt: skip
        changed += int((await conn.execute(statement, sent)).rowcount or 0)
    failed = [
        {
            "message_id": o.id,
            "code": o.status_code,
            "error": (o.error or "failed")[:ERROR_MAX],
            "next_status": "pending" if o.retry_at is not None else o.give_up_as,
            "retry_at": o.retry_at or now,
        }
        for o in outcomes
        if not o.sent
    ]
    if failed:
        statement = (
            update(outbox)
            .where(mine)
            .values(
                status=bindparam("next_status"),
                next_attempt_at=bindparam("retry_at"),
                last_status_code=bindparam("code"),
                last_error=bindparam("error"),
                **released,
            )
        )
        changed += int((await conn.execute(statement, failed)).rowcount or 0)
    return changed


async def release_claims(conn: AsyncConnection, *, holder: str, now: datetime) -> int:
    """Give up `holder`'s claims (a worker stopping mid-round): their messages are due again at once, not when the
    lease runs out. A message whose call did go through is then sent again, under the same delivery id."""
    released = await conn.execute(
        update(outbox)
        .where(outbox.c.claimed_by == holder, outbox.c.status == "pending")
        .values(claimed_by=None, claimed_until=None, updated_at=now)
    )
    return int(released.rowcount or 0)


async def gathering(conn: AsyncConnection, *, recipient: str, event: str) -> Row[Any, Any] | None:
    """A pending, unclaimed message of this event to this recipient, locked: new content joins it rather than making
    another message (reply notifications gather into one mail). None when there is none."""
    query = (
        select(outbox.c.id, outbox.c.payload)
        .where(outbox.c.recipient == recipient, outbox.c.event == event, outbox.c.status == "pending")
        .where(outbox.c.claimed_by.is_(None), outbox.c.attempts == 0)
        .order_by(outbox.c.created_at)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await conn.execute(query)).first()


async def set_payload(conn: AsyncConnection, message_id: uuid.UUID, payload: dict[str, Any], *, now: datetime) -> None:
    await conn.execute(update(outbox).where(outbox.c.id == message_id).values(payload=payload, updated_at=now))


async def replay(conn: AsyncConnection, message_id: uuid.UUID, *, now: datetime) -> str | None:
    """Send a message again from the first attempt (a dead one, or a sent one a receiver lost); returns the status
    it had, None when there is no such message. A pending message is left as it is."""
    status = (await conn.execute(select(outbox.c.status).where(outbox.c.id == message_id))).scalar_one_or_none()
    if status is None or status == "pending":
        return status
    await conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None, claimed_until=None,
                sent_at=None, updated_at=now)
    )  # fmt: skip
    return str(status)


async def get_message(conn: AsyncConnection, message_id: uuid.UUID) -> Row[Any] | None:
    return (await conn.execute(select(outbox).where(outbox.c.id == message_id))).first()


@dataclass(frozen=True, slots=True)
class Backlog:
    counts: dict[str, int]  # by status
    oldest_pending: datetime | None


async def backlog(conn: AsyncConnection) -> Backlog:
    """How many messages are in each status, and when the oldest pending one was written: two indexed reads."""
    counts = await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
    oldest = await conn.execute(select(func.min(outbox.c.created_at)).where(outbox.c.status == "pending"))
    value = oldest.scalar_one_or_none()
    return Backlog(
        counts={str(status): int(count) for status, count in counts.all()},
        # min() comes back as the driver's value, not through the column type: naive on SQLite.
        oldest_pending=_aware(value),
    )


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's aggregate of a DateTime column is its stored text
        value = datetime.fromisoformat(value)
    moment: datetime = value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def recent_for_endpoint(conn: AsyncConnection, endpoint_id: int, *, limit: int) -> Sequence[Row[Any]]:
    """An endpoint's latest messages, newest first (the console's last deliveries)."""
    query = (
        select(outbox)
        .where(outbox.c.endpoint_id == endpoint_id)
        .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(query)).all()


async def delete_finished(conn: AsyncConnection, *, updated_before: datetime) -> int:
    """Delete messages that are done with (sent, dead or skipped) and unchanged since `updated_before`; how many.

    They hold reply text and, for mail, the address: kept only as long as the console's "last deliveries" and a
    replay need them (REPLYGUARD_RETENTION_OUTBOX_DAYS).
    """
    finished = outbox.c.status.in_(("sent", "dead", "skipped"))
    result = await conn.execute(outbox.delete().where(finished, outbox.c.updated_at < updated_before))
    return int(result.rowcount or 0)
