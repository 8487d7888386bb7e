"""SQL for articles: created on a first reply, described by an operator or a page, counted for readers. Runs inside
the caller's transaction; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.database import note_article_changed
from service.storage.tables import articles, comments


async def get_article(conn: AsyncConnection, article_id: str) -> Row[Any] | None:
    return (await conn.execute(select(articles).where(articles.c.id == article_id))).first()


async def ensure_article(conn: AsyncConnection, article_id: str, *, now: datetime) -> Row[Any]:
    """The article, created `open` on its first reply; safe when two first replies race."""
    return (await ensure_articles(conn, [article_id], now=now))[article_id]


async def ensure_articles(
    conn: AsyncConnection, article_ids: Iterable[str], *, now: datetime, lock: bool = False
) -> dict[str, Row[Any]]:
    """The articles by id, creating the missing ones `open`: one SELECT when they all exist, three at most.

    With `lock`, their rows stay locked until the transaction ends (see lock_article_of).
    """
    wanted = sorted(set(article_ids))
    query = _BY_IDS_LOCKED if lock else _BY_IDS
    found = {row.id: row for row in (await conn.execute(query, {"ids": wanted})).all()}
    missing = [id_ for id_ in wanted if id_ not in found]
    if missing:
        dialect = conn.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = [{"id": id_, "status": "open", "created_at": now, "updated_at": now} for id_ in missing]
        # DO NOTHING: a racing first reply (another worker) may have created it since the SELECT.
        await conn.execute(insert(articles).on_conflict_do_nothing(index_elements=["id"]), values)
        found.update({row.id: row for row in (await conn.execute(query, {"ids": missing})).all()})
    return found


def _locked(query: Any, lock: bool) -> Any:
    # FOR NO KEY UPDATE on PostgreSQL (in id order, so two writers never lock a pair of articles in opposite orders);
    # SQLite has a single writer and ignores it. NO KEY: inserts elsewhere that only reference the row still pass.
    return query.with_for_update(key_share=True) if lock else query


# Built once, with the ids as an expanding parameter: every batch of replies reads its articles, and building the
# statement and its cache key each time cost ~30 us of the writer's time (docs/performance.md).
_BY_IDS = select(articles).where(articles.c.id.in_(bindparam("ids", expanding=True))).order_by(articles.c.id)
_BY_IDS_LOCKED = _locked(_BY_IDS, True)


async def lock_articles(conn: AsyncConnection, article_ids: Iterable[str]) -> None:
    """Lock these articles' rows until the transaction ends, in id order (see lock_article_of)."""
    wanted = set(article_ids)
    if wanted:
        await conn.execute(
            _locked(select(articles.c.id).where(articles.c.id.in_(wanted)).order_by(articles.c.id), True)
        )


async def lock_article_of(conn: AsyncConnection, comment_id: uuid.UUID) -> str | None:
    """Lock the row of the comment's article; its id, or None for an unknown comment.

    The article's row guards the shape of its threads: a moderator's decision (which may hide or show a whole
    subtree), a batch of new replies (which checks its parents are shown) and an erasure lock it before any comment
    row, so on PostgreSQL a reply can never attach under a comment whose take-down is committing at the same moment,
    and no two of them wait on each other's comment and article rows in opposite orders.
    """
    of_comment = select(comments.c.article_id).where(comments.c.id == comment_id).scalar_subquery()
    query = _locked(select(articles.c.id).where(articles.c.id == of_comment), True)
    found = (await conn.execute(query)).scalar_one_or_none()
    return None if found is None else str(found)


async def existing_articles(conn: AsyncConnection, article_ids: Iterable[str]) -> set[str]:
    """Which of these articles exist: one query."""
    wanted = set(article_ids)
    if not wanted:
        return set()
    return set((await conn.execute(select(articles.c.id).where(articles.c.id.in_(wanted)))).scalars())


async def upsert_article(conn: AsyncConnection, article_id: str, *, now: datetime, **fields: Any) -> Row[Any]:
    await ensure_article(conn, article_id, now=now)
    if fields:
        await conn.execute(update(articles).where(articles.c.id == article_id).values(updated_at=now, **fields))
    row = await get_article(conn, article_id)
    assert row is not None
    return row


async def fill_page_metadata(
    conn: AsyncConnection, article_id: str, *, title: str | None, url: str | None, now: datetime
) -> bool:
    """Fill the article's empty title and URL with what its page said; whether anything was written.

    First writer wins, field by field: a value already set is never replaced, and nothing is written once an operator
    described the article. Anyone can post a page's data attributes, so a spammer must not be able to rename an
    article after the spam (to make it look relevant); only a value nobody has set yet is open to the page. One
    conditional UPDATE, so a racing operator PUT or another first reply cannot be overwritten either.
    """
    if title is None and url is None:
        return False
    wanted = []
    if title is not None:
        wanted.append(articles.c.title.is_(None))
    if url is not None:
        wanted.append(articles.c.url.is_(None))
    result = await conn.execute(
        update(articles)
        .where(
            articles.c.id == article_id,
            or_(articles.c.metadata_source.is_(None), articles.c.metadata_source == "page"),
            or_(*wanted),
        )
        .values(
            title=func.coalesce(articles.c.title, title),
            url=func.coalesce(articles.c.url, url),
            metadata_source="page",
            updated_at=now,
        )
    )
    return bool(result.rowcount)


@dataclass(frozen=True, slots=True)
class ArticleContext:
    """What is known about an article, for scoring a reply's relevance. metadata_source says how far to trust it:
    `operator` (registered), `page` (from the article page, unverified) or None (nothing known)."""

    article_id: str
    title: str | None
    url: str | None
    excerpt: str | None
    metadata_source: str | None


async def article_context(conn: AsyncConnection, article_id: str) -> ArticleContext | None:
    """The article's title, URL, excerpt and their source; None for an article nobody has replied to or set."""
    query = select(
        articles.c.id, articles.c.title, articles.c.url, articles.c.excerpt, articles.c.metadata_source
    ).where(articles.c.id == article_id)
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return ArticleContext(
        article_id=row.id, title=row.title, url=row.url, excerpt=row.excerpt, metadata_source=row.metadata_source
    )


async def change_published(conn: AsyncConnection, article_id: str, *, delta: int, now: datetime) -> None:
    """Keep the published count and the reader ETag revision in step with a change of published comments."""
    note_article_changed(conn, article_id)
    await conn.execute(
        update(articles)
        .where(articles.c.id == article_id)
        .values(
            published_count=articles.c.published_count + delta,
            revision=articles.c.revision + 1,
            updated_at=now,
        )
    )
