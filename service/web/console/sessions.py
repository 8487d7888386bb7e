"""Console sign-in sessions: a random id in an HttpOnly cookie, stored as its SHA-256 with a per-session CSRF token.

Stored in the database, not in a process, so every worker and replica knows every session, and revoking a moderator
(or their token expiring) ends their sessions: a session is only as good as the moderator row behind it. A server
keeps a session it found for REPLYGUARD_MODERATION_CACHE_SECONDS (service/web/moderator_reads.py), so a revocation
from another process takes that long (1 s) to reach it; signing out, and any write in the same worker, at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from service.domain.auth import Moderator, hash_token
from service.storage import credentials


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    moderator: Moderator
    csrf_token: str

    def accepts(self, csrf_token: str | None) -> bool:
        """Whether a state-changing request carries this session's CSRF token (compared in constant time, as bytes:
        compare_digest refuses a non-ASCII str with a TypeError, and any text a client sends must be a plain no)."""
        return bool(csrf_token) and secrets.compare_digest(str(csrf_token).encode(), self.csrf_token.encode())


async def open_session(conn: AsyncConnection, moderator: Moderator, *, lifetime: timedelta) -> tuple[str, str]:
    """A new session for `moderator`: (the cookie's value, the CSRF token). Expired sessions are cleared here too."""
    now = datetime.now(UTC)
    await credentials.delete_expired_sessions(conn, now=now)
    session_id, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await credentials.insert_session(
        conn,
        {
            "id_hash": hash_token(session_id),
            "moderator_id": moderator.id,
            "csrf_token": csrf_token,
            "created_at": now,
            "expires_at": now + lifetime,
        },
    )
    return session_id, csrf_token


async def find_session(conn: AsyncConnection, session_id: str | None) -> ConsoleSession | None:
    """The live session behind a cookie, or None (unknown, expired, or its moderator revoked or expired)."""
    if not session_id:
        return None
    row = await credentials.session_by_hash(conn, hash_token(session_id), now=datetime.now(UTC))
    if row is None:
        return None
    return ConsoleSession(moderator=Moderator(id=row.id, name=row.name, role=row.role), csrf_token=row.csrf_token)


async def close_session(conn: AsyncConnection, session_id: str) -> None:
    await credentials.delete_session(conn, hash_token(session_id))
