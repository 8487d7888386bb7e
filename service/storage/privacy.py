"""SQL for privacy operations: an author's comments found by email, erased or purged with what refers to them, and
the audit trail (privacy_events). Runs inside the caller's transaction; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.ids import new_id
from service.storage.tables import (
    comment_revisions,
    comments,
    decisions,
    email_addresses,
    idempotency_keys,
    imported_items,
    outbox,
    privacy_events,
    reports,
)


def _of(email: str) -> ColumnElement[bool]:
    return func.lower(comments.c.email) == email.lower()


async def comments_of(conn: AsyncConnection, email: str) -> Sequence[Row[Any]]:
    """Every comment stored with this address (compared without case), oldest first."""
    return (await conn.execute(select(comments).where(_of(email)).order_by(comments.c.created_at))).all()


async def decisions_on(conn: AsyncConnection, comment_ids: Sequence[uuid.UUID]) -> Sequence[Row[Any]]:
    """The decisions on these comments, oldest first."""
    if not comment_ids:
        return []
    query = select(decisions).where(decisions.c.comment_id.in_(comment_ids)).order_by(decisions.c.created_at)
    return (await conn.execute(query)).all()


async def revisions_on(conn: AsyncConnection, comment_ids: Sequence[uuid.UUID]) -> Sequence[Row[Any]]:
    """The texts these comments had before their author's edits and deletes, oldest first."""
    if not comment_ids:
        return []
    query = (
        select(comment_revisions)
        .where(comment_revisions.c.comment_id.in_(comment_ids))
        .order_by(comment_revisions.c.created_at)
    )
    return (await conn.execute(query)).all()


async def comment_places_of(conn: AsyncConnection, email: str) -> Sequence[Row[Any, Any]]:
    """(id, article_id) of every comment stored with this address."""
    return (await conn.execute(select(comments.c.id, comments.c.article_id).where(_of(email)))).all()


async def anonymise_comments(
    conn: AsyncConnection, comment_ids: Sequence[uuid.UUID], *, name: str, email: str, body: str, now: datetime
) -> None:
    """Overwrite the comments' personal fields in place, with the replayable answers that hold them, the texts they
    had before their author's edits and deletes (comment_revisions), and the body's hash (the duplicate check's key
    is the erased text's too). The edit token goes as well: nobody edits an erased reply."""
    await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.comment_id.in_(comment_ids)))
    await conn.execute(delete(comment_revisions).where(comment_revisions.c.comment_id.in_(comment_ids)))
    await conn.execute(
        update(comments)
        .where(comments.c.id.in_(comment_ids))
        .values(name=name, email=email, website=None, body=body, body_hash=None, edit_token_hash=None, updated_at=now)
    )


async def forget_mail(conn: AsyncConnection, email: str) -> None:
    """Delete the address's opt-in record and every mail to it in the outbox (sent or not), and forget it as the
    contact a reader left with a report (the reports stay, without it)."""
    await conn.execute(
        delete(outbox).where(outbox.c.channel == "email", func.lower(outbox.c.recipient) == email.lower())
    )
    await conn.execute(delete(email_addresses).where(func.lower(email_addresses.c.address) == email.lower()))
    await conn.execute(
        update(reports).where(func.lower(reports.c.contact_email) == email.lower()).values(contact_email=None)
    )


async def forget_report_contacts(conn: AsyncConnection, *, resolved_before: datetime) -> int:
    """Forget the contact emails of reports decided before the cutoff; returns how many."""
    forgotten = await conn.execute(
        update(reports)
        .where(reports.c.contact_email.is_not(None), reports.c.resolved_at < resolved_before)
        .values(contact_email=None)
    )
    return int(forgotten.rowcount)


async def purgeable_rejected(conn: AsyncConnection, *, changed_before: datetime) -> list[uuid.UUID]:
    """Rejected comments last changed before the cutoff that no reply hangs from (as parent or as thread root)."""
    children = select(comments.c.parent_id).where(comments.c.parent_id.is_not(None))
    roots = select(comments.c.root_id).where(comments.c.root_id.is_not(None))
    query = select(comments.c.id).where(
        comments.c.status == "rejected",
        comments.c.updated_at < changed_before,
        comments.c.id.not_in(children),
        comments.c.id.not_in(roots),
    )
    return [row.id for row in (await conn.execute(query)).all()]


async def delete_comments(conn: AsyncConnection, comment_ids: Sequence[uuid.UUID]) -> None:
    """Delete the comments with their decisions, readers' reports, replayable answers and earlier texts."""
    await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.comment_id.in_(comment_ids)))
    await conn.execute(delete(comment_revisions).where(comment_revisions.c.comment_id.in_(comment_ids)))
    await conn.execute(delete(reports).where(reports.c.comment_id.in_(comment_ids)))
    await conn.execute(delete(decisions).where(decisions.c.comment_id.in_(comment_ids)))
    # An imported reply's source id stays known with no reply, so re-importing the file does not bring it back.
    await conn.execute(
        update(imported_items).where(imported_items.c.comment_id.in_(comment_ids)).values(comment_id=None)
    )
    await conn.execute(delete(comments).where(comments.c.id.in_(comment_ids)))


async def record_event(
    conn: AsyncConnection, action: str, *, count: int, moderator_id: int | None, now: datetime
) -> None:
    """Audit a privacy operation: what, by whom, how many comments; never the address."""
    await conn.execute(
        privacy_events.insert(),
        {"id": new_id(), "action": action, "moderator_id": moderator_id, "comments_affected": count, "created_at": now},
    )
