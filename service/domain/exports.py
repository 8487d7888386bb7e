"""`replyguard export`: everything a site owns, as replyguard's JSON lines or as WordPress WXR, written as it is read
(page by page, so memory does not grow with the site).

JSON lines hold every article and every reply with its whole decision history; `replyguard import replyguard FILE`
reads them back. WXR is for WordPress (Tools > Import) and for `replyguard import wordpress`: articles become posts,
replies comments with WordPress's statuses (published 1, pending 0, rejected spam or trash). WordPress has no place for
a reply its author deleted: those are left out, and replies under them go to the top level there.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from service.formats import jsonl, wxr
from service.storage import comments as comment_store
from service.storage import exports as export_store
from service.storage.database import Database

PAGE = 1_000
FORMATS = ("jsonl", "wxr")


class UnknownArticle(Exception):
    pass


async def export_jsonl(db: Database, *, article_id: str | None = None) -> AsyncIterator[bytes]:
    yield jsonl.header_line(datetime.now(UTC))
    async for article in _articles(db, article_id):
        yield jsonl.article_line(
            {
                "id": article.id,
                "status": article.status,
                "title": article.title,
                "url": article.url,
                "created_at": article.created_at.isoformat(),
            }
        )
    async for rows, decisions in _comment_pages(db, article_id):
        for row in rows:
            yield jsonl.comment_line(_comment_record(row, decisions.get(row.id, [])))


async def export_wxr(db: Database, *, site_url: str, article_id: str | None = None) -> AsyncIterator[bytes]:
    yield wxr.head(site_url, datetime.now(UTC)).encode()
    post_number = 0
    comment_number = 0
    async for article in _articles(db, article_id):
        post_number += 1
        yield wxr.item_open(post_number, article, site_url).encode()
        numbers: dict[uuid.UUID, int] = {}  # this article's replies: WordPress numbers comments, parents by number
        async for rows, decisions in _comment_pages(db, article.id):
            for row in rows:
                if row.deleted_at is not None:
                    continue
                comment_number += 1
                numbers[row.id] = comment_number
                history = decisions.get(row.id, [])
                reason = history[-1].reason if history else None
                parent = numbers.get(row.parent_id, 0) if row.parent_id else 0
                yield wxr.comment(comment_number, parent, row, reason).encode()
        yield wxr.ITEM_CLOSE.encode()
    yield wxr.WXR_TAIL.encode()


async def _articles(db: Database, only: str | None) -> AsyncIterator[Any]:
    after: str | None = None
    found = False
    while True:
        async with db.read() as conn:
            page = await export_store.articles_after(conn, after, limit=PAGE, only=only)
        for article in page:
            found = True
            yield article
        if len(page) < PAGE:
            break
        after = page[-1].id
    if only is not None and not found:
        raise UnknownArticle(only)


async def _comment_pages(
    db: Database, article_id: str | None
) -> AsyncIterator[tuple[list[Any], dict[uuid.UUID, list[Any]]]]:
    """Replies a page at a time with their decisions: every reply by id, or one article's oldest first."""
    after: Any = None
    while True:
        async with db.read() as conn:
            if article_id is None:
                rows = list(await export_store.comments_after(conn, after, limit=PAGE))
            else:
                rows = list(await comment_store.article_comments_after(conn, article_id, after, limit=PAGE))
            decisions = await export_store.decisions_of(conn, [row.id for row in rows])
        yield rows, decisions
        if len(rows) < PAGE:
            return
        after = rows[-1].id if article_id is None else (rows[-1].created_at, rows[-1].id)


def _comment_record(row: Any, decisions: list[Any]) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "article_id": row.article_id,
        "parent_id": str(row.parent_id) if row.parent_id else None,
        "name": row.name,
        "email": row.email or None,
        "website": row.website,
        "body": row.body,
        "status": row.status,
        "created_at": row.created_at.isoformat(),
        "edited_at": row.edited_at.isoformat() if row.edited_at else None,
        "deleted_at": row.deleted_at.isoformat() if row.deleted_at else None,
        "language": row.language,
        "decisions": [
            {
                "actor": decision.actor,
                "moderator": decision.moderator_name,
                "from_status": decision.from_status,
                "to_status": decision.to_status,
                "reason": decision.reason,
                "note": decision.note,
                "spam_score": decision.spam_score,
                "abuse_score": decision.abuse_score,
                "model_version": decision.model_version,
                "created_at": decision.created_at.isoformat(),
            }
            for decision in decisions
        ],
    }
