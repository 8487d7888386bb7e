"""Privacy operations: export and erase everything stored about an email address, and purge old rejected replies.

Each is audited in `privacy_events` with a count, never with the address.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email

from service.errors import invalid
from service.storage import articles as article_store
from service.storage import outbox as outbox_store
from service.storage import privacy as privacy_store
from service.storage.database import Database

ERASED_NAME = "[erased]"
ERASED_BODY = "[erased]"
# Not anyone's address (".invalid" is reserved), so erased rows can never be matched to a person again.
ERASED_EMAIL = "erased@erased.invalid"


def normalised_email(address: str) -> str:
    """The address as submissions store it; a 422 naming `email` when it is not one."""
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise invalid("email", "is not a valid email address") from None


def _plain(row: Any) -> dict[str, Any]:
    return {
        key: (str(value) if isinstance(value, (uuid.UUID, datetime)) else value) for key, value in row._mapping.items()
    }


async def export_author(db: Database, address: str, *, moderator_id: int | None) -> dict[str, Any]:
    """Every comment stored with this address (any status), each one's decision history and the texts it had
    before its author's edits and delete."""
    email = normalised_email(address)
    async with db.write() as conn:
        rows = await privacy_store.comments_of(conn, email)
        history = await privacy_store.decisions_on(conn, [row.id for row in rows])
        earlier = await privacy_store.revisions_on(conn, [row.id for row in rows])
        await privacy_store.record_event(
            conn, "export", count=len(rows), moderator_id=moderator_id, now=datetime.now(UTC)
        )
    by_comment: dict[Any, list[dict[str, Any]]] = {}
    for decision in history:
        by_comment.setdefault(decision.comment_id, []).append(_plain(decision))
    texts: dict[Any, list[dict[str, Any]]] = {}
    for revision in earlier:
        texts.setdefault(revision.comment_id, []).append(_plain(revision))
    items = [
        {
            # Never the edit token's hash: it is a credential, not the author's data.
            **{key: value for key, value in _plain(row).items() if key != "edit_token_hash"},
            "decisions": by_comment.get(row.id, []),
            "revisions": texts.get(row.id, []),
        }
        for row in rows
    ]
    return {"email": email, "comments": items, "count": len(items)}


async def erase_author(db: Database, address: str, *, moderator_id: int | None) -> int:
    """Anonymise every comment stored with this address in place (threads keep their shape); returns how many.

    Replayed idempotent answers hold the name and body: they go too, and so do the address's opt-in record and every
    mail to it in the outbox.
    """
    email = normalised_email(address)
    now = datetime.now(UTC)
    async with db.write() as conn:
        rows = await privacy_store.comment_places_of(conn, email)
        ids = [row.id for row in rows]
        if ids:
            # The articles before any comment row, as every writer of a thread's shape locks them.
            await article_store.lock_articles(conn, {row.article_id for row in rows})
            await privacy_store.anonymise_comments(
                conn, ids, name=ERASED_NAME, email=ERASED_EMAIL, body=ERASED_BODY, now=now
            )
            for article_id in {row.article_id for row in rows}:
                await article_store.change_published(conn, article_id, delta=0, now=now)  # new ETag: cached copies go
        await privacy_store.forget_mail(conn, email)
        await privacy_store.record_event(conn, "erase", count=len(ids), moderator_id=moderator_id, now=now)
    return len(ids)


async def purge_rejected(db: Database, *, older_than: timedelta) -> int:
    """Delete rejected comments last changed before the cutoff, with their decisions; returns how many.

    A rejected comment that still has replies is kept (its replies would lose their place in the thread).
    """
    now = datetime.now(UTC)
    async with db.write() as conn:
        ids = await privacy_store.purgeable_rejected(conn, changed_before=now - older_than)
        if ids:
            await privacy_store.delete_comments(conn, ids)
        await privacy_store.record_event(conn, "purge", count=len(ids), moderator_id=None, now=now)
    return len(ids)


async def forget_report_contacts(db: Database, *, older_than: timedelta) -> int:
    """Forget the contact emails readers left with reports a moderator decided before the cutoff; returns how many.
    Open reports keep theirs: a moderator may still need to ask."""
    async with db.write() as conn:
        return await privacy_store.forget_report_contacts(conn, resolved_before=datetime.now(UTC) - older_than)


async def purge_outbox(db: Database, *, older_than: timedelta) -> int:
    """Delete delivered, dead and skipped outbox messages last changed before the cutoff; returns how many."""
    async with db.write() as conn:
        return await outbox_store.delete_finished(conn, updated_before=datetime.now(UTC) - older_than)
