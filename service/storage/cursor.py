"""Opaque keyset cursors: the (created_at, id) of the last row of a page, base64url-encoded."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from service.errors import BadRequest, FieldError

# A page's position: the (created_at, id) of its last row, in the order of the comments' keyset indexes.
Cursor = tuple[datetime, uuid.UUID]


def encode_cursor(created_at: datetime, comment_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{comment_id.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str | None) -> Cursor | None:
    """The position in `text`; a cursor that was not made by encode_cursor is a 400 naming `cursor`."""
    if text is None or text == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        stamp, hex_id = raw.split("|")
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("naive")
        return created_at, uuid.UUID(hex=hex_id)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise BadRequest(
            "Invalid cursor", errors=[FieldError("cursor", "is not a cursor from a previous page")]
        ) from exc
