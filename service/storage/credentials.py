"""SQL for credentials: moderators' tokens, API keys and console sessions. Secrets arrive here already hashed (SHA-256,
service/domain/auth.py). Runs inside the caller's transaction; never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, and_, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter

from service.storage.tables import api_keys, console_sessions, moderators


def _usable(table: Table, now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """A token or key that still works at `now`: not revoked and not expired (no expiry: valid until revoked)."""
    return and_(table.c.revoked_at.is_(None), or_(table.c.expires_at.is_(None), table.c.expires_at > now))


async def _revoke(conn: AsyncConnection, table: Table, name: str, *, now: datetime) -> bool:
    result = await conn.execute(
        update(table).where(table.c.name == name, table.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return bool(result.rowcount)


async def _named(conn: AsyncConnection, table: Table, name: str, *, now: datetime) -> Row[Any, Any] | None:
    """(id, usable) of the credential with this name, usable by the same rule as every lookup; None if there is none."""
    query = select(table.c.id, _usable(table, now).label("usable")).where(table.c.name == name)
    return (await conn.execute(query)).first()


async def moderator_named(conn: AsyncConnection, name: str, *, now: datetime) -> Row[Any, Any] | None:
    """(id, usable) of the moderator called `name`; None when there is none."""
    return await _named(conn, moderators, name, now=now)


async def reissue_moderator(conn: AsyncConnection, moderator_id: int, values: dict[str, Any]) -> None:
    """Give an existing moderator's row a new token (and role, expiry); its old console sessions are deleted, so that
    none comes back to life with it."""
    await conn.execute(delete(console_sessions).where(console_sessions.c.moderator_id == moderator_id))
    await conn.execute(update(moderators).where(moderators.c.id == moderator_id).values(values))


async def insert_moderator(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """The new moderator's id."""
    result = await conn.execute(moderators.insert().returning(moderators.c.id), values)
    return int(result.scalar_one())


# Every moderator request starts here, so the statement is built once (bound parameters) rather than per request.
_MODERATOR_BY_TOKEN = select(moderators.c.id, moderators.c.name, moderators.c.role).where(
    moderators.c.token_hash == bindparam("token_hash"),
    _usable(moderators, bindparam("now", type_=moderators.c.expires_at.type)),
)


async def moderator_by_token(conn: AsyncConnection, token_hash: str, *, now: datetime) -> Row[Any, Any, Any] | None:
    """(id, name, role) of the moderator whose usable token has this digest; None otherwise. One indexed read."""
    return (await conn.execute(_MODERATOR_BY_TOKEN, {"token_hash": token_hash, "now": now})).first()


async def revoke_moderator(conn: AsyncConnection, name: str, *, now: datetime) -> bool:
    """False when there is no such active moderator."""
    return await _revoke(conn, moderators, name, now=now)


async def api_key_named(conn: AsyncConnection, name: str, *, now: datetime) -> Row[Any, Any] | None:
    """(id, usable) of the API key called `name`; None when there is none."""
    return await _named(conn, api_keys, name, now=now)


async def reissue_api_key(conn: AsyncConnection, key_id: int, values: dict[str, Any]) -> None:
    """Give an existing key's row a new secret (and expiry)."""
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(values))


async def insert_api_key(conn: AsyncConnection, values: dict[str, Any]) -> int:
    """The new key's id."""
    result = await conn.execute(api_keys.insert().returning(api_keys.c.id), values)
    return int(result.scalar_one())


async def api_key_by_hash(conn: AsyncConnection, key_hash: str, *, now: datetime) -> Row[Any, Any] | None:
    """(id, name) of the usable key with this digest; None otherwise. One indexed read."""
    query = select(api_keys.c.id, api_keys.c.name).where(api_keys.c.key_hash == key_hash, _usable(api_keys, now))
    return (await conn.execute(query)).first()


async def revoke_api_key(conn: AsyncConnection, name: str, *, now: datetime) -> bool:
    """False when there is no such active key."""
    return await _revoke(conn, api_keys, name, now=now)


async def delete_expired_sessions(conn: AsyncConnection, *, now: datetime) -> None:
    await conn.execute(delete(console_sessions).where(console_sessions.c.expires_at <= now))


async def insert_session(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(console_sessions.insert(), values)


# Every console page starts here: built once, like the token lookup.
_SESSION_BY_HASH = (
    select(console_sessions.c.csrf_token, moderators.c.id, moderators.c.name, moderators.c.role)
    .join(moderators, moderators.c.id == console_sessions.c.moderator_id)
    .where(
        console_sessions.c.id_hash == bindparam("id_hash"),
        console_sessions.c.expires_at > bindparam("now", type_=console_sessions.c.expires_at.type),
        _usable(moderators, bindparam("now", type_=moderators.c.expires_at.type)),
    )
)


async def session_by_hash(conn: AsyncConnection, id_hash: str, *, now: datetime) -> Row[Any, Any, Any, Any] | None:
    """(csrf_token, id, name, role) of a live session whose moderator's token still works; None otherwise."""
    return (await conn.execute(_SESSION_BY_HASH, {"id_hash": id_hash, "now": now})).first()


async def delete_session(conn: AsyncConnection, id_hash: str) -> None:
    await conn.execute(delete(console_sessions).where(console_sessions.c.id_hash == id_hash))
