"""API keys for the compatible APIs: random keys shown once, stored as SHA-256, revocable, optionally expiring.

Managed exactly like moderator tokens (service/domain/auth.py), in their own table: a key lets a site score and send
labels, never moderate, so the two must not be interchangeable.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from service.domain.auth import hash_token
from service.errors import Conflict
from service.storage import credentials

# A recognisable prefix for secret scanners. "_" and "-" in the key also mean it can never be a DNS label, which is
# why Akismet's old key-in-the-host-name style cannot carry it (docs/integrations.md).
KEY_PREFIX = "rgk_"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    name: str


async def create_api_key(
    conn: AsyncConnection, name: str, *, expires_in: timedelta | None = None
) -> tuple[ApiKey, str]:
    """The new key's record and the key itself, which is not stored and cannot be shown again.

    A name whose key was revoked (or expired) gets a new key on the same row, so the labels it sent stay counted
    under it (like moderators, service/domain/auth.py); Conflict for a name whose key is still active."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = {
        "name": name,
        "key_hash": hash_token(key),
        "created_at": now,
        "revoked_at": None,
        "expires_at": now + expires_in if expires_in is not None else None,
    }
    existing = await credentials.api_key_named(conn, name, now=now)
    if existing is None:
        return ApiKey(id=await credentials.insert_api_key(conn, row), name=name), key
    if existing.usable:
        raise Conflict(f"An API key named {name} is active; revoke it first to make a new one")
    await credentials.reissue_api_key(conn, existing.id, row)
    return ApiKey(id=existing.id, name=name), key


async def find_api_key(conn: AsyncConnection, key: str | None) -> ApiKey | None:
    """The active key `key` names; None for a missing, unknown, expired or revoked key."""
    if not key:
        return None
    # One indexed read by digest, as for moderator tokens: comparing digests of 256-bit keys leaks nothing usable.
    row = await credentials.api_key_by_hash(conn, hash_token(key), now=datetime.now(UTC))
    return ApiKey(id=row.id, name=row.name) if row is not None else None


async def revoke_api_key(conn: AsyncConnection, name: str) -> bool:
    """Revoke the key at once; False when there is no such active key."""
    return await credentials.revoke_api_key(conn, name, now=datetime.now(UTC))
