"""Use cases of article pages and readers: submit a reply, list a thread, count. Each owns one transaction."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy.exc import IntegrityError

from classifier import Submission
from service import store
from service.cursor import decode_cursor, encode_cursor
from service.database import Database
from service.errors import ArticleClosed, Conflict, invalid
from service.ids import new_id
from service.policy import accepts_replies, count_links, decide
from service.scoring import ScoringState
from service.validation import NewComment
from service.views import CommentPage, CreatedComment, PublicComment, created_view, public_view

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubmitOptions:
    max_links: int
    idempotency_ttl: timedelta
    # A repeat of the same body from the same email within this window waits for a person (a double post or a
    # spam run); an Idempotency-Key retry never gets here, it is answered from the first submission.
    duplicate_window: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Submitted:
    comment: CreatedComment
    replayed: bool  # True when an Idempotency-Key matched an earlier identical submission


def request_fingerprint(article_id: str, new: NewComment) -> str:
    payload = [article_id, new.name, new.email, new.body, str(new.parent_id or ""), new.website or ""]
    return hashlib.sha256(msgspec.json.encode(payload)).hexdigest()


async def _replay(db: Database, key: str, fingerprint: str, *, ttl: timedelta, now: datetime) -> Submitted | None:
    async with db.read() as conn:
        row = await store.get_idempotent(conn, key)
    if row is None or row.created_at < now - ttl:
        return None
    if row.request_hash != fingerprint:
        raise Conflict("This Idempotency-Key was already used with a different submission")
    return Submitted(comment=msgspec.convert(row.response, CreatedComment), replayed=True)


async def submit_comment(
    db: Database,
    scoring: ScoringState,
    *,
    article_id: str,
    new: NewComment,
    options: SubmitOptions,
    idempotency_key: str | None = None,
    honeypot_filled: bool = False,
) -> Submitted:
    """Score, decide and durably store a reply with its automatic decision; returns once the commit succeeded.

    A filled honeypot is stored as rejected (and, like every rejection, answered as pending).
    """
    now = datetime.now(UTC)
    fingerprint = request_fingerprint(article_id, new)
    if idempotency_key is not None:
        replayed = await _replay(db, idempotency_key, fingerprint, ttl=options.idempotency_ttl, now=now)
        if replayed is not None:
            return replayed

    # Scored before the transaction opens: the model needs no database, and the write lock is held briefly.
    scores = scoring.score(
        Submission(
            body=new.body,
            name=new.name,
            website=new.website,
            email_domain=new.email_domain,
            has_parent=new.parent_id is not None,
        )
    )
    try:
        return await _store(
            db, scoring, article_id, new, scores, options, idempotency_key, fingerprint, now, honeypot_filled
        )
    except IntegrityError:
        if idempotency_key is None:
            raise
        # Two requests with the same key raced; the loser answers what the winner stored.
        replayed = await _replay(db, idempotency_key, fingerprint, ttl=options.idempotency_ttl, now=now)
        if replayed is None:
            raise
        return replayed


async def _store(
    db: Database,
    scoring: ScoringState,
    article_id: str,
    new: NewComment,
    scores: Any,
    options: SubmitOptions,
    idempotency_key: str | None,
    fingerprint: str,
    now: datetime,
    honeypot_filled: bool,
) -> Submitted:
    comment_id = new_id()
    async with db.write() as conn:
        article = await store.ensure_article(conn, article_id, now=now)
        if not accepts_replies(article.status):
            raise ArticleClosed("Replies are closed on this article")
        root_id: uuid.UUID | None = None
        if new.parent_id is not None:
            parent = await store.get_comment(conn, new.parent_id)
            if parent is None or parent.article_id != article_id or parent.status != "published":
                raise invalid("parent_id", "must be the id of a published comment of this article")
            root_id = parent.root_id or parent.id
        verdict = decide(
            scores,
            thresholds=scoring.thresholds,
            article_status=article.status,
            link_count=count_links(new.body),
            max_links=options.max_links,
            honeypot_filled=honeypot_filled,
            repeats_recent=bool(options.duplicate_window)
            and await store.repeats_recent(conn, email=new.email, body=new.body, since=now - options.duplicate_window),
        )
        reasons = msgspec.to_builtins(verdict.reasons)
        row = {
            "id": comment_id,
            "article_id": article_id,
            "parent_id": new.parent_id,
            "root_id": root_id,
            "name": new.name,
            "email": new.email,
            "website": new.website,
            "body": new.body,
            "status": verdict.status,
            "spam_score": scores.spam_score if scores else None,
            "abuse_score": scores.abuse_score if scores else None,
            "model_version": scores.model_version if scores else None,
            "reasons": reasons,
            "created_at": now,
            "updated_at": now,
        }
        await store.insert_comment(conn, row)
        await store.insert_decision(
            conn,
            {
                "id": new_id(),
                "comment_id": comment_id,
                "actor": "model",
                "from_status": None,
                "to_status": verdict.status,
                "spam_score": row["spam_score"],
                "abuse_score": row["abuse_score"],
                "model_version": row["model_version"],
                "reasons": reasons,
                "created_at": now,
            },
        )
        if verdict.status == "published":
            await store.change_published(conn, article_id, delta=1, now=now)
        created = created_view(row)
        if idempotency_key is not None:
            await store.delete_idempotent(conn, idempotency_key)  # an expired one, if any
            await store.insert_idempotent(
                conn,
                {
                    "key": idempotency_key,
                    "article_id": article_id,
                    "request_hash": fingerprint,
                    "comment_id": comment_id,
                    "response": msgspec.to_builtins(created),
                    "created_at": now,
                },
            )
    log.info(
        "comment stored",
        extra={"comment_id": str(comment_id), "article_id": article_id, "status": verdict.status},
    )
    return Submitted(comment=created, replayed=False)


async def article_revision(db: Database, article_id: str) -> int:
    """Changes whenever the published comments of the article change; 0 for an article with no replies yet."""
    async with db.read() as conn:
        article = await store.get_article(conn, article_id)
    return int(article.revision) if article is not None else 0


async def list_thread(
    db: Database, article_id: str, *, limit: int, cursor: str | None, newest_first: bool
) -> CommentPage:
    """A page of published top-level comments with their published replies nested; two queries whatever the size."""
    position = decode_cursor(cursor)
    async with db.read() as conn:
        article = await store.get_article(conn, article_id)
        if article is None:
            return CommentPage(items=[], next_cursor=None, total=0)
        rows = await store.published_top_level(
            conn, article_id, cursor=position, limit=limit, newest_first=newest_first
        )
        page = rows[:limit]
        replies = await store.published_replies(conn, [row.id for row in page])
    items = [public_view(row) for row in page]
    nodes: dict[uuid.UUID, PublicComment] = {item.id: item for item in items}
    for reply in replies:
        parent = nodes.get(reply.parent_id)
        if parent is None:
            continue  # its parent was taken down: the branch is hidden with it
        node = public_view(reply)
        parent.replies.append(node)
        nodes[node.id] = node
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return CommentPage(items=items, next_cursor=next_cursor, total=int(article.published_count))


async def count_published(db: Database, article_id: str) -> int:
    async with db.read() as conn:
        article = await store.get_article(conn, article_id)
    return int(article.published_count) if article is not None else 0
