"""What imports brought in, by source id (tables.imported_items): the look-ups that make a re-import change nothing
and let a reply find its parent from an earlier batch or an earlier run."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import comments, decisions, imported_items


@dataclass(frozen=True, slots=True)
class ImportedPlace:
    """Where an imported reply sits: what a reply to it needs to know. `comment_id` None: erased or purged since."""

    comment_id: uuid.UUID | None
    article_id: str | None
    root_id: uuid.UUID | None = None
    depth: int = 0
    hidden_ancestors: int = 0
    status: str = "rejected"


async def known_source_ids(conn: AsyncConnection, source: str, kind: str, source_ids: Collection[str]) -> set[str]:
    if not source_ids:
        return set()
    query = select(imported_items.c.source_id).where(
        imported_items.c.source == source, imported_items.c.kind == kind, imported_items.c.source_id.in_(source_ids)
    )
    return set((await conn.execute(query)).scalars())


async def imported_articles(conn: AsyncConnection, source: str, source_ids: Collection[str]) -> dict[str, str]:
    """Source id -> replyguard article id, for the articles of `source_ids` imported before."""
    if not source_ids:
        return {}
    query = select(imported_items.c.source_id, imported_items.c.article_id).where(
        imported_items.c.source == source,
        imported_items.c.kind == "article",
        imported_items.c.source_id.in_(source_ids),
    )
    return {row.source_id: row.article_id for row in (await conn.execute(query)).all()}


async def imported_places(conn: AsyncConnection, source: str, source_ids: Collection[str]) -> dict[str, ImportedPlace]:
    """Source id -> where that imported reply is now, for those of `source_ids` imported before."""
    if not source_ids:
        return {}
    query = (
        select(
            imported_items.c.source_id,
            imported_items.c.comment_id,
            imported_items.c.article_id,
            comments.c.root_id,
            comments.c.depth,
            comments.c.hidden_ancestors,
            comments.c.status,
        )
        .select_from(imported_items.outerjoin(comments, comments.c.id == imported_items.c.comment_id))
        .where(
            imported_items.c.source == source,
            imported_items.c.kind == "comment",
            imported_items.c.source_id.in_(source_ids),
        )
    )
    places: dict[str, ImportedPlace] = {}
    for row in (await conn.execute(query)).all():
        if row.status is None:  # erased or purged: its replies go to the top level
            places[row.source_id] = ImportedPlace(comment_id=None, article_id=row.article_id)
        else:
            places[row.source_id] = ImportedPlace(
                row.comment_id, row.article_id, row.root_id, row.depth, row.hidden_ancestors, row.status
            )
    return places


async def existing_places(conn: AsyncConnection, comment_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ImportedPlace]:
    """Where the replies of these ids sit, for those that exist (replies a site's plugin already sent)."""
    if not comment_ids:
        return {}
    query = select(
        comments.c.id, comments.c.article_id, comments.c.root_id, comments.c.depth, comments.c.hidden_ancestors,
        comments.c.status,
    ).where(comments.c.id.in_(comment_ids))  # fmt: skip
    return {
        row.id: ImportedPlace(row.id, row.article_id, row.root_id, row.depth, row.hidden_ancestors, row.status)
        for row in (await conn.execute(query)).all()
    }


async def insert_items(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(imported_items.insert(), list(rows))


async def imported_labels(conn: AsyncConnection, *, limit: int) -> Sequence[Any]:
    """Imported replies an operator gave as labels (`replyguard import --as-labels`), with the status they came with,
    newest first."""
    query = (
        select(
            comments.c.id,
            comments.c.body,
            comments.c.name,
            comments.c.website,
            comments.c.article_id,
            decisions.c.to_status,
            decisions.c.reason,
            decisions.c.created_at,
        )
        .select_from(
            imported_items.join(comments, comments.c.id == imported_items.c.comment_id).join(
                decisions, (decisions.c.comment_id == comments.c.id) & (decisions.c.actor == "import")
            )
        )
        .where(imported_items.c.as_label.is_(True), imported_items.c.kind == "comment", comments.c.deleted_at.is_(None))
        .order_by(comments.c.created_at.desc(), comments.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(query)).all()
