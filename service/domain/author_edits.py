"""Use cases of an author on their own reply, within the edit window and with the reply's edit token: edit it (judged
again exactly as a fresh submission of the new text) and delete it. Each owns one transaction."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from service.abuse.spam_runs import SpamRunDetector
from service.domain import author_tokens, events, trust
from service.domain.comments import PendingReply, ReplyWriter, SubmitOptions, assess_reply, decision_for, model_decision
from service.domain.moderation import show_or_hide
from service.domain.views import EditedComment, answered_status, shown_to_readers
from service.errors import ArticleClosed, DeletedByAuthor, EditTokenRejected, EditWindowClosed, NotFound
from service.ids import new_id
from service.rules.policy import Reason, Verdict, accepts_replies, trust_could_publish
from service.rules.validation import NewComment
from service.scoring.relevance import Relevance
from service.scoring.state import ScoringState
from service.storage import articles as article_store
from service.storage import comments as comment_store
from service.storage.database import Database

log = logging.getLogger(__name__)

# Kept when an edit would loosen a person's rejection: editing is no way around a moderator's no.
STILL_REJECTED = Reason(
    code="moderator_rejected", message="a moderator rejected this reply before its author edited it"
)
EDITED_NOTE = "edited by its author"


def editable_until(row: Row[Any], window: timedelta) -> datetime:
    return row.created_at + window  # type: ignore[no-any-return]


def _check_author(row: Row[Any] | None, *, article_id: str, token: str, window: timedelta, now: datetime) -> Row[Any]:
    """The reply, if `token` is its edit token and its window is open; raises otherwise.

    A wrong token on a reply readers cannot see answers as an unknown one (404): the answer must not tell a stranger
    that a pending or rejected reply has this id. On a reply readers see, a wrong token is a 403.
    """
    if row is None or row.article_id != article_id:
        raise NotFound("No such comment")
    if not author_tokens.matches(row.edit_token_hash, token):
        if shown_to_readers(row) and row.deleted_at is None:
            raise EditTokenRejected("This edit token is not the one given for this reply")
        raise NotFound("No such comment")
    if row.deleted_at is not None:
        raise DeletedByAuthor("The reply was deleted by its author")
    if now > editable_until(row, window):
        raise EditWindowClosed("The time to edit or delete this reply has passed")
    return row


async def _author_row(
    db: Database, comment_id: uuid.UUID, *, article_id: str, token: str, now: datetime, window: timedelta
) -> Row[Any]:
    """The reply checked outside the transaction, so a refused edit costs no scoring (checked again under lock)."""
    row = await db.run_read(lambda conn: comment_store.get_comment(conn, comment_id))
    return _check_author(row, article_id=article_id, token=token, window=window, now=now)


async def edit_reply(
    writer: ReplyWriter,
    scoring: ScoringState,
    *,
    article_id: str,
    comment_id: uuid.UUID,
    token: str,
    body: str,
    client_address: str,
    spam_runs: SpamRunDetector | None = None,
    relevance: Relevance | None = None,
) -> EditedComment:
    """Replace the reply's text and decide on it again as the submit path would on a fresh reply with the same text
    (scores, the site's rules, trust); the previous text, status and scores go to the audit trail.

    An edit never makes a reply more visible than a fresh submission of its text would, and never undoes a
    moderator's rejection. A reply that stops being published leaves readers' view (with the replies under it).
    """
    now = datetime.now(UTC)
    options = writer.options
    row = await _author_row(
        writer.db, comment_id, article_id=article_id, token=token, now=now, window=options.edit_window
    )
    new = NewComment(
        name=row.name,
        email=row.email,
        body=body,
        parent_id=row.parent_id,
        website=row.website,
        notify=bool(row.notify_replies),
    )
    # Scored outside the transaction, through the same batcher and rules as a new reply.
    pending = await assess_reply(
        writer,
        scoring,
        article_id=article_id,
        new=new,
        client_address=client_address,
        received_at=now,
        spam_runs=spam_runs,
        relevance=relevance,
    )
    async with writer.db.write() as conn:
        return await _store_edit(conn, comment_id, token=token, pending=pending, options=options, now=now)


async def _decide_edit(
    conn: AsyncConnection, row: Row[Any], pending: PendingReply, *, article_status: str, options: SubmitOptions
) -> Verdict:
    """The verdict a fresh submission of the new text would get now, then a person's rejection kept."""
    body_key = comment_store.body_key(pending.new.body)
    repeats = False
    if options.duplicate_window:
        since = pending.received_at - options.duplicate_window
        sent = await comment_store.recent_bodies(conn, [body_key], since=since, excluding=row.id)
        repeats = (row.article_id, body_key) in sent or (pending.distinctive and bool(sent))
    deciding = decision_for(pending, article_status=article_status, repeats_recent=repeats, options=options)
    verdict = deciding()
    first_reply_held = pending.mode == "first-reply-held" and verdict.status == "published"
    if first_reply_held or (options.trust_after and trust_could_publish(verdict)):
        email = pending.new.email
        found = await trust.standings(conn, [email], trust_after=options.trust_after, need_published=first_reply_held)
        author = found.get(email)
        if author is not None:
            verdict = deciding(first_reply=first_reply_held and not author.has_published, trusted=author.trusted)
    if verdict.status != "rejected" and await comment_store.rejected_by_person(conn, row.id):
        verdict = Verdict(status="rejected", reasons=(*verdict.reasons, STILL_REJECTED))
    return verdict


async def _store_edit(
    conn: AsyncConnection,
    comment_id: uuid.UUID,
    *,
    token: str,
    pending: PendingReply,
    options: SubmitOptions,
    now: datetime,
) -> EditedComment:
    # The article first, then the comment, as every writer of a thread's shape (storage/articles.lock_article_of).
    if await article_store.lock_article_of(conn, comment_id) is None:
        raise NotFound("No such comment")
    locked = await comment_store.get_comment(conn, comment_id, lock=True)
    # Checked again under the lock: a delete or another edit may have committed since the read.
    row = _check_author(locked, article_id=pending.article_id, token=token, window=options.edit_window, now=now)
    article = await article_store.get_article(conn, row.article_id)
    article_status = article.status if article is not None else "open"
    if not accepts_replies(article_status, pending.mode):
        raise ArticleClosed("Replies are closed on this article")
    verdict = await _decide_edit(conn, row, pending, article_status=article_status, options=options)
    scores = pending.scores
    changed = {
        "body": pending.new.body,
        "body_hash": comment_store.body_key(pending.new.body),
        "status": verdict.status,
        "spam_score": scores.spam_score if scores else None,
        "abuse_score": scores.abuse_score if scores else None,
        "model_version": scores.model_version if scores else None,
        "reasons": msgspec.to_builtins(verdict.reasons),
        "language": pending.language,
        "edited_at": now,
        "updated_at": now,
    }
    await comment_store.insert_revision(conn, _revision(row, kind="edit", now=now))
    await comment_store.replace_body(conn, row.id, changed)
    if row.status != verdict.status and "published" in (row.status, verdict.status):
        await show_or_hide(conn, row, shown=verdict.status == "published", now=now)
    elif verdict.status == "published" and row.hidden_ancestors == 0:
        await article_store.change_published(conn, row.article_id, delta=0, now=now)  # new text: cached pages go
    updated = {**row._mapping, **changed}
    decision = {
        **model_decision({**updated, "created_at": now}, pending.relevance, pending.opinion),
        "from_status": row.status,
        "note": EDITED_NOTE,
    }
    await comment_store.insert_decision(conn, decision)
    messages = events.webhook_messages(
        pending.listeners, events.REPLY_EDITED, events.reply_data(updated), email=row.email, now=now
    )
    messages += events.reply_events(pending.listeners, updated, decision, created=False, now=now)
    await events.record(conn, messages)
    log.info("comment edited", extra={"comment_id": str(row.id), "article_id": row.article_id,
                                      "status": verdict.status})  # fmt: skip
    return EditedComment(
        id=row.id,
        article_id=row.article_id,
        parent_id=row.parent_id,
        name=row.name,
        body=pending.new.body,
        status=answered_status(verdict.status),
        created_at=row.created_at,
        edited_at=now,
        editable_until=editable_until(row, options.edit_window),
    )


def _revision(row: Row[Any], *, kind: str, now: datetime) -> dict[str, Any]:
    """The audit row of the text a reply had until now, with what it was decided on."""
    return {
        "id": new_id(),
        "comment_id": row.id,
        "kind": kind,
        "body": row.body,
        "status": row.status,
        "spam_score": row.spam_score,
        "abuse_score": row.abuse_score,
        "model_version": row.model_version,
        "reasons": row.reasons,
        "created_at": now,
    }


async def delete_reply(db: Database, *, article_id: str, comment_id: uuid.UUID, token: str, window: timedelta) -> None:
    """Take the reply's text out of every public view; its text goes to the audit trail for moderators. A reply with
    published replies under it stays in the thread as a placeholder (service/domain/views.public_view); without any,
    readers no longer see it. Deleting it again answers as the first time."""
    now = datetime.now(UTC)
    async with db.write() as conn:
        if await article_store.lock_article_of(conn, comment_id) is None:
            raise NotFound("No such comment")
        locked = await comment_store.get_comment(conn, comment_id, lock=True)
        if (
            locked is not None
            and locked.article_id == article_id
            and locked.deleted_at is not None
            and author_tokens.matches(locked.edit_token_hash, token)
        ):
            return  # already deleted by its author: DELETE is idempotent
        row = _check_author(locked, article_id=article_id, token=token, window=window, now=now)
        await comment_store.insert_revision(conn, _revision(row, kind="delete", now=now))
        await comment_store.mark_deleted(conn, row.id, now=now)
        # The site's systems drop their copy of the text, in this transaction (nothing is told of a rolled-back one).
        withdrawn = {**events.reply_data({**row._mapping, "body": ""}), "deleted_at": events.iso(now)}
        listeners = await events.listeners_now(conn)
        await events.record(
            conn, events.webhook_messages(listeners, events.REPLY_DELETED, withdrawn, email=row.email, now=now)
        )
        if shown_to_readers(row):
            # It leaves the count; the replies under it keep theirs (the placeholder holds them in place).
            await article_store.change_published(conn, row.article_id, delta=-1, now=now)
    log.info("comment deleted by its author", extra={"comment_id": str(comment_id), "article_id": article_id})
