"""Use cases of moderators on authors (by email): ban, shadow-ban or suspend them, lift it, and the author page
(their replies, the decisions on them, their trust and sanction). Every sanction change is audited like a rule."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Row

from service.domain import trust
from service.domain.auth import Moderator
from service.domain.site_rules import optional_text, optional_time
from service.domain.views import AuthorHistory, reasons_of
from service.errors import FieldError, InvalidInput, NotFound
from service.rules.policy import Reason
from service.rules.site_rules import NOTE_MAX, SANCTIONS, email_key
from service.rules.validation import normalised_email
from service.storage import comments as comment_store
from service.storage import site_rules as rule_store
from service.storage.database import Database

REPLIES_SHOWN = 50


class SanctionView(msgspec.Struct):
    email: str  # as sanctions match it: the normalised address, case-folded
    kind: str
    note: str | None
    expires_at: datetime | None
    created_at: datetime
    moderator_id: int | None
    active: bool  # False once a suspension (or a ban given an end) is over


class SanctionPage(msgspec.Struct):
    items: list[SanctionView]


class AuthorReply(msgspec.Struct):
    id: uuid.UUID
    article_id: str
    status: str
    body: str
    created_at: datetime
    reasons: list[Reason]
    language: str | None = None  # ISO 639-1, found on submit; None when too short to tell


class AuthorDecision(msgspec.Struct):
    comment_id: uuid.UUID
    actor: str
    moderator_id: int | None
    from_status: str | None
    to_status: str
    reason: str | None
    created_at: datetime


class AuthorView(msgspec.Struct):
    email: str
    history: AuthorHistory
    trusted: bool
    trust_after: int  # approvals by people that make an author trusted (0: trust is off)
    sanction: SanctionView | None
    replies: list[AuthorReply]
    decisions: list[AuthorDecision]


def check_email(value: object) -> str:
    address = normalised_email(value) if isinstance(value, str) else None
    if address is None:
        raise InvalidInput("Invalid author", errors=[FieldError("email", "must be a valid email address")])
    return address


def parse_sanction(payload: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    errors: list[FieldError] = []
    kind = payload.get("kind")
    if kind not in SANCTIONS:
        errors.append(FieldError("kind", f"must be one of {', '.join(SANCTIONS)}"))
    note = optional_text(payload, "note", errors, limit=NOTE_MAX)
    expires_at = optional_time(payload, "expires_at", errors, now=now, required=kind == "suspension")
    if errors:
        raise InvalidInput("Invalid sanction", errors=errors)
    return {"kind": kind, "note": note, "expires_at": expires_at}


def sanction_view(row: Row[Any], *, now: datetime) -> SanctionView:
    return SanctionView(
        email=row.email_key,
        kind=row.kind,
        note=row.note,
        expires_at=row.expires_at,
        created_at=row.created_at,
        moderator_id=row.moderator_id,
        active=row.expires_at is None or row.expires_at > now,
    )


_AUDITED = ("kind", "note", "expires_at")


def _audited(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {name: msgspec.to_builtins(values[name]) for name in _AUDITED}


async def sanction_author(
    db: Database, email: object, payload: Mapping[str, Any], *, moderator: Moderator
) -> SanctionView:
    """Ban, shadow-ban or suspend the author; a sanction already there is replaced (and audited as a change)."""
    now = datetime.now(UTC)
    fields = parse_sanction(payload, now=now)
    key = email_key(check_email(email))
    row = {**fields, "email_key": key, "moderator_id": moderator.id, "created_at": now}
    async with db.write() as conn:
        old = await rule_store.sanction(conn, key)
        await rule_store.put_sanction(conn, row, exists=old is not None)
        await rule_store.record_change(
            conn, moderator_id=moderator.id, subject="sanction", target=key,
            old=_audited(dict(old._mapping) if old is not None else None), new=_audited(fields), now=now,
        )  # fmt: skip
        stored = await rule_store.sanction(conn, key)
    assert stored is not None  # written in this transaction
    return sanction_view(stored, now=now)


async def sanction_author_of(
    db: Database, comment_id: uuid.UUID, payload: Mapping[str, Any], *, moderator: Moderator
) -> SanctionView:
    """The queue's one step: sanction whoever wrote this reply, without copying their address anywhere."""
    row = await db.run_read(lambda conn: comment_store.get_comment(conn, comment_id))
    if row is None:
        raise NotFound("No such comment")
    return await sanction_author(db, row.email, payload, moderator=moderator)


async def lift_sanction(db: Database, email: object, *, moderator: Moderator) -> None:
    key = email_key(check_email(email))
    async with db.write() as conn:
        old = await rule_store.sanction(conn, key)
        if old is None:
            raise NotFound("This author has no sanction")
        await rule_store.delete_sanction(conn, key)
        await rule_store.record_change(
            conn, moderator_id=moderator.id, subject="sanction", target=key,
            old=_audited(dict(old._mapping)), new=None, now=datetime.now(UTC),
        )  # fmt: skip


async def sanctions(db: Database) -> SanctionPage:
    now = datetime.now(UTC)
    rows = await db.run_read(rule_store.sanctions)
    return SanctionPage(items=[sanction_view(row, now=now) for row in rows])


async def author_page(db: Database, email: object, *, trust_after: int) -> AuthorView:
    """Everything moderators know of one address: replies (latest first), decisions on them, trust, sanction."""
    address = check_email(email)
    async with db.read() as conn:
        replies = await rule_store.replies_of(conn, address, limit=REPLIES_SHOWN)
        decisions = await rule_store.decisions_about(conn, address, limit=REPLIES_SHOWN)
        history = await comment_store.author_history(conn, [address])
        standing = await trust.standings(conn, [address], trust_after=trust_after, need_published=False)
        sanction = await rule_store.sanction(conn, email_key(address))
    now = datetime.now(UTC)
    return AuthorView(
        email=address,
        history=msgspec.convert(history.get(address, {}), AuthorHistory),
        trusted=standing[address].trusted,
        trust_after=trust_after,
        sanction=sanction_view(sanction, now=now) if sanction is not None else None,
        replies=[
            AuthorReply(
                id=r.id,
                article_id=r.article_id,
                status=r.status,
                body=r.body,
                created_at=r.created_at,
                reasons=reasons_of(r.reasons),
                language=r.language,
            )
            for r in replies
        ],
        decisions=[
            AuthorDecision(
                comment_id=d.comment_id,
                actor=d.actor,
                moderator_id=d.moderator_id,
                from_status=d.from_status,
                to_status=d.to_status,
                reason=d.reason,
                created_at=d.created_at,
            )
            for d in decisions
        ],
    )
