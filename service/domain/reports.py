"""Readers' reports: a reader reports a published reply (spam, abuse, off topic, illegal content); once its open
reports reach a threshold it waits in the moderators' reported folder with the reports beside it, and a moderator
keeps it, takes it down or dismisses the reports. Reporting and deciding each are one transaction with their audit.

A reply stays visible while it waits, except when reported as illegal content (REPLYGUARD_REPORT_THRESHOLD_ILLEGAL
reports, 1 by default): that reply leaves the public view at once (it becomes pending, a decision by "reports") until
a moderator decides. Reports become training labels only through a moderator's decision (service/domain/labels.py).
The reporter is known only by a keyed hash of their client address; their optional contact email is shown to no one
through the API's lists, and goes into no log line, webhook or error.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from service.domain import events, labels, moderation
from service.domain.auth import Moderator
from service.domain.emails import MailPolicy
from service.domain.report_views import ReportDecision, ReportedFolder, folder_view
from service.domain.views import shown_to_readers
from service.errors import Conflict, FieldError, InvalidInput, NotFound
from service.ids import new_id
from service.rules.report_input import REASONS, NewReport
from service.storage import articles as article_store
from service.storage import comments as comment_store
from service.storage import reports as report_store
from service.storage.database import Database
from service.storage.service_secrets import shared_secret

SECRET_NAME: Final = "reader_reports"  # noqa: S105 - the secret's name in service_secrets, not a secret
TAKE_DOWN_REASON: Final = labels.READER_REPORT  # the decision's reason; labels.py reads it
ACTIONS: Final = ("keep", "take_down", "dismiss")
RESOLUTIONS: Final = {"keep": "kept", "take_down": "taken_down", "dismiss": "dismissed"}
HIDDEN_NOTE: Final = "hidden until a moderator decides: reported as illegal content"


@dataclass(frozen=True, slots=True)
class ReportPolicy:
    """How many open reports send a reply to the reported folder; for illegal content, also out of public view."""

    threshold: int = 3
    illegal_threshold: int = 1


def reporter_key(secret: bytes, client_address: str) -> str:
    """The reporter as reports store them: a keyed hash of the client's address (a plain hash of an IPv4 address
    is undone by trying all 2^32), so one reader reports one reply once and the address itself is never stored."""
    return hmac.new(secret, client_address.encode(), hashlib.sha256).hexdigest()[:32]


async def report_comment(
    db: Database,
    *,
    article_id: str,
    comment_id: uuid.UUID,
    report: NewReport,
    client_address: str,
    policy: ReportPolicy,
) -> bool:
    """Store a reader's report of a reply readers see; False when this reader reported it already (nothing changes).
    NotFound for anything readers do not see (unknown, pending, rejected, under a hidden comment, another article's)."""
    now = datetime.now(UTC)
    async with db.write() as conn:
        # The article first, then the comment: the order every writer of a thread's shape follows.
        if await article_store.lock_article_of(conn, comment_id) is None:
            raise NotFound("No such published comment")
        row = await comment_store.get_comment(conn, comment_id, lock=True)
        # A reply its author deleted shows readers a placeholder and no text: there is nothing left to report.
        if row is None or row.article_id != article_id or not shown_to_readers(row) or row.deleted_at is not None:
            raise NotFound("No such published comment")
        key = reporter_key(await shared_secret(conn, SECRET_NAME), client_address)
        report_id = new_id()
        stored = await report_store.add_report(
            conn,
            {
                "id": report_id,
                "comment_id": comment_id,
                "reason": report.reason,
                "explanation": report.explanation,
                "contact_email": report.contact_email,
                "reporter_key": key,
                "created_at": now,
            },
        )
        if not stored:
            return False
        total, illegal = await report_store.open_counts(conn, comment_id)
        hidden = illegal >= policy.illegal_threshold
        if hidden:
            await _hide(conn, row, now=now)
        data = {
            "id": str(report_id),
            "comment_id": str(comment_id),
            "article_id": article_id,
            "reason": report.reason,
            "open_reports": total,
            "hidden": hidden,
            "created_at": events.iso(now),
        }
        listeners = await events.listeners_now(conn)
        await events.record(conn, events.webhook_messages(listeners, events.REPORT_CREATED, data, email=None, now=now))
    return True


async def _hide(conn: AsyncConnection, row: Row[Any], *, now: datetime) -> None:
    """Take a reply reported as illegal content out of public view until a moderator decides: it becomes pending
    (its subtree hides with it), audited as a decision by "reports", announced like any other change of status."""
    await comment_store.set_status(conn, row.id, status="pending", now=now)
    await moderation.show_or_hide(conn, row, shown=False, now=now)
    decision_row = moderation.decision_record(
        row, actor="reports", moderator_id=None, to_status="pending", reason=TAKE_DOWN_REASON, note=HIDDEN_NOTE,
        now=now,
    )  # fmt: skip
    await comment_store.insert_decision(conn, decision_row)
    changed = {**row._mapping, "status": "pending", "updated_at": now}
    await events.record(
        conn, events.reply_events(await events.listeners_now(conn), changed, decision_row, created=False, now=now)
    )


async def reported_folder(db: Database, *, policy: ReportPolicy, limit: int = 50) -> ReportedFolder:
    """Replies whose open reports reach a threshold, first reported first, each with its open reports."""
    async with db.read() as conn:
        rows = await report_store.reported_page(
            conn, threshold=policy.threshold, illegal_threshold=policy.illegal_threshold, limit=limit
        )
        found = await report_store.open_reports_of(conn, [row.id for row in rows])
    return folder_view(rows, found)


def check_decision(action: object, confirm: object, note: object) -> tuple[str, str | None, str | None]:
    """(action, confirmed reason, note) of a moderator's decision on a reply's reports, or InvalidInput."""
    errors: list[FieldError] = []
    if action not in ACTIONS:
        errors.append(FieldError("action", "must be keep, take_down or dismiss"))
    if confirm is not None and confirm not in REASONS:
        errors.append(FieldError("confirm", "must be one of spam, abuse, off_topic, illegal"))
    elif confirm is not None and action != "take_down":
        errors.append(FieldError("confirm", "is only for take_down"))
    if note is not None and (not isinstance(note, str) or len(note) > moderation.NOTE_MAX):
        errors.append(FieldError("note", f"must be a string of at most {moderation.NOTE_MAX} characters"))
    if errors:
        raise InvalidInput("Invalid decision", errors=errors)
    return str(action), None if confirm is None else str(confirm), (str(note).strip() or None) if note else None


async def decide_reports(
    db: Database,
    comment_id: uuid.UUID,
    *,
    action: str,
    confirm: str | None,
    note: str | None,
    moderator: Moderator,
    mail: MailPolicy | None,
) -> ReportDecision:
    """Keep the reply (published, reports closed as kept), take it down (rejected, reason reader_report; the reports
    giving `confirm` are confirmed: the only ones that become training labels) or dismiss the reports as unfounded
    (published). Each is a moderator's decision in the audit trail, with the reports pointing at it. NotFound for an
    unknown reply; Conflict when it has no open reports (another moderator decided first), and nothing changes."""
    now = datetime.now(UTC)
    resolution = RESOLUTIONS[action]
    async with db.write() as conn:
        if await comment_store.get_comment(conn, comment_id) is None:
            raise NotFound("No such comment")
        reasons = await report_store.open_reasons(conn, comment_id)
        if not reasons:
            raise Conflict("This reply has no open reports: they are decided already")
        if confirm is not None and confirm not in reasons:
            raise InvalidInput("Invalid decision", errors=[FieldError("confirm", "no open report gives this reason")])
        taken_down = action == "take_down"
        label = f"; confirmed: {confirm}" if confirm else ""
        audit = moderation.Decision(
            action="reject" if taken_down else "approve",
            reason=TAKE_DOWN_REASON if taken_down else None,
            note=(f"reader reports {resolution}{label}" + (f": {note}" if note else ""))[: moderation.NOTE_MAX],
        )
        # Only a take-down is news to anyone (its author's statement of reasons). A kept or dismissed reply hidden for
        # illegal content comes back without mail: its author was never told it was hidden, and whoever it answers
        # heard of it when it was first published.
        decision_id = await moderation._move(conn, comment_id, "rejected" if taken_down else "published", audit,
                                             moderator=moderator, mail=mail if taken_down else None)  # fmt: skip
        closed = await report_store.resolve_open(
            conn, comment_id, resolution=resolution, confirmed_reason=confirm if taken_down else None,
            decision_id=decision_id, moderator_id=moderator.id, now=now,
        )  # fmt: skip
        if closed == 0:
            raise Conflict("This reply has no open reports: they are decided already")
        row = await comment_store.get_comment(conn, comment_id)
        assert row is not None  # moved just now under its lock
        status = str(row.status)
    return ReportDecision(comment_id=comment_id, action=action, status=status, reports_closed=closed,
                          decision_id=decision_id)  # fmt: skip
