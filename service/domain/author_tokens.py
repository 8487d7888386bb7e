"""An author's edit token: a 256-bit secret given in the submit answer, stored as its SHA-256 only.

The token is the HMAC-SHA256 of the reply's id under a key the service keeps (service_secrets, "edit_tokens"), so
the answer to a retried Idempotency-Key can carry the same token again, as the contract's "the first response"
asks, without the token being stored anywhere: the reply keeps its hash, the remembered answer keeps neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage.service_secrets import shared_secret

SECRET_NAME = "edit_tokens"  # noqa: S105 - the name the key is kept under, not the key


@dataclass
class EditKey:
    """The service's key for edit tokens, read once: at start-up, or by the first reply that needs it."""

    value: bytes | None = None

    async def get(self, conn: AsyncConnection) -> bytes:
        if self.value is None:
            self.value = await shared_secret(conn, SECRET_NAME)
        return self.value


def token_for(key: bytes, comment_id: uuid.UUID) -> str:
    """The reply's edit token: 43 URL-safe characters (256 bits)."""
    digest = hmac.new(key, comment_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    """SHA-256 in hex: a high-entropy secret needs no slow hash (as moderators' tokens, storage/tables.py)."""
    return hashlib.sha256(token.encode()).hexdigest()


def matches(stored_hash: str | None, token: str) -> bool:
    """Whether `token` is the one whose hash was stored; compared in constant time."""
    return stored_hash is not None and hmac.compare_digest(stored_hash, token_hash(token))
