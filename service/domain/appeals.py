"""Appeals (EU Digital Services Act, Art. 20): an author opens one from the signed link of a statement of reasons and
explains; a moderator other than the one who made the decision decides it, once and for good. Opening and deciding
each are one transaction, with their audit (a decision row) and their messages (appeal.created, the outcome mail)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

import msgspec
from sqlalchemy import Row

from service.domain import emails, events, moderation
from service.domain.appeal_links import AppealLink
from service.domain.auth import Moderator
from service.domain.emails import MailPolicy
from service.domain.mail_links import LinkRefused, is_signed, link_secret
from service.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from service.ids import new_id
from service.storage import appeals as appeal_store
from service.storage import comments as comment_store
from service.storage.database import Database

TEXT_MAX: Final = 2000


class AppealView(msgspec.Struct):
    id: uuid.UUID
    comment_id: uuid.UUID
    article_id: str
    name: str
    body: str
    text: str  # the author's explanation
    status: str  # open | upheld | reversed
    decided_by: int | None  # the moderator whose decision is appealed (None: the model's)
    decided_by_name: str | None
    reason: str | None
    taken_down: bool
    created_at: datetime
    decided_at: datetime | None
    note: str | None


def appeal_view(row: Row[Any]) -> AppealView:
    return AppealView(
        id=row.id, comment_id=row.comment_id, article_id=row.article_id, name=row.name, body=row.body, text=row.text,
        status=row.status, decided_by=row.decided_by, decided_by_name=row.decided_by_name, reason=row.reason,
        taken_down=row.from_status == "published", created_at=row.created_at, decided_at=row.decided_at, note=row.note,
    )  # fmt: skip


async def _appealable(db: Database, link: AppealLink, *, now: datetime) -> Any:
    """The comment a valid, unexpired link names while the decision it names is still the one in force."""
    refused = LinkRefused("This appeal link is not valid or has expired.")
    if link.expires < int(now.timestamp()):
        raise refused
    if not is_signed(await link_secret(db), "appeal", link.subject(), link.expires, link.signature):
        raise refused
    async with db.read() as conn:
        comment = await comment_store.get_comment(conn, link.comment_id)
        history = await comment_store.decision_history(conn, link.comment_id) if comment is not None else []
    if comment is None or not history:
        raise refused
    if history[-1].id != link.decision_id or comment.status != "rejected":
        raise LinkRefused("This decision has been changed since: there is nothing left to appeal.")
    return comment


async def appeal_page(db: Database, link: AppealLink, *, now: datetime) -> str:
    """The text of the reply the link's decision is about (shown on the appeal page to its author)."""
    return str((await _appealable(db, link, now=now)).body)


async def open_appeal(db: Database, link: AppealLink, text: str, *, now: datetime) -> bool:
    """Store the author's appeal; False when this decision was appealed already. InvalidInput for an empty or too
    long text; LinkRefused for a bad link or a decision no longer in force."""
    text = text.strip()
    if not text or len(text) > TEXT_MAX:
        raise InvalidInput("Invalid appeal", errors=[FieldError("text", f"must be 1-{TEXT_MAX} characters")])
    comment = await _appealable(db, link, now=now)
    row = {"id": new_id(), "comment_id": link.comment_id, "decision_id": link.decision_id, "text": text,
           "status": "open", "created_at": now}  # fmt: skip
    data = {"id": str(row["id"]), "comment_id": str(link.comment_id), "decision_id": str(link.decision_id),
            "article_id": comment.article_id, "text": text, "created_at": events.iso(now)}  # fmt: skip
    async with db.write() as conn:
        if not await appeal_store.open_appeal(conn, row):
            return False
        listeners = await events.listeners_now(conn)
        await events.record(conn, events.webhook_messages(listeners, events.APPEAL_CREATED, data, email=None, now=now))
    return True


async def appeals_in(db: Database, status: str, *, limit: int = 50) -> list[AppealView]:
    async with db.read() as conn:
        return [appeal_view(row) for row in await appeal_store.by_status(conn, status, limit=limit)]


async def decide_appeal(
    db: Database,
    appeal_id: uuid.UUID,
    *,
    reverse: bool,
    note: str | None,
    moderator: Moderator,
    mail: MailPolicy | None,
) -> None:
    """Reverse the decision (the reply is published) or uphold it; recorded as a decision of its own (note "appeal
    reversed"/"appeal upheld") and mailed to the author. Forbidden for the moderator whose decision is appealed;
    Conflict once decided (final)."""
    now = datetime.now(UTC)
    outcome = "reversed" if reverse else "upheld"
    async with db.write() as conn:
        appeal = await appeal_store.get_appeal(conn, appeal_id)
        if appeal is None:
            raise NotFound("No such appeal")
        if appeal.decided_by == moderator.id:
            raise Forbidden("Another moderator must decide an appeal of your own decision")
        if not await appeal_store.close_appeal(conn, appeal_id, status=outcome, moderator_id=moderator.id, note=note,
                                               now=now):  # fmt: skip
            raise Conflict("This appeal is decided already; its decision is final")
        target = "published" if reverse else "rejected"
        audit = moderation.Decision(
            action="approve" if reverse else "reject", reason=None if reverse else appeal.reason,
            note=f"appeal {outcome}" + (f": {note}" if note else ""),
        )  # fmt: skip
        # The author hears of it once, from the outcome mail below (not also from a "published" notice).
        await moderation._move(conn, appeal.comment_id, target, audit, moderator=moderator, mail=mail,
                               tell_author=False)  # fmt: skip
        if mail is not None:
            comment = await comment_store.get_comment(conn, appeal.comment_id)
            assert comment is not None  # locked and moved just now
            payload = {"comment_id": str(comment.id), "article_id": comment.article_id,
                       "body": emails.excerpt(comment.body), "outcome": outcome, "note": note}  # fmt: skip
            await events.record(conn, [emails.email_row(emails.APPEAL_OUTCOME, comment.email, payload, now=now)])
