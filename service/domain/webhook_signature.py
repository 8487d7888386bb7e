"""Standard Webhooks signatures: secrets `whsec_<base64 key>`, headers webhook-id, webhook-timestamp and
webhook-signature (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret while a rotation runs)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - the specification's prefix, not a secret
# Receivers should refuse a timestamp further than this from their clock (replays of an old, captured call).
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """A webhook call whose signature, or timestamp, does not check out."""


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, as the specification writes them."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<signature>` of the body under `secret`."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(secrets_in_use: Iterable[str], *, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a call, signed once per secret (two during a rotation), space-separated."""
    signatures = " ".join(sign(s, message_id=message_id, timestamp=timestamp, body=body) for s in secrets_in_use)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: int) -> str:
    """What a receiver does: check that one of the call's signatures is `secret`'s and that its timestamp is
    recent; returns the webhook-id to de-duplicate on. SignatureError otherwise."""
    try:
        message_id = headers["webhook-id"]
        timestamp = int(headers["webhook-timestamp"])
        given = headers["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise SignatureError("missing or malformed webhook headers") from exc
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureError("the timestamp is too far from now")
    expected = sign(secret, message_id=message_id, timestamp=timestamp, body=body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in given):
        raise SignatureError("no signature matches")
    return message_id
