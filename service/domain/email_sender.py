"""Sending the outbox's mails over SMTP (aiosmtplib), with the mailer's own safeguards checked at each attempt: an
address gets its one confirmation, and anything else only once confirmed; nothing while it is suppressed
(unsubscribed, bounced, complained); at most REPLYGUARD_EMAIL_LIMIT_PER_ADDRESS mails a day to one address and
REPLYGUARD_EMAIL_LIMIT_PER_HOUR an hour in all (beyond them a mail waits for its next attempt).

An SMTP error's text can quote the recipient: only its kind and code are kept (the outbox, logs, the console).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import aiosmtplib

from service.domain import emails
from service.domain.delivery import Attempt
from service.domain.mail_compose import compose
from service.domain.mail_links import link_secret
from service.settings import Settings
from service.storage import email_addresses as address_store
from service.storage.database import Database


class EmailSender:
    """The delivery worker's Sender for the "email" channel."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._secret: bytes | None = None

    async def _rule_out(self, message: Any, *, now: datetime) -> tuple[Any, Attempt | None]:
        """The address's row, and the attempt's outcome when the mail must not (or not yet) go."""

        async def read(conn: Any) -> tuple[Any, int, int]:
            row = await address_store.by_address(conn, message.recipient)
            to_one = await address_store.sent_to(conn, message.recipient, since=now - timedelta(days=1))
            to_all = await address_store.sent_by_email(conn, since=now - timedelta(hours=1))
            return row, to_one, to_all

        row, to_one, to_all = await self.db.run_read(read)
        operator = message.event in emails.OPERATOR_EVENTS  # to the moderators' own addresses, from the settings
        if operator and row is not None and row.suppressed_at is not None:
            return row, Attempt(ok=False, error=f"the address is suppressed ({row.suppressed_reason})", final="skipped")
        if operator:
            return row, None
        if row is None:
            return row, Attempt(ok=False, error="the address never asked for mail", final="skipped")
        if row.suppressed_at is not None:
            return row, Attempt(ok=False, error=f"the address is suppressed ({row.suppressed_reason})", final="skipped")
        if message.event == emails.CONFIRM and row.confirmed_at is not None:
            return row, Attempt(ok=False, error="the address is confirmed already", final="skipped")
        if message.event != emails.CONFIRM and row.confirmed_at is None:
            return row, Attempt(ok=False, error="the address is not confirmed", final="skipped")
        if to_one >= self.settings.email_limit_per_address:
            return row, Attempt(ok=False, error="the daily limit of mails to this address is reached")
        if to_all >= self.settings.email_limit_per_hour:
            return row, Attempt(ok=False, error="the hourly limit of mails is reached")
        return row, None

    async def send(self, message: Any, *, now: datetime) -> Attempt:
        row, ruled_out = await self._rule_out(message, now=now)
        if ruled_out is not None:
            return ruled_out
        if self._secret is None:
            self._secret = await link_secret(self.db)
        address_id = row.id if row is not None else None
        mail = compose(message, address_id=address_id, secret=self._secret, settings=self.settings, now=now)
        tls = self.settings.smtp_tls
        try:
            await aiosmtplib.send(
                mail,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                username=self.settings.smtp_username,
                password=self.settings.smtp_password,
                use_tls=tls == "tls",
                start_tls=True if tls == "starttls" else False if tls == "none" else None,
                timeout=self.settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({response.code for response in exc.recipients})
            return await self._refused(address_id, codes[0] if codes else None, now=now)
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500 and exc.code not in (530, 535):  # 530/535: our credentials, not the address
                return await self._refused(address_id, exc.code, now=now)
            return Attempt(ok=False, status_code=exc.code, error=f"the mail server answered {exc.code}")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Attempt(ok=False, error=f"{type(exc).__name__}: the mail server could not be reached")
        return Attempt(ok=True, status_code=250)

    async def _refused(self, address_id: int | None, code: int | None, *, now: datetime) -> Attempt:
        """A permanent refusal of the address: it bounced, and gets nothing more (a moderator's address from the
        settings is not on the list: the operator fixes the setting)."""
        if code is not None and 400 <= code < 500:
            return Attempt(ok=False, status_code=code, error=f"the mail server deferred the address ({code})")
        if address_id is None:
            return Attempt(ok=False, status_code=code, error=f"the address bounced ({code})", final="dead")

        async def suppress(conn: Any) -> bool:
            return await address_store.suppress(conn, address_id=address_id, reason="bounced", now=now)

        await self.db.run_write(suppress)
        return Attempt(ok=False, status_code=code, error=f"the address bounced ({code})", final="dead")

    async def close(self) -> None:
        """Each mail opens its own connection: nothing stays open."""
