"""SQL for the site's rules: list entries, premoderation modes, sanctions, their audit, and the standing of an author
(recent replies and decisions). Runs inside the caller's transaction; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.tables import (
    author_sanctions,
    comments,
    decisions,
    moderation_modes,
    rule_changes,
    rule_entries,
    site_settings,
)


async def generation(conn: AsyncConnection) -> int:
    """The rules' generation: the id of the latest change (0 before any). One primary-key lookup."""
    return int((await conn.execute(select(func.coalesce(func.max(rule_changes.c.id), 0)))).scalar_one())


async def all_rules(
    conn: AsyncConnection,
) -> tuple[int, Sequence[Any], Sequence[Any], Sequence[Any], Sequence[Any]]:
    """(generation, modes, entries, sanctions, settings), read in one transaction so they belong to one generation."""
    current = await generation(conn)
    modes = (await conn.execute(select(moderation_modes.c.scope, moderation_modes.c.mode))).all()
    entries = (
        await conn.execute(
            select(
                rule_entries.c.list,
                rule_entries.c.key,
                rule_entries.c.value,
                rule_entries.c.action,
                rule_entries.c.expires_at,
            )
        )
    ).all()
    sanctions = (
        await conn.execute(select(author_sanctions.c.email_key, author_sanctions.c.kind, author_sanctions.c.expires_at))
    ).all()
    settings = (await conn.execute(select(site_settings.c.name, site_settings.c.value))).all()
    return current, modes, entries, sanctions, settings


async def record_change(
    conn: AsyncConnection,
    *,
    moderator_id: int | None,
    subject: str,
    target: str,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    now: datetime,
) -> None:
    await conn.execute(
        insert(rule_changes).values(
            moderator_id=moderator_id, subject=subject, target=target, old=old, new=new, created_at=now
        )
    )


async def changes(conn: AsyncConnection, *, before: int | None, limit: int) -> Sequence[Row[Any]]:
    """The audit, newest first: `limit + 1` rows (the extra one says there is a next page)."""
    query = select(rule_changes).order_by(rule_changes.c.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(rule_changes.c.id < before)
    return (await conn.execute(query)).all()


async def entries_of(conn: AsyncConnection, list_name: str) -> Sequence[Row[Any]]:
    query = select(rule_entries).where(rule_entries.c.list == list_name).order_by(rule_entries.c.id)
    return (await conn.execute(query)).all()


async def entry(
    conn: AsyncConnection, list_name: str, *, key: str | None = None, id_: int | None = None
) -> Row[Any] | None:
    query = select(rule_entries).where(rule_entries.c.list == list_name)
    query = query.where(rule_entries.c.key == key) if key is not None else query.where(rule_entries.c.id == id_)
    return (await conn.execute(query)).first()


async def insert_entry(conn: AsyncConnection, row: dict[str, Any]) -> int:
    result = await conn.execute(insert(rule_entries).values(**row).returning(rule_entries.c.id))
    return int(result.scalar_one())


async def update_entry(conn: AsyncConnection, id_: int, values: dict[str, Any]) -> None:
    await conn.execute(update(rule_entries).where(rule_entries.c.id == id_).values(**values))


async def delete_entry(conn: AsyncConnection, id_: int) -> None:
    await conn.execute(delete(rule_entries).where(rule_entries.c.id == id_))


async def modes(conn: AsyncConnection) -> Sequence[Row[Any]]:
    return (await conn.execute(select(moderation_modes).order_by(moderation_modes.c.scope))).all()


async def mode(conn: AsyncConnection, scope: str) -> Row[Any] | None:
    return (await conn.execute(select(moderation_modes).where(moderation_modes.c.scope == scope))).first()


async def put_mode(conn: AsyncConnection, row: dict[str, Any], *, exists: bool) -> None:
    if exists:
        await conn.execute(update(moderation_modes).where(moderation_modes.c.scope == row["scope"]).values(**row))
    else:
        await conn.execute(insert(moderation_modes).values(**row))


async def delete_mode(conn: AsyncConnection, scope: str) -> None:
    await conn.execute(delete(moderation_modes).where(moderation_modes.c.scope == scope))


async def sanctions(conn: AsyncConnection) -> Sequence[Row[Any]]:
    return (await conn.execute(select(author_sanctions).order_by(author_sanctions.c.created_at))).all()


async def sanction(conn: AsyncConnection, key: str) -> Row[Any] | None:
    return (await conn.execute(select(author_sanctions).where(author_sanctions.c.email_key == key))).first()


async def put_sanction(conn: AsyncConnection, row: dict[str, Any], *, exists: bool) -> None:
    if exists:
        query = update(author_sanctions).where(author_sanctions.c.email_key == row["email_key"])
        await conn.execute(query.values(**row))
    else:
        await conn.execute(insert(author_sanctions).values(**row))


async def delete_sanction(conn: AsyncConnection, key: str) -> None:
    await conn.execute(delete(author_sanctions).where(author_sanctions.c.email_key == key))


async def reviewed_replies(conn: AsyncConnection, emails: Sequence[str], *, per_author: int) -> Sequence[Any]:
    """Each author's `per_author` latest replies that a person decided on (email, id, status, created_at), newest
    first: one statement for a batch of authors (ix_comments_author_history, then decisions by comment)."""
    by_person = select(decisions.c.id).where(decisions.c.comment_id == comments.c.id, decisions.c.actor == "moderator")
    ranked = (
        select(
            comments.c.email,
            comments.c.id,
            comments.c.status,
            comments.c.created_at,
            func.row_number()
            .over(partition_by=comments.c.email, order_by=(comments.c.created_at.desc(), comments.c.id.desc()))
            .label("rank"),
        )
        .where(comments.c.email.in_(set(emails)))
        .where(by_person.exists())
        .subquery()
    )
    query = select(ranked.c.email, ranked.c.id, ranked.c.status, ranked.c.created_at).where(ranked.c.rank <= per_author)
    return (await conn.execute(query.order_by(ranked.c.email, ranked.c.rank))).all()


async def last_rejections(conn: AsyncConnection, emails: Sequence[str]) -> dict[str, datetime]:
    """Per author, when one of their replies last became rejected (its updated_at)."""
    query = (
        select(comments.c.email, func.max(comments.c.updated_at))
        .where(comments.c.email.in_(set(emails)))
        .where(comments.c.status == "rejected")
        .group_by(comments.c.email)
    )
    return {email: when for email, when in (await conn.execute(query)).all()}


async def authors_with_published(conn: AsyncConnection, emails: Sequence[str]) -> set[str]:
    query = (
        select(comments.c.email)
        .where(comments.c.email.in_(set(emails)))
        .where(comments.c.status == "published")
        .distinct()
    )
    return set((await conn.execute(query)).scalars().all())


async def replies_of(conn: AsyncConnection, email: str, *, limit: int) -> Sequence[Row[Any]]:
    """An author's latest replies, newest first (the console's author page)."""
    query = (
        select(comments)
        .where(comments.c.email == email)
        .order_by(comments.c.created_at.desc(), comments.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(query)).all()


async def decisions_about(conn: AsyncConnection, email: str, *, limit: int) -> Sequence[Row[Any]]:
    """The latest decisions on an author's replies, newest first (the console's author page)."""
    query = (
        select(decisions)
        .join(comments, comments.c.id == decisions.c.comment_id)
        .where(comments.c.email == email)
        .order_by(decisions.c.created_at.desc(), decisions.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(query)).all()


async def settings(conn: AsyncConnection) -> Sequence[Row[Any]]:
    return (await conn.execute(select(site_settings).order_by(site_settings.c.name))).all()


async def setting(conn: AsyncConnection, name: str) -> Row[Any] | None:
    return (await conn.execute(select(site_settings).where(site_settings.c.name == name))).first()


async def put_setting(conn: AsyncConnection, row: dict[str, Any], *, exists: bool) -> None:
    if exists:
        await conn.execute(update(site_settings).where(site_settings.c.name == row["name"]).values(**row))
    else:
        await conn.execute(insert(site_settings).values(**row))
