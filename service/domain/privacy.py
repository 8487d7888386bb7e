"""Privacy operations: export and erase everything stored about an email address, and purge old rejected replies.

Each is audited in `privacy_events` with a count, never with the address.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.errors import invalid
from service.ids import new_id
from service.storage import store
from service.storage.database import Database
from service.storage.tables import comments, decisions, idempotency_keys, privacy_events

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


def _of(email: str) -> Any:
    return func.lower(comments.c.email) == email.lower()


async def _audit(conn: AsyncConnection, action: str, *, count: int, moderator_id: int | None) -> None:
    await conn.execute(
        privacy_events.insert(),
        {
            "id": new_id(),
            "action": action,
            "moderator_id": moderator_id,
            "comments_affected": count,
            "created_at": datetime.now(UTC),
        },
    )


def _plain(row: Any) -> dict[str, Any]:
    return {
        key: (str(value) if isinstance(value, (uuid.UUID, datetime)) else value) for key, value in row._mapping.items()
    }


async def export_author(db: Database, address: str, *, moderator_id: int | None) -> dict[str, Any]:
    """Every comment stored with this address (any status) and each one's decision history."""
    email = normalised_email(address)
    async with db.write() as conn:
        rows = (await conn.execute(select(comments).where(_of(email)).order_by(comments.c.created_at))).all()
        ids = [row.id for row in rows]
        history = (
            (
                await conn.execute(
                    select(decisions).where(decisions.c.comment_id.in_(ids)).order_by(decisions.c.created_at)
                )
            ).all()
            if ids
            else []
        )
        await _audit(conn, "export", count=len(rows), moderator_id=moderator_id)
    by_comment: dict[Any, list[dict[str, Any]]] = {}
    for decision in history:
        by_comment.setdefault(decision.comment_id, []).append(_plain(decision))
    items = [{**_plain(row), "decisions": by_comment.get(row.id, [])} for row in rows]
    return {"email": email, "comments": items, "count": len(items)}


async def erase_author(db: Database, address: str, *, moderator_id: int | None) -> int:
    """Anonymise every comment stored with this address in place (threads keep their shape); returns how many."""
    email = normalised_email(address)
    now = datetime.now(UTC)
    async with db.write() as conn:
        rows = (await conn.execute(select(comments.c.id, comments.c.article_id).where(_of(email)))).all()
        ids = [row.id for row in rows]
        if ids:
            await store.lock_articles(conn, {row.article_id for row in rows})  # before any comment row, as all do
            # Replayed idempotent answers hold the name and body: they go too.
            await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.comment_id.in_(ids)))
            await conn.execute(
                update(comments)
                .where(comments.c.id.in_(ids))
                .values(
                    name=ERASED_NAME,
                    email=ERASED_EMAIL,
                    website=None,
                    body=ERASED_BODY,
                    body_hash=None,  # the duplicate check's key is the erased text's too
                    updated_at=now,
                )
            )
            for article_id in {row.article_id for row in rows}:
                await store.change_published(conn, article_id, delta=0, now=now)  # new ETag: cached copies go
        await _audit(conn, "erase", count=len(ids), moderator_id=moderator_id)
    return len(ids)


async def purge_rejected(db: Database, *, older_than: timedelta) -> int:
    """Delete rejected comments last changed before the cutoff, with their decisions; returns how many.

    A rejected comment that still has replies is kept (its replies would lose their place in the thread).
    """
    cutoff = datetime.now(UTC) - older_than
    async with db.write() as conn:
        children = select(comments.c.parent_id).where(comments.c.parent_id.is_not(None))
        roots = select(comments.c.root_id).where(comments.c.root_id.is_not(None))
        query = select(comments.c.id).where(
            comments.c.status == "rejected",
            comments.c.updated_at < cutoff,
            comments.c.id.not_in(children),
            comments.c.id.not_in(roots),
        )
        ids = [row.id for row in (await conn.execute(query)).all()]
        if ids:
            await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.comment_id.in_(ids)))
            await conn.execute(delete(decisions).where(decisions.c.comment_id.in_(ids)))
            await conn.execute(delete(comments).where(comments.c.id.in_(ids)))
        await _audit(conn, "purge", count=len(ids), moderator_id=None)
    return len(ids)
