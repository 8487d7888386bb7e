"""Moderator tokens and roles: random tokens shown once, stored as SHA-256, looked up by hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.errors import Forbidden, Unauthorized
from service.models import moderators

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


async def create_moderator(conn: AsyncConnection, name: str, *, role: str) -> tuple[Moderator, str]:
    """The new moderator and its token; the token is not stored and cannot be shown again."""
    if role not in ROLE_RANK:
        raise ValueError(f"role must be one of {', '.join(ROLE_RANK)}")
    token = new_token()
    result = await conn.execute(
        moderators.insert().returning(moderators.c.id),
        {"name": name, "token_hash": hash_token(token), "role": role, "created_at": datetime.now(UTC)},
    )
    return Moderator(id=result.scalar_one(), name=name, role=role), token


def bearer_token(header: str | None) -> str:
    if not header:
        raise Unauthorized("Missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <token>'", headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


async def authenticate(conn: AsyncConnection, header: str | None) -> Moderator:
    token = bearer_token(header)
    query = select(moderators.c.id, moderators.c.name, moderators.c.role).where(
        moderators.c.token_hash == hash_token(token), moderators.c.revoked_at.is_(None)
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise Unauthorized("Invalid or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return Moderator(id=row.id, name=row.name, role=row.role)


async def revoke_moderator(conn: AsyncConnection, name: str) -> bool:
    """Revoke the moderator's token at once; False when there is no such active moderator."""
    result = await conn.execute(
        update(moderators)
        .where(moderators.c.name == name, moderators.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return bool(result.rowcount)
