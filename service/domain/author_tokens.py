"""An author's edit token: a 256-bit secret given once in the submit answer, stored as its SHA-256 only."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """SHA-256 in hex: a high-entropy secret needs no slow hash (as moderators' tokens, storage/tables.py)."""
    return hashlib.sha256(token.encode()).hexdigest()


def matches(stored_hash: str | None, token: str) -> bool:
    """Whether `token` is the one whose hash was stored; compared in constant time."""
    return stored_hash is not None and hmac.compare_digest(stored_hash, token_hash(token))
