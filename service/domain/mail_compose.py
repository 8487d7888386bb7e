"""Mails from the outbox's email rows: subject, text and HTML parts from the templates in mail_templates/, and the
headers (Message-ID from the delivery id; List-Unsubscribe with one-click List-Unsubscribe-Post, RFC 8058, on every
mail but a confirmation)."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.domain import emails
from service.domain.appeal_links import appeal_link
from service.domain.mail_links import confirm_link, unsubscribe_link
from service.settings import Settings

TEMPLATES: Final = Path(__file__).parent / "mail_templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
REASONS: Final = {
    "spam": "it was judged to be spam",
    "abuse": "it was judged to be abusive",
    "off_topic": "it was judged to be off topic",
    "other": "it breaks the site's rules",
    # A take-down on readers' reports (service/domain/reports.py): who reported it is not said.
    "reader_report": "readers reported it, and a moderator found that it breaks the site's rules",
}


def subject(event: str, payload: dict[str, Any]) -> str:
    if event == emails.CONFIRM:
        return "Confirm your address for reply notifications"
    if event == emails.REPLIES:
        count = len(payload.get("replies", []))
        return "A new reply to your comment" if count == 1 else f"{count} new replies to your comment"
    if event == emails.PUBLISHED:
        return "Your reply is published"
    if event == emails.DAILY_DIGEST:
        return f"Moderation digest: {payload.get('pending')} waiting, {payload.get('appeals_open')} appeals open"
    if event == emails.QUEUE_ALERT:
        return f"Moderation queue needs attention: {payload.get('pending')} replies waiting"
    if event == emails.APPEAL_OUTCOME:
        return "Your appeal: the decision is reversed" if payload.get("outcome") == "reversed" else (
            "Your appeal: the decision is upheld")  # fmt: skip
    return "Your reply was taken down: statement of reasons" if payload.get("taken_down") else (
        "Your reply was not published: statement of reasons")  # fmt: skip


def _grounds(payload: dict[str, Any]) -> str:
    parts = [REASONS[payload["reason"]]] if payload.get("reason") in REASONS else []
    parts += [str(ground) for ground in payload.get("grounds", [])]
    return "; ".join(parts) or "it breaks the site's rules"


def compose(message: Any, *, address_id: int | None, secret: bytes, settings: Settings, now: datetime) -> EmailMessage:
    """The mail of an outbox email row, to its recipient (`address_id` None: an operator's address, no list links)."""
    base = settings.public_url or ""
    payload = dict(message.payload)
    listed = address_id is not None and message.event != emails.CONFIRM
    unsubscribe = unsubscribe_link(base, secret, address_id) if listed and address_id is not None else None
    expires = now + timedelta(hours=settings.email_confirm_hours)
    context = {
        "payload": payload,
        "site": urlsplit(base).hostname or base,
        "unsubscribe": unsubscribe,
        "confirm": confirm_link(base, secret, address_id, expires=expires) if address_id is not None else None,
        "expires": expires.strftime("%Y-%m-%d %H:%M"),
        "grounds": _grounds(payload),
        "terms": settings.site_terms_url,
        "contact": settings.legal_contact,
        "console": f"{base.rstrip('/')}/console",
        "appeal": appeal_link(base, secret, payload["comment_id"], payload["decision_id"], now=now)
        if message.event == emails.REJECTED and "decision_id" in payload
        else None,
    }
    mail = EmailMessage()
    mail["Subject"] = subject(message.event, payload)
    mail["From"] = settings.email_sender
    mail["To"] = message.recipient
    mail["Date"] = format_datetime(now)
    # One id per outbox message, the same on a retry: a receiving system can tell a resent mail.
    mail["Message-ID"] = f"<{message.id}@{urlsplit(base).hostname or 'replyguard'}>"
    mail["Auto-Submitted"] = "auto-generated"
    if unsubscribe is not None:
        mail["List-Unsubscribe"] = f"<{unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(_env.get_template(f"{message.event}.txt").render(context))
    mail.add_alternative(_env.get_template(f"{message.event}.html").render(context), subtype="html")
    return mail
