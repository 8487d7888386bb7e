"""Moderator tokens and roles: random tokens shown once, stored as SHA-256, looked up by hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from service.errors import Conflict, Forbidden, Unauthorized
from service.storage import credentials

TOKEN_PREFIX = "rg_"  # noqa: S105 - a recognisable prefix (for secret scanners), not a secret
ROLE_RANK = {"moderator": 1, "admin": 2}


@dataclass(frozen=True, slots=True)
class Moderator:
    id: int
    name: str
    role: str

    def require(self, role: str) -> None:
        """Admins may do what moderators may; a lower role is a 403."""
        if ROLE_RANK[self.role] < ROLE_RANK[role]:
            raise Forbidden(f"This needs the {role} role")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def create_moderator(
    conn: AsyncConnection, name: str, *, role: str, expires_in: timedelta | None = None
) -> tuple[Moderator, str]:
    """The new moderator and its token; the token is not stored and cannot be shown again. With `expires_in`, the
    token stops working after that long (a contractor, a shift); without, it works until revoked.

    A name whose moderator was revoked (or whose token expired) is the same person back: the row gets a new token
    and role, keeps its id (so the decision history stays theirs), and its old sessions are deleted so that none
    comes back to life. Conflict for a name whose moderator is still active."""
    if role not in ROLE_RANK:
        raise ValueError(f"role must be one of {', '.join(ROLE_RANK)}")
    token = new_token()
    now = datetime.now(UTC)
    row = {
        "name": name,
        "token_hash": hash_token(token),
        "role": role,
        "created_at": now,
        "revoked_at": None,
        "expires_at": now + expires_in if expires_in is not None else None,
    }
    existing = await credentials.moderator_named(conn, name, now=now)
    if existing is None:
        return Moderator(id=await credentials.insert_moderator(conn, row), name=name, role=role), token
    if existing.usable:
        raise Conflict(f"A moderator named {name} is active; revoke it first to give it a new token")
    await credentials.reissue_moderator(conn, existing.id, row)
    return Moderator(id=existing.id, name=name, role=role), token


def bearer_token(header: str | None) -> str:
    if not header:
        raise Unauthorized("Missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'", headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


async def authenticate(conn: AsyncConnection, header: str | None) -> Moderator:
    return await moderator_for_token(conn, bearer_token(header))


async def moderator_for_token(conn: AsyncConnection, token: str) -> Moderator:
    """The moderator a token belongs to; 401 for an unknown, expired or revoked token."""
    # Looked up by the token's SHA-256: comparing digests of 256-bit random tokens leaks nothing usable about a
    # token through timing, and the lookup stays one indexed read.
    row = await credentials.moderator_by_token(conn, hash_token(token), now=datetime.now(UTC))
    if row is None:
        raise Unauthorized("Invalid, expired or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return Moderator(id=row.id, name=row.name, role=row.role)


async def revoke_moderator(conn: AsyncConnection, name: str) -> bool:
    """Revoke the moderator's token at once; False when there is no such active moderator."""
    return await credentials.revoke_moderator(conn, name, now=datetime.now(UTC))
