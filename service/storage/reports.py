"""SQL for readers' reports: store one (once per reply and reporter), count a reply's open ones, the reported folder
with the reports beside each reply, and close a reply's open reports. Runs inside the caller's transaction; never
commits. The reporter's contact email is read only where a moderator asks for one reply's reports."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import comments, reports


async def add_report(conn: AsyncConnection, row: dict[str, Any]) -> bool:
    """Store the report; False when this reporter has reported this reply already (one report each)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stored = await conn.execute(
        insert(reports).values(**row).on_conflict_do_nothing(index_elements=["comment_id", "reporter_key"])
    )
    return stored.rowcount == 1


async def open_counts(conn: AsyncConnection, comment_id: uuid.UUID) -> tuple[int, int]:
    """(open reports of the reply, of which for illegal content)."""
    query = select(func.count(), func.coalesce(func.sum(case((reports.c.reason == "illegal", 1), else_=0)), 0)).where(
        reports.c.comment_id == comment_id, reports.c.resolution.is_(None)
    )
    total, illegal = (await conn.execute(query)).one()
    return int(total), int(illegal)


def _reported(threshold: int, illegal_threshold: int) -> Any:
    """Replies whose open reports reach a threshold: their id, counts and when they were first reported."""
    illegal = func.sum(case((reports.c.reason == "illegal", 1), else_=0))
    return (
        select(
            reports.c.comment_id,
            func.count().label("report_count"),
            illegal.label("illegal_count"),
            func.min(reports.c.created_at).label("first_reported_at"),
        )
        .where(reports.c.resolution.is_(None))
        .group_by(reports.c.comment_id)
        .having((func.count() >= threshold) | (illegal >= illegal_threshold))
        .subquery()
    )


async def reported_page(conn: AsyncConnection, *, threshold: int, illegal_threshold: int, limit: int) -> list[Row[Any]]:
    """The reported folder: replies (not rejected) with enough open reports, first reported first. Each row has the
    reply's public fields, its status and the counts; never the author's email."""
    folder = _reported(threshold, illegal_threshold)
    query: Any = (
        select(
            comments.c.id,
            comments.c.article_id,
            comments.c.name,
            comments.c.body,
            comments.c.status,
            comments.c.created_at,
            folder.c.report_count,
            folder.c.illegal_count,
            folder.c.first_reported_at,
        )
        .join(folder, folder.c.comment_id == comments.c.id)
        # A reply its author deleted has no text left to judge (a decision on it is a 409): it leaves the folder.
        .where(comments.c.status != "rejected", comments.c.deleted_at.is_(None))
        .order_by(folder.c.first_reported_at, comments.c.id)
        .limit(limit)
    )
    return list((await conn.execute(query)).all())


async def open_reports_of(conn: AsyncConnection, comment_ids: Sequence[uuid.UUID]) -> list[Row[Any]]:
    """The open reports of these replies, oldest first: reason, explanation, whether a contact was given. The
    contact email itself is not selected."""
    if not comment_ids:
        return []
    query = (
        select(
            reports.c.id,
            reports.c.comment_id,
            reports.c.reason,
            reports.c.explanation,
            reports.c.contact_email.is_not(None).label("has_contact"),
            reports.c.created_at,
        )
        .where(reports.c.comment_id.in_(list(comment_ids)), reports.c.resolution.is_(None))
        .order_by(reports.c.created_at, reports.c.id)
    )
    return list((await conn.execute(query)).all())


async def resolve_open(
    conn: AsyncConnection,
    comment_id: uuid.UUID,
    *,
    resolution: str,
    confirmed_reason: str | None,
    decision_id: uuid.UUID,
    moderator_id: int,
    now: datetime,
) -> int:
    """Close the reply's open reports with the moderator's resolution and decision; those giving `confirmed_reason`
    are marked confirmed. Returns how many were closed (0: none was open, someone resolved them first)."""
    confirmed = reports.c.reason == confirmed_reason if confirmed_reason is not None else False
    closed = await conn.execute(
        update(reports)
        .where(reports.c.comment_id == comment_id, reports.c.resolution.is_(None))
        .values(
            resolution=resolution,
            confirmed=confirmed,
            decision_id=decision_id,
            moderator_id=moderator_id,
            resolved_at=now,
        )
    )
    return int(closed.rowcount)


async def open_reasons(conn: AsyncConnection, comment_id: uuid.UUID) -> set[str]:
    query = select(reports.c.reason).where(reports.c.comment_id == comment_id, reports.c.resolution.is_(None))
    return {str(reason) for reason in (await conn.execute(query)).scalars()}
