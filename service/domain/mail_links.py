"""Signed links in mails: confirm an address (expiring) and unsubscribe (one click, RFC 8058). A link names the
address by its row id and carries an HMAC under the service's `email_links` secret; never the address itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Final

from service.storage import email_addresses as address_store
from service.storage.database import Database
from service.storage.service_secrets import shared_secret

SECRET_NAME: Final = "email_links"  # noqa: S105 - the secret's name in service_secrets, not a secret


async def link_secret(db: Database) -> bytes:
    """The key of the links, made on first use and shared by every replica through the database."""
    async with db.write() as conn:
        return await shared_secret(conn, SECRET_NAME)


def signature(secret: bytes, purpose: str, subject: int | str, expires: int = 0) -> str:
    """The signature of a link for `purpose` (confirm, unsubscribe, appeal) about `subject`, valid until `expires`."""
    digest = hmac.new(secret, f"{purpose}|{subject}|{expires}".encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


def is_signed(secret: bytes, purpose: str, subject: int | str, expires: int, given: str) -> bool:
    return hmac.compare_digest(signature(secret, purpose, subject, expires).encode(), given.encode())


def confirm_link(base_url: str, secret: bytes, address_id: int, *, expires: datetime) -> str:
    until = int(expires.timestamp())
    signed = signature(secret, "confirm", address_id, until)
    return f"{base_url.rstrip('/')}/email/confirm?a={address_id}&e={until}&s={signed}"


def unsubscribe_link(base_url: str, secret: bytes, address_id: int) -> str:
    return f"{base_url.rstrip('/')}/email/unsubscribe?a={address_id}&s={signature(secret, 'unsubscribe', address_id)}"


class LinkRefused(ValueError):
    """A link whose signature does not check out, or whose time is up."""


async def confirm_address(db: Database, address_id: int, expires: int, given: str, *, now: datetime) -> None:
    """Follow a confirmation link: the address gets the mails it asked for from now on."""
    if expires < int(now.timestamp()) or not is_signed(await link_secret(db), "confirm", address_id, expires, given):
        raise LinkRefused("This confirmation link is not valid or has expired.")
    async with db.write() as conn:
        if not await address_store.confirm(conn, address_id, now=now):
            raise LinkRefused("This confirmation link is not valid or has expired.")


async def unsubscribe(db: Database, address_id: int, given: str, *, now: datetime) -> None:
    """Follow an unsubscribe link (or its one-click POST): the address gets nothing more."""
    if not is_signed(await link_secret(db), "unsubscribe", address_id, 0, given):
        raise LinkRefused("This unsubscribe link is not valid.")
    async with db.write() as conn:
        if not await address_store.suppress(conn, address_id=address_id, reason="unsubscribed", now=now):
            raise LinkRefused("This unsubscribe link is not valid.")
