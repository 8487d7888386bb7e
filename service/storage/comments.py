"""SQL for comments, their decisions and the idempotency keys of submissions. Runs inside the caller's transaction;
never commits."""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Row, Select, bindparam, case, func, literal, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.cursor import Cursor
from service.storage.planner import Likely
from service.storage.tables import comment_revisions, comments, decisions, idempotency_keys, reports

# What readers may see: selecting only these keeps private columns out of reach and skips decoding the rest.
# deleted_at: a reply its author deleted is shown as a placeholder while published replies hang under it.
PUBLIC_COLUMNS = (
    comments.c.id,
    comments.c.parent_id,
    comments.c.name,
    comments.c.body,
    comments.c.created_at,
    comments.c.deleted_at,
)
# Which comments readers see: published, under published ancestors only (views.shown_to_readers says it for a row).
# For SQLite, the status is written into the SQL rather than bound, so a partial index on published rows qualifies,
# and marked likely, so it does not draw the planner to the queue index (planner.Likely).
SHOWN = (Likely(comments.c.status == literal("published", literal_execute=True)), comments.c.hidden_ancestors == 0)


# What a moderator's queue item shows (domain/views.queue_item): decoding only these keeps a page of 20 cheap.
QUEUE_COLUMNS = (
    comments.c.id, comments.c.article_id, comments.c.parent_id, comments.c.name, comments.c.email,
    comments.c.website, comments.c.body, comments.c.status, comments.c.created_at, comments.c.spam_score,
    comments.c.abuse_score, comments.c.model_version, comments.c.reasons, comments.c.language, comments.c.edited_at,
)  # fmt: skip


async def parent_body(conn: AsyncConnection, parent_id: uuid.UUID | None, *, article_id: str) -> str | None:
    """The body of the reply being answered, if it is a published comment of this article (what readers saw)."""
    if parent_id is None:
        return None
    query = select(comments.c.body).where(comments.c.id == parent_id, comments.c.article_id == article_id, *SHOWN)
    return (await conn.execute(query)).scalar_one_or_none()


async def get_comment(conn: AsyncConnection, comment_id: uuid.UUID, *, lock: bool = False) -> Row[Any] | None:
    query = select(comments).where(comments.c.id == comment_id)
    if lock:
        query = query.with_for_update()
    return (await conn.execute(query)).first()


async def get_comments(conn: AsyncConnection, comment_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    wanted = list(set(comment_ids))
    if not wanted:
        return {}
    return {row.id: row for row in (await conn.execute(_BY_IDS, {"ids": wanted})).all()}


# Built once (expanding parameters): each batch of replies runs these, and building a statement and its cache key
# cost ~30 us of the writer's time each (docs/performance.md).
_BY_IDS = select(comments).where(comments.c.id.in_(bindparam("ids", expanding=True)))


async def insert_comments(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """One statement for the whole list (executemany)."""
    await conn.execute(comments.insert(), list(rows))


async def set_status(conn: AsyncConnection, comment_id: uuid.UUID, *, status: str, now: datetime) -> None:
    await conn.execute(update(comments).where(comments.c.id == comment_id).values(status=status, updated_at=now))


async def insert_decision(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await insert_decisions(conn, [values])


async def insert_decisions(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await conn.execute(decisions.insert(), list(rows))


async def decision_history(conn: AsyncConnection, comment_id: uuid.UUID) -> Sequence[Row[Any]]:
    query = (
        select(decisions).where(decisions.c.comment_id == comment_id).order_by(decisions.c.created_at, decisions.c.id)
    )
    return (await conn.execute(query)).all()


def _after(cursor: Cursor | None, *, newest_first: bool) -> Any:
    if cursor is None:
        return None
    key = tuple_(comments.c.created_at, comments.c.id)
    return key < tuple_(*cursor) if newest_first else key > tuple_(*cursor)


def _ordered(query: Any, *, newest_first: bool) -> Any:
    if newest_first:
        return query.order_by(comments.c.created_at.desc(), comments.c.id.desc())
    return query.order_by(comments.c.created_at, comments.c.id)


async def published_top_level(
    conn: AsyncConnection, article_id: str, *, cursor: Cursor | None, limit: int, newest_first: bool
) -> Sequence[Row[Any]]:
    """One page (plus one row, to tell whether more follow) of published top-level comments, by keyset."""
    query = select(*PUBLIC_COLUMNS).where(
        comments.c.article_id == article_id, comments.c.status == "published", comments.c.parent_id.is_(None)
    )
    after = _after(cursor, newest_first=newest_first)
    if after is not None:
        query = query.where(after)
    query = _ordered(query, newest_first=newest_first).limit(limit + 1)
    return (await conn.execute(query)).all()


async def article_comments_after(
    conn: AsyncConnection, article_id: str, cursor: Cursor | None, *, limit: int
) -> Sequence[Row[Any]]:
    """One article's replies of every status, oldest first, after `cursor` (the export; ix_comments_article_time)."""
    query = select(comments).where(comments.c.article_id == article_id)
    if (after := _after(cursor, newest_first=False)) is not None:
        query = query.where(after)
    return (await conn.execute(_ordered(query, newest_first=False).limit(limit))).all()


async def published_replies(conn: AsyncConnection, root_ids: Sequence[uuid.UUID]) -> Sequence[Row[Any]]:
    """Every reply readers see below the given top-level comments, oldest first, in one query."""
    if not root_ids:
        return []
    return (await conn.execute(published_replies_query(root_ids))).all()


def published_replies_query(root_ids: Sequence[uuid.UUID]) -> Any:
    # Read through ix_comments_published_replies (root_id first; tests/storage/test_query_plans.py). Left to guess,
    # SQLite walked the queue index over every published comment of the site in date order, a cost that grows with
    # the site: a page of the benchmark's 10,000-reply thread took 5.9 ms in process, 2.5 ms through the index.
    return (
        select(*PUBLIC_COLUMNS)
        .where(comments.c.root_id.in_(root_ids), *SHOWN)
        .order_by(comments.c.created_at, comments.c.id)
    )


def _in_subtree(comment_id: uuid.UUID) -> Any:
    """Whether a comment is in the subtree under `comment_id` (not itself): a recursive walk down parent_id, indexed."""
    below = select(comments.c.id).where(comments.c.parent_id == comment_id).cte("below", recursive=True)
    child = comments.alias("child")
    below = below.union_all(select(child.c.id).where(child.c.parent_id == below.c.id))
    return comments.c.id.in_(select(below.c.id))


async def shift_hidden_below(conn: AsyncConnection, comment_id: uuid.UUID, *, step: int) -> int:
    """Add `step` to the hidden-ancestor count of every comment below this one: +1 when it stops being published,
    -1 when it is published again. Returns how many published comments that hid (+1) or showed (-1) to readers.

    Two statements on the subtree alone, whatever the size of the article; the caller holds the article's lock.
    """
    crossing = 0 if step > 0 else 1  # the count a shown comment leaves, or a hidden one comes back to 0 from
    count = (
        select(func.count())
        .select_from(comments)
        .where(
            _in_subtree(comment_id),
            comments.c.status == "published",
            comments.c.hidden_ancestors == crossing,
            comments.c.deleted_at.is_(None),  # its author's delete already took it out of the count
        )
    )
    crossed = int((await conn.execute(count)).scalar_one())
    await conn.execute(
        update(comments).where(_in_subtree(comment_id)).values(hidden_ancestors=comments.c.hidden_ancestors + step)
    )
    return crossed


async def ancestors_at_depth(
    conn: AsyncConnection, comment_ids: Iterable[uuid.UUID], *, depth: int
) -> dict[uuid.UUID, uuid.UUID]:
    """For each comment deeper than `depth`, its ancestor at `depth`: one recursive walk up parent_id.

    Only replies to comments stored deeper than the depth limit (before it existed, or before it was lowered) need it.
    """
    wanted = set(comment_ids)
    if not wanted:
        return {}
    start = (
        select(
            comments.c.id.label("start"),
            comments.c.id.label("id"),
            comments.c.parent_id.label("parent_id"),
            comments.c.depth.label("depth"),
        )
        .where(comments.c.id.in_(wanted))
        .cte("up", recursive=True)
    )
    parent = comments.alias("parent")
    up = start.union_all(
        select(start.c.start, parent.c.id, parent.c.parent_id, parent.c.depth).where(
            parent.c.id == start.c.parent_id, start.c.depth > depth
        )
    )
    query = select(up.c.start, up.c.id).where(up.c.depth == depth, up.c.start != up.c.id)
    return {row.start: row.id for row in (await conn.execute(query)).all()}


async def queue_page(
    conn: AsyncConnection,
    *,
    status: str,
    article_id: str | None,
    cursor: Cursor | None,
    limit: int,
    language: str | None = None,
) -> Sequence[Row[Any]]:
    """Oldest first, so nothing waits forever at the bottom of the queue; of one article and one language when
    given."""
    query = _queue_statement(by_article=article_id is not None, by_language=language is not None, after=bool(cursor))
    values: dict[str, Any] = {"status": status, "article_id": article_id, "language": language, "row_limit": limit + 1}
    if cursor is not None:
        values["after_created_at"], values["after_id"] = cursor
    rows: Sequence[Row[Any]] = (await conn.execute(query, values)).all()
    return rows


# The queue is what moderators click all day. Its few shapes are built once with bound parameters, so a request
# skips building the statement (most of SQLAlchemy's per-query CPU) and reuses the compiled SQL from the cache.
@functools.cache
def _queue_statement(*, by_article: bool, by_language: bool, after: bool) -> Select[Any]:
    query = _in_folder(select(*QUEUE_COLUMNS), bindparam("status"), by_article=by_article, by_language=by_language)
    if after:
        position = tuple_(
            bindparam("after_created_at", type_=comments.c.created_at.type),
            bindparam("after_id", type_=comments.c.id.type),
        )
        query = query.where(tuple_(comments.c.created_at, comments.c.id) > position)
    ordered: Select[Any] = _ordered(query, newest_first=False)
    return ordered.limit(bindparam("row_limit", type_=Integer()))


def _in_folder(query: Select[Any], status: Any, *, by_article: bool, by_language: bool) -> Select[Any]:
    """A queue folder: one status (a value or a bound parameter), of one article and one language when asked (bound
    as `article_id` and `language`); never a reply its author deleted."""
    query = query.where(comments.c.status == status, comments.c.deleted_at.is_(None))
    if by_article:
        query = query.where(comments.c.article_id == bindparam("article_id"))
    if by_language:
        query = query.where(comments.c.language == bindparam("language"))
    return query


# Per email, how many of its comments are in each status: one grouped query on (email, status) for a whole page.
_AUTHOR_HISTORY = (
    select(comments.c.email, comments.c.status, func.count())
    .where(comments.c.email.in_(bindparam("emails", expanding=True)))
    .group_by(comments.c.email, comments.c.status)
)


async def author_history(conn: AsyncConnection, emails: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per email, how many of its comments are in each status: one grouped query for a whole page. The empty address
    of imported replies that came without one is nobody's: it has no history."""
    known = sorted({email for email in emails if email})
    if not known:
        return {}
    history: dict[str, dict[str, int]] = {}
    for email, status, count in (await conn.execute(_AUTHOR_HISTORY, {"emails": known})).all():
        history.setdefault(email, {})[status] = count
    return history


async def get_idempotent(conn: AsyncConnection, key: str) -> Row[Any] | None:
    query = select(idempotency_keys).where(idempotency_keys.c.key == key)
    return (await conn.execute(query)).first()


async def insert_idempotent(conn: AsyncConnection, rows: Sequence[dict[str, Any]], *, expired_before: datetime) -> None:
    """Store the answers for these keys. An expired earlier use of a key is dropped first; a live one is kept, so a
    racing second use fails on the primary key (IntegrityError) and is answered from the first."""
    if not rows:
        return
    keys = [row["key"] for row in rows]
    expired = idempotency_keys.c.created_at < expired_before
    await conn.execute(idempotency_keys.delete().where(idempotency_keys.c.key.in_(keys), expired))
    await conn.execute(idempotency_keys.insert(), list(rows))


def body_key(body: str) -> str:
    """A body's key for the duplicate check (comments.body_hash): 128 bits of its SHA-256."""
    return hashlib.sha256(body.encode()).hexdigest()[:32]


async def recent_bodies(
    conn: AsyncConnection, keys: Iterable[str], *, since: datetime, excluding: uuid.UUID | None = None
) -> set[tuple[str, str]]:
    """Which of these body keys were sent since `since`, and on which articles, as (article_id, key) pairs: one
    query on the body index. Whoever sent them: the answer must not depend on who the sender claims to be.
    `excluding`: a reply being edited is no copy of itself."""
    wanted = list(set(keys))
    if not wanted:
        return set()
    query = _RECENT_BODIES if excluding is None else _RECENT_BODIES.where(comments.c.id != excluding)
    rows = (await conn.execute(query, {"keys": wanted, "since": since})).all()
    return {(row.article_id, row.body_hash) for row in rows}


_RECENT_BODIES = (
    select(comments.c.article_id, comments.c.body_hash)
    .where(
        comments.c.body_hash.in_(bindparam("keys", expanding=True)),
        comments.c.created_at >= bindparam("since", type_=comments.c.created_at.type),
    )
    .distinct()
)


async def pending_backlog(conn: AsyncConnection) -> tuple[int, datetime | None]:
    """How many replies wait for a person, and when the oldest of them arrived: one read of the queue index."""
    query = select(func.count(), func.min(comments.c.created_at)).where(
        comments.c.status == "pending", comments.c.deleted_at.is_(None)
    )
    count, oldest = (await conn.execute(query)).one()
    if isinstance(oldest, str):  # SQLite's aggregate of a DateTime column is its stored text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), oldest


async def decisions_since(conn: AsyncConnection, *, since: datetime) -> dict[str, int]:
    """How many decisions since `since`, by who made them (model, moderator)."""
    query = select(decisions.c.actor, func.count()).where(decisions.c.created_at >= since).group_by(decisions.c.actor)
    return {str(actor): int(count) for actor, count in (await conn.execute(query)).all()}


async def folder_counts(
    conn: AsyncConnection, *, statuses: Sequence[str], article_id: str | None, language: str | None, cap: int
) -> dict[str, int]:
    """How many comments are in each of these statuses (of one article and one language, or all), counted up to
    `cap` + 1: the console's folder counts. Counting a folder whole costs a walk of its index, which grows with the
    site (1M comments: the published folder alone is most of them); stopping at the cap keeps every page view
    bounded, and a person cannot work through more than that in one sitting anyway. One statement."""

    query = _folder_counts_statement(
        tuple(statuses), by_article=article_id is not None, by_language=language is not None
    )
    values = {"article_id": article_id, "language": language, "cap": cap + 1}
    row = (await conn.execute(query, values)).one()
    return {status: int(count) for status, count in zip(statuses, row, strict=True)}


@functools.cache
def _folder_counts_statement(statuses: tuple[str, ...], *, by_article: bool, by_language: bool) -> Select[Any]:
    """The folder counts' statement, built once per shape (like the queue's): a capped count per status."""

    def capped(status: str) -> Any:
        members = _in_folder(select(literal(1)), status, by_article=by_article, by_language=by_language)
        limited = members.limit(bindparam("cap", type_=Integer())).subquery()
        return select(func.count()).select_from(limited).scalar_subquery()

    return select(*(capped(status).label(status) for status in statuses))


async def last_decision_by(conn: AsyncConnection, moderator_id: int) -> Row[Any] | None:
    query = (
        select(decisions)
        .where(decisions.c.actor == "moderator", decisions.c.moderator_id == moderator_id)
        .order_by(decisions.c.created_at.desc(), decisions.c.id.desc())
        .limit(1)
    )
    return (await conn.execute(query)).first()


async def automatic_outcomes(conn: AsyncConnection, *, since: datetime) -> dict[str, int]:
    """How the model's own decisions on new replies split between statuses since `since` (the console's model page)."""
    query = (
        select(decisions.c.to_status, func.count())
        .where(decisions.c.actor == "model", decisions.c.from_status.is_(None), decisions.c.created_at >= since)
        .group_by(decisions.c.to_status)
    )
    return {str(status): int(count) for status, count in (await conn.execute(query)).all()}


# The higher of a comment's two scores (unscored counts as 0): the console's "riskiest first" order.
RISK = case(
    (func.coalesce(comments.c.spam_score, 0.0) >= func.coalesce(comments.c.abuse_score, 0.0),
     func.coalesce(comments.c.spam_score, 0.0)),
    else_=func.coalesce(comments.c.abuse_score, 0.0),
)  # fmt: skip


async def riskiest_page(
    conn: AsyncConnection, *, status: str, article_id: str | None, offset: int, limit: int, language: str | None = None
) -> Sequence[Row[Any]]:
    """A page of a queue folder, highest score first (ties oldest first); by offset, as the order has no index.

    Meant for the pending folder a person works through, which stays small; deep pages of a huge folder are slower.
    """
    query = _in_folder(
        select(*QUEUE_COLUMNS), status, by_article=article_id is not None, by_language=language is not None
    )
    query = query.order_by(RISK.desc(), comments.c.created_at, comments.c.id).offset(offset).limit(limit + 1)
    rows: Sequence[Row[Any]] = (await conn.execute(query, {"article_id": article_id, "language": language})).all()
    return rows


async def moderator_decisions(
    conn: AsyncConnection, *, limit: int
) -> Sequence[Row[Any, Any, Any, Any, Any, Any, Any, Any, Any]]:
    """People's decisions with the text they judged, newest first (a comment decided twice appears twice): what
    training learns from moderators. `confirmed_reason`: for a take-down on readers' reports, the report reason the
    moderator confirmed (None when they confirmed none, and for every other decision)."""
    confirmed = (
        select(reports.c.reason)
        .where(reports.c.decision_id == decisions.c.id, reports.c.confirmed.is_(True))
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            decisions.c.comment_id,
            decisions.c.to_status,
            decisions.c.reason,
            comments.c.body,
            comments.c.name,
            comments.c.website,
            comments.c.article_id,
            decisions.c.created_at,
            confirmed.label("confirmed_reason"),
        )
        .join(comments, comments.c.id == decisions.c.comment_id)
        .where(
            decisions.c.actor == "moderator",
            # A person judged the text the reply had then: once its author edited or deleted it, the stored body is
            # not what they judged, and is no label for it.
            or_(comments.c.edited_at.is_(None), comments.c.edited_at < decisions.c.created_at),
            comments.c.deleted_at.is_(None),
        )
        .order_by(decisions.c.created_at.desc(), decisions.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(query)).all()


async def replace_body(conn: AsyncConnection, comment_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Store an edited reply's new text with what it was decided on (status, scores, reasons, language)."""
    await conn.execute(update(comments).where(comments.c.id == comment_id).values(**values))


async def mark_deleted(conn: AsyncConnection, comment_id: uuid.UUID, *, now: datetime) -> None:
    """Its author deleted it: the text leaves the row (it is in comment_revisions), the status stays."""
    await conn.execute(
        update(comments)
        .where(comments.c.id == comment_id)
        .values(body="", body_hash=None, deleted_at=now, updated_at=now)
    )


async def insert_revision(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(comment_revisions.insert(), values)


async def revisions_of(conn: AsyncConnection, comment_id: uuid.UUID) -> Sequence[Row[Any]]:
    """The texts a reply had before its author's edits and delete, oldest first."""
    query = (
        select(comment_revisions)
        .where(comment_revisions.c.comment_id == comment_id)
        .order_by(comment_revisions.c.created_at, comment_revisions.c.id)
    )
    return (await conn.execute(query)).all()


async def rejected_by_person(conn: AsyncConnection, comment_id: uuid.UUID) -> bool:
    """Whether the latest person's decision on this reply rejected it (an edit does not undo a moderator's no)."""
    query = (
        select(decisions.c.to_status)
        .where(decisions.c.comment_id == comment_id, decisions.c.actor == "moderator")
        .order_by(decisions.c.created_at.desc(), decisions.c.id.desc())
        .limit(1)
    )
    return (await conn.execute(query)).scalar_one_or_none() == "rejected"
