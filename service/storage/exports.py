"""The reads of `replyguard export`: articles and replies page by page in a stable order (keyset), and the decisions
of a page's replies with who made them. Pages keep memory bounded at any size of site."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import articles, comments, decisions, moderators


async def articles_after(
    conn: AsyncConnection, after: str | None, *, limit: int, only: str | None = None
) -> Sequence[Any]:
    query = select(articles).order_by(articles.c.id).limit(limit)
    if after is not None:
        query = query.where(articles.c.id > after)
    if only is not None:
        query = query.where(articles.c.id == only)
    return (await conn.execute(query)).all()


async def comments_after(conn: AsyncConnection, after: uuid.UUID | None, *, limit: int) -> Sequence[Any]:
    """Every reply, by id: time-ordered ids (UUIDv7), so a reply nearly always comes after its parent; the import
    reads a reply before its parent in a second pass."""
    query = select(comments).order_by(comments.c.id).limit(limit)
    if after is not None:
        query = query.where(comments.c.id > after)
    return (await conn.execute(query)).all()


async def decisions_of(conn: AsyncConnection, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    """Each reply's decisions, oldest first, with the moderator's name where a person decided."""
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    if not comment_ids:
        return found
    query = (
        select(decisions, moderators.c.name.label("moderator_name"))
        .select_from(decisions.outerjoin(moderators, moderators.c.id == decisions.c.moderator_id))
        .where(decisions.c.comment_id.in_(comment_ids))
        .order_by(decisions.c.created_at, decisions.c.id)
    )
    for row in (await conn.execute(query)).all():
        found[row.comment_id].append(row)
    return found
