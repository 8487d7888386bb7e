"""The events others hear of (reply.created, reply.published, reply.held, reply.rejected, reply.edited,
reply.deleted, decision.made, appeal.created, report.created), their payloads, and the outbox rows they become inside
the transaction of the change that causes them.

Events fan out when they are written: one outbox row per subscribed webhook endpoint, so each row is one message to
one receiver, with its own delivery id, retries and dead letter. The submit path takes its subscriptions from a
per-process copy (`Subscriptions`, refreshed like the site's rules), so writing a reply costs no extra read; an
endpoint added in another worker or replica hears of replies within REPLYGUARD_RULES_CHECK_SECONDS. Moderators'
decisions read the endpoints inside their own transaction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from service.ids import new_id
from service.storage import outbox as outbox_store
from service.storage import webhook_endpoints as endpoint_store
from service.storage.database import Database, note_outbox_written

REPLY_CREATED: Final = "reply.created"
DECISION_MADE: Final = "decision.made"
# The event a reply's new status is announced with.
STATUS_EVENTS: Final = {"published": "reply.published", "pending": "reply.held", "rejected": "reply.rejected"}
APPEAL_CREATED: Final = "appeal.created"
# Its author changed or withdrew the text (service/domain/author_edits.py): a copy kept by the site's systems follows.
REPLY_EDITED: Final = "reply.edited"
REPLY_DELETED: Final = "reply.deleted"
# A reader reported a published reply (service/domain/reports.py): no email and no explanation (free text a reader
# may put anything in) goes out, only what the site's systems need to react.
REPORT_CREATED: Final = "report.created"
WEBHOOK_EVENTS: Final = (
    REPLY_CREATED, "reply.published", "reply.held", "reply.rejected", REPLY_EDITED, REPLY_DELETED, DECISION_MADE,
    APPEAL_CREATED, REPORT_CREATED,
)  # fmt: skip
# Sent by the test-send button to one endpoint only; no endpoint subscribes to it.
TEST_EVENT: Final = "webhook.test"


@dataclass(frozen=True, slots=True)
class Listener:
    """An enabled endpoint's subscription: which events it hears, and whether it may see authors' emails."""

    endpoint_id: int
    events: frozenset[str]
    include_email: bool


def listeners_from(rows: Iterable[Any]) -> tuple[Listener, ...]:
    return tuple(
        Listener(endpoint_id=int(row.id), events=frozenset(row.events), include_email=bool(row.include_email))
        for row in rows
    )


class Subscriptions:
    """This process's copy of the enabled endpoints' subscriptions, read again at most every `check_every` seconds
    (one small read, outside any write transaction); `forget` makes this process's own changes show at once."""

    def __init__(self, *, check_every: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.check_every = check_every
        self._clock = clock
        self._listeners: tuple[Listener, ...] = ()
        self._checked = float("-inf")
        self._loading = asyncio.Lock()

    async def current(self, db: Database) -> tuple[Listener, ...]:
        if self._clock() - self._checked < self.check_every or self._loading.locked():
            return self._listeners
        async with self._loading:
            self._checked = self._clock()
            self._listeners = listeners_from(await db.run_read(endpoint_store.enabled_subscriptions))
        return self._listeners

    def forget(self) -> None:
        self._checked = float("-inf")


def envelope(event: str, data: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """The JSON body every webhook gets (Standard Webhooks' shape): the event type, when it happened, its data."""
    return {"type": event, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": dict(data)}


def webhook_row(endpoint_id: int, event: str, payload: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "channel": "webhook",
        "event": event,
        "endpoint_id": endpoint_id,
        "recipient": None,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def webhook_messages(
    listeners: Iterable[Listener], event: str, data: Mapping[str, Any], *, email: str | None, now: datetime
) -> list[dict[str, Any]]:
    """One outbox row per listener subscribed to `event`; the author's `email` only for those granted it."""
    rows = []
    for listener in listeners:
        if event not in listener.events:
            continue
        shown = {**data, "email": email} if listener.include_email and email is not None else data
        rows.append(webhook_row(listener.endpoint_id, event, envelope(event, shown, now=now), now=now))
    return rows


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def reply_data(comment: Mapping[str, Any]) -> dict[str, Any]:
    """A reply as the site's systems see it: everything a moderator sees but the email (granted separately)."""
    return {
        "id": str(comment["id"]),
        "article_id": comment["article_id"],
        "parent_id": _text(comment["parent_id"]),
        "name": comment["name"],
        "website": comment["website"],
        "body": comment["body"],
        "status": comment["status"],
        "spam_score": comment["spam_score"],
        "abuse_score": comment["abuse_score"],
        "model_version": comment["model_version"],
        "created_at": iso(comment["created_at"]),
    }


def decision_data(decision: Mapping[str, Any], *, article_id: str, moderator: str | None) -> dict[str, Any]:
    """A decision: who (the model, or a moderator by name), when, from and to which status, and why."""
    return {
        "id": str(decision["id"]),
        "comment_id": str(decision["comment_id"]),
        "article_id": article_id,
        "actor": decision["actor"],
        "moderator": moderator,
        "from_status": decision["from_status"],
        "to_status": decision["to_status"],
        "reason": decision.get("reason"),
        "created_at": iso(decision["created_at"]),
    }


def reply_events(
    listeners: Iterable[Listener],
    comment: Mapping[str, Any],
    decision: Mapping[str, Any],
    *,
    created: bool,
    moderator: str | None = None,
    now: datetime,
) -> list[dict[str, Any]]:
    """The messages a reply's new status causes: reply.created (when it is new), the event of the status it moved
    to (when it moved), and decision.made (always: confirming a status is a decision too)."""
    listeners = tuple(listeners)
    if not listeners:
        return []
    email = comment["email"]
    data = reply_data(comment)
    rows = []
    if created:
        rows += webhook_messages(listeners, REPLY_CREATED, data, email=email, now=now)
    if decision["from_status"] != decision["to_status"]:
        rows += webhook_messages(listeners, STATUS_EVENTS[decision["to_status"]], data, email=email, now=now)
    made = decision_data(decision, article_id=comment["article_id"], moderator=moderator)
    rows += webhook_messages(listeners, DECISION_MADE, made, email=None, now=now)
    return rows


async def record(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Write the messages in the caller's transaction: they exist exactly when the change that caused them does."""
    if rows:
        await outbox_store.insert_messages(conn, rows)
        note_outbox_written(conn)


async def listeners_now(conn: AsyncConnection) -> tuple[Listener, ...]:
    """The subscriptions as the caller's transaction sees them (for writers off the hot path)."""
    return listeners_from(await endpoint_store.enabled_subscriptions(conn))
