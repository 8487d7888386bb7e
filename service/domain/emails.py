"""The emails replies and decisions cause, as outbox rows written in their transaction: the one confirmation of an
address that asked to be notified, reply notifications (gathered into one mail per address while the batch window
runs), "your reply is published", and the statement of reasons of a rejection or take-down.

Whether a mail may go to its address (confirmed, not suppressed, within the send limits) is decided when it is
delivered (service/domain/email_sender.py), so writing one costs no read on the submit path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from service.ids import new_id
from service.storage import email_addresses as address_store
from service.storage import outbox as outbox_store
from service.storage.database import note_outbox_written

CONFIRM: Final = "email.confirm"
REPLIES: Final = "email.replies"
PUBLISHED: Final = "email.published"
REJECTED: Final = "email.rejected"
APPEAL_OUTCOME: Final = "email.appeal_outcome"
QUEUE_ALERT: Final = "email.queue_alert"
DAILY_DIGEST: Final = "email.daily_digest"
# Mails to the moderators' addresses in the settings: the operator's own, so no double opt-in (suppression holds).
OPERATOR_EVENTS: Final = frozenset({QUEUE_ALERT, DAILY_DIGEST})
EXCERPT: Final = 500  # characters of a reply quoted in a mail


@dataclass(frozen=True, slots=True)
class MailPolicy:
    """Email is configured (REPLYGUARD_SMTP_HOST): replies and decisions write mails; None elsewhere means none."""

    batch_window: timedelta


def email_row(event: str, recipient: str, payload: dict[str, Any], *, now: datetime, due: datetime | None = None
              ) -> dict[str, Any]:  # fmt: skip
    return {
        "id": new_id(),
        "channel": "email",
        "event": event,
        "endpoint_id": None,
        "recipient": recipient,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": due or now,
        "created_at": now,
        "updated_at": now,
    }


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _when(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def reply_item(parent: Mapping[str, Any], reply: Mapping[str, Any]) -> dict[str, Any]:
    """One reply in a notification: who answered what, where (never the replier's email)."""
    return {
        "comment_id": str(reply["id"]),
        "article_id": reply["article_id"],
        "name": reply["name"],
        "body": excerpt(reply["body"]),
        "parent_body": excerpt(parent["body"]),
        "created_at": _when(reply["created_at"]),
    }


def wants_reply_notice(parent: Mapping[str, Any] | None, reply: Mapping[str, Any]) -> bool:
    """The parent's author asked to hear of replies, and this one is not their own."""
    return parent is not None and bool(parent["notify_replies"]) and parent["email"] != reply["email"]


def statement(comment: Mapping[str, Any], decision: Mapping[str, Any]) -> dict[str, Any]:
    """A statement of reasons for a rejection or a take-down: what was decided, on which facts and grounds, whether
    automated means detected it and decided it. The mail adds the site's terms, the legal contact and the appeal
    route (settings)."""
    reasons = [
        str(reason.get("message") or reason.get("code"))
        for reason in (comment.get("reasons") or [])
        if isinstance(reason, dict) and reason.get("code") != "relevance"
    ]
    return {
        "comment_id": str(comment["id"]),
        "decision_id": str(decision["id"]),  # what an appeal from the statement's link appeals
        "article_id": comment["article_id"],
        "body": excerpt(comment["body"]),
        "submitted_at": _when(comment["created_at"]),
        "decided_at": _when(decision["created_at"]),
        "taken_down": decision["from_status"] == "published",
        "reason": decision.get("reason"),  # the moderator's: spam, abuse, off_topic, other
        "grounds": reasons,  # the rules and signals that fired when it arrived
        "automated_detection": comment.get("model_version") is not None,
        "automated_decision": decision["actor"] == "model",
    }


def published_notice(comment: Mapping[str, Any]) -> dict[str, Any]:
    return {"comment_id": str(comment["id"]), "article_id": comment["article_id"], "body": excerpt(comment["body"])}


async def ask_confirmation(conn: AsyncConnection, addresses: Iterable[str], *, now: datetime) -> list[dict[str, Any]]:
    """The confirmation mails of the addresses asking for the first time (one each, ever; see docs)."""
    new = await address_store.request_confirmation(conn, addresses, now=now)
    return [email_row(CONFIRM, address, {}, now=now) for address in sorted(new)]


async def gather_reply_notices(
    conn: AsyncConnection, notices: Iterable[tuple[str, dict[str, Any]]], *, policy: MailPolicy, now: datetime
) -> list[dict[str, Any]]:
    """Add each (recipient, reply item) to the recipient's waiting notification, or start one due when the batch
    window ends; returns the rows to insert (the joined ones are updated in place)."""
    fresh: dict[str, dict[str, Any]] = {}
    for recipient, item in notices:
        if recipient in fresh:
            fresh[recipient]["payload"]["replies"].append(item)
            continue
        waiting = await outbox_store.gathering(conn, recipient=recipient, event=REPLIES)
        if waiting is not None:
            payload = dict(waiting.payload)
            payload["replies"] = [*payload.get("replies", []), item]
            await outbox_store.set_payload(conn, waiting.id, payload, now=now)
            note_outbox_written(conn)
            continue
        fresh[recipient] = email_row(REPLIES, recipient, {"replies": [item]}, now=now, due=now + policy.batch_window)
    return list(fresh.values())
