"""Use cases of moderators: the review queue, one item with its history, and decisions (compare-and-set)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from service.domain import emails, events
from service.domain.auth import Moderator
from service.domain.emails import MailPolicy
from service.domain.views import ItemDetail, QueueItem, QueuePage, decision_view, queue_item, revision_view
from service.errors import Conflict, NotFound
from service.ids import new_id
from service.storage import articles as article_store
from service.storage import comments as comment_store
from service.storage.cursor import decode_cursor, encode_cursor
from service.storage.database import Database
from service.storage.tables import STATUSES

ACTIONS = {"approve": "published", "reject": "rejected"}
REJECT_REASONS = ("spam", "abuse", "off_topic", "other")
NOTE_MAX = 1000  # characters of a moderator's note on a decision


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # "approve" | "reject"
    reason: str | None = None
    note: str | None = None
    expected_status: str | None = None


# Who may read the queue, checked inside the queue's own read: the token lookup and the page share one connection
# and one trip to the database thread, instead of one each (the queue is what moderators click all day).
Authorize = Callable[[AsyncConnection], Awaitable[Moderator]]


async def queue(
    db: Database,
    *,
    status: str,
    article_id: str | None,
    cursor: str | None,
    limit: int,
    language: str | None = None,
    authorize: Authorize | None = None,
) -> QueuePage:
    """A page of a folder, oldest first. With `authorize`, the caller is checked first in the same read (its
    Unauthorized or Forbidden propagates and nothing is read)."""
    position = decode_cursor(cursor)

    async def read(conn: AsyncConnection) -> tuple[Sequence[Row[Any]], dict[str, dict[str, int]]]:
        if authorize is not None:
            (await authorize(conn)).require("moderator")
        rows = await comment_store.queue_page(
            conn, status=status, article_id=article_id, cursor=position, limit=limit, language=language
        )
        return rows, await comment_store.author_history(conn, [row.email for row in rows[:limit]])

    rows, history = await db.run_read(read)
    page = rows[:limit]
    items = [queue_item(row, history.get(row.email, {})) for row in page]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return QueuePage(items=items, next_cursor=next_cursor)


async def riskiest_first(
    db: Database, *, status: str, article_id: str | None, offset: int, limit: int, language: str | None = None
) -> tuple[list[QueueItem], int | None]:
    """A page of a folder, highest score first, and the offset of the next page (None at the end)."""

    async def read(conn: AsyncConnection) -> tuple[Sequence[Row[Any]], dict[str, dict[str, int]]]:
        rows = await comment_store.riskiest_page(
            conn, status=status, article_id=article_id, offset=offset, limit=limit, language=language
        )
        return rows, await comment_store.author_history(conn, [row.email for row in rows[:limit]])

    rows, history = await db.run_read(read)
    items = [queue_item(row, history.get(row.email, {})) for row in rows[:limit]]
    return items, offset + limit if len(rows) > limit else None


async def item_detail(db: Database, comment_id: uuid.UUID) -> ItemDetail:
    async with db.read() as conn:
        row = await comment_store.get_comment(conn, comment_id)
        if row is None:
            raise NotFound("No such comment")
        history = await comment_store.author_history(conn, [row.email])
        decisions = await comment_store.decision_history(conn, comment_id)
        revisions = await comment_store.revisions_of(conn, comment_id)
    item: QueueItem = queue_item(row, history.get(row.email, {}))
    return ItemDetail(
        **{f: getattr(item, f) for f in item.__struct_fields__},
        decisions=[decision_view(d) for d in decisions],
        deleted_at=row.deleted_at,
        revisions=[revision_view(r) for r in revisions],
    )


async def decide_comment(
    db: Database, comment_id: uuid.UUID, decision: Decision, *, moderator: Moderator, mail: MailPolicy | None = None
) -> ItemDetail:
    """Apply a moderator's decision under a row lock; with expected_status, a moved-on item is a 409 and unchanged.

    The decision is recorded even when the status stays as it was (from_status == to_status): a person confirming
    the model is still a judgment, and every judgment is a training label.
    """
    async with db.write() as conn:
        await _move(conn, comment_id, ACTIONS[decision.action], decision, moderator=moderator, mail=mail)
    return await item_detail(db, comment_id)


async def _move(
    conn: AsyncConnection,
    comment_id: uuid.UUID,
    target: str,
    decision: Decision,
    *,
    moderator: Moderator,
    mail: MailPolicy | None = None,
    tell_author: bool = True,
) -> uuid.UUID:
    """Move the comment to `target` under its article's and its own row lock, recording the decision (its id is
    returned), its webhook messages and, with `mail`, its mails."""
    now = datetime.now(UTC)
    # The article first, then the comment: the order every writer of a thread's shape follows
    # (storage/articles.lock_article_of).
    if await article_store.lock_article_of(conn, comment_id) is None:
        raise NotFound("No such comment")
    row = await comment_store.get_comment(conn, comment_id, lock=True)
    if row is None:
        raise NotFound("No such comment")
    if row.deleted_at is not None:
        # Its text is gone from the row (it is in the revisions); approving would publish an empty reply.
        raise Conflict("The comment was deleted by its author")
    if decision.expected_status is not None and row.status != decision.expected_status:
        raise Conflict(f"The comment is {row.status} now, not {decision.expected_status}")
    if row.status != target:
        await comment_store.set_status(conn, comment_id, status=target, now=now)
        if "published" in (row.status, target):
            await show_or_hide(conn, row, shown=target == "published", now=now)
    decision_row = decision_record(
        row, actor="moderator", moderator_id=moderator.id, to_status=target, reason=decision.reason,
        note=decision.note, now=now,
    )  # fmt: skip
    await comment_store.insert_decision(conn, decision_row)
    # The site's systems hear of it in the same transaction: nothing is told of a decision that rolled back.
    changed = {**row._mapping, "status": target, "updated_at": now}
    messages = events.reply_events(
        await events.listeners_now(conn), changed, decision_row, created=False, moderator=moderator.name, now=now
    )
    if mail is not None and row.status != target:
        messages += await _mails(conn, row, changed, decision_row, mail, tell_author=tell_author, now=now)
    await events.record(conn, messages)
    return uuid.UUID(str(decision_row["id"]))


async def _mails(
    conn: AsyncConnection,
    row: Row[Any],
    changed: dict[str, Any],
    decision: dict[str, Any],
    mail: MailPolicy,
    *,
    tell_author: bool,
    now: datetime,
) -> list[dict[str, Any]]:
    """The mails a change of status causes: a statement of reasons for a rejection or take-down; for a reply published
    now, the notice its author asked for and a notification to the author of the comment it answers. `tell_author`
    False: the caller writes the author's mail itself (an appeal's outcome)."""
    if changed["status"] == "rejected":
        if not tell_author:
            return []
        return [emails.email_row(emails.REJECTED, row.email, emails.statement(changed, decision), now=now)]
    rows = []
    if row.notify_replies and tell_author:
        rows.append(emails.email_row(emails.PUBLISHED, row.email, emails.published_notice(changed), now=now))
    parent = await comment_store.get_comment(conn, row.parent_id) if row.parent_id is not None else None
    answered: dict[str, Any] | None = dict(parent._mapping) if parent is not None else None
    if answered is not None and emails.wants_reply_notice(answered, changed):
        notice = [(str(answered["email"]), emails.reply_item(answered, changed))]
        rows += await emails.gather_reply_notices(conn, notice, policy=mail, now=now)
    return rows


def decision_record(
    row: Row[Any],
    *,
    actor: str,
    moderator_id: int | None,
    to_status: str,
    reason: str | None,
    note: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The audit row of a decision on a stored reply by someone other than the model (a moderator, or readers'
    reports): who, from which status to which, why, and the scores and model version the reply had then."""
    return {
        "id": new_id(),
        "comment_id": row.id,
        "actor": actor,
        "moderator_id": moderator_id,
        "from_status": row.status,
        "to_status": to_status,
        "reason": reason,
        "note": note,
        "spam_score": row.spam_score,
        "abuse_score": row.abuse_score,
        "model_version": row.model_version,
        "reasons": row.reasons,
        "created_at": now,
    }


async def show_or_hide(conn: AsyncConnection, row: Row[Any], *, shown: bool, now: datetime) -> None:
    """A comment stopped or started being published: readers lose or regain it with every reply below it (a reply
    is shown only under shown ancestors), and the article's count and revision follow. Also an author's edit that
    moves a reply in or out of published (service/domain/author_edits.py)."""
    crossed_below = await comment_store.shift_hidden_below(conn, row.id, step=-1 if shown else 1)
    itself = 1 if row.hidden_ancestors == 0 else 0  # under a hidden ancestor, it was and stays out of sight
    delta = itself + crossed_below
    await article_store.change_published(conn, row.article_id, delta=delta if shown else -delta, now=now)


UNDO_NOTE = "undo"


async def undo_last(db: Database, *, moderator: Moderator, mail: MailPolicy | None = None) -> uuid.UUID | None:
    """Put back the status this moderator's latest decision changed; None when there is nothing to undo.

    The undo is a decision of its own (note "undo"), so history keeps both; it applies only while the comment still
    has the status that decision gave it (409 otherwise: someone has decided it since).
    """
    async with db.write() as conn:
        last = await comment_store.last_decision_by(conn, moderator.id)
        if last is None or last.from_status is None:
            return None
        undo = Decision(action="", note=UNDO_NOTE, expected_status=last.to_status)
        await _move(conn, last.comment_id, last.from_status, undo, moderator=moderator, mail=mail)
        return uuid.UUID(str(last.comment_id))


FOLDER_COUNT_CAP = 1000  # the console shows "1,000+" beyond this (comment_store.folder_counts says why)


async def folder_counts(db: Database, *, article_id: str | None, language: str | None = None) -> dict[str, str]:
    """Each folder's size as the console shows it: exact up to FOLDER_COUNT_CAP, then "1,000+"."""
    counts = await db.run_read(
        lambda conn: comment_store.folder_counts(
            conn, statuses=STATUSES, article_id=article_id, language=language, cap=FOLDER_COUNT_CAP
        )
    )
    return {
        status: f"{FOLDER_COUNT_CAP:,}+" if count > FOLDER_COUNT_CAP else f"{count:,}"
        for status, count in counts.items()
    }
