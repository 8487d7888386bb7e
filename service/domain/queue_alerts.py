"""Moderator alerts and the daily digest. An alert is a mail to the moderators' addresses (REPLYGUARD_ALERT_EMAILS)
when the oldest pending reply has waited too long or too many replies wait, at most one per window across every
worker and replica (the spacing of the "queue_alert" lease, service/storage/leases.py), never one mail per reply. It
is written to the outbox in the transaction that takes the lease, so a window's alert is written once and sent once.
The optional daily digest (REPLYGUARD_ALERT_DAILY_DIGEST) is spaced the same way, by the "daily_digest" lease."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from service.domain import emails
from service.domain.delivery import Doorbell
from service.domain.learning import holder_name
from service.settings import Settings
from service.storage import appeals as appeal_store
from service.storage import comments as comment_store
from service.storage import leases
from service.storage.database import Database, note_outbox_written
from service.storage.outbox import insert_messages

log = logging.getLogger(__name__)

LEASE: Final = "queue_alert"
DIGEST_LEASE: Final = "daily_digest"
ALERT: Final = emails.QUEUE_ALERT
DAY: Final = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class AlertRule:
    recipients: tuple[str, ...]
    oldest_after: timedelta
    depth_over: int
    window: timedelta
    daily_digest: bool = False


def rule_from(settings: Settings) -> AlertRule | None:
    if not settings.alert_emails:
        return None
    return AlertRule(
        recipients=settings.alert_emails,
        oldest_after=timedelta(minutes=settings.alert_pending_minutes),
        depth_over=settings.alert_queue_depth,
        window=timedelta(minutes=settings.alert_window_minutes),
        daily_digest=settings.alert_daily_digest,
    )


def breaches(rule: AlertRule, *, depth: int, oldest: datetime | None, now: datetime) -> list[str]:
    """Why the queue needs a person now: the oldest reply waited too long, the queue is too deep; [] when neither."""
    why = []
    if oldest is not None and now - oldest > rule.oldest_after:
        why.append(f"the oldest pending reply has waited {int((now - oldest).total_seconds() // 60)} minutes")
    if depth > rule.depth_over:
        why.append(f"{depth} replies are waiting (the threshold is {rule.depth_over})")
    return why


async def alert_if_due(db: Database, rule: AlertRule, *, holder: str, now: datetime | None = None) -> bool:
    """Write the alert mails if the queue breaches a threshold and no alert was written in this window."""
    now = now or datetime.now(UTC)
    depth, oldest = await db.run_read(comment_store.pending_backlog)
    why = breaches(rule, depth=depth, oldest=oldest, now=now)
    if not why:
        return False

    async def take(conn: Any) -> bool:
        # Held for no time at all: the lease only spaces alerts out (its acquired_at), nobody works under it.
        if not await leases.acquire(conn, LEASE, holder=holder, now=now, hold_for=timedelta(0), spacing=rule.window):
            return False
        payload = {"reasons": why, "pending": depth, "oldest": oldest.isoformat() if oldest else None}
        await insert_messages(conn, [emails.email_row(ALERT, to, payload, now=now) for to in rule.recipients])
        note_outbox_written(conn)
        return True

    written = await db.run_write(take)
    if written:
        log.info("queue alert written", extra={"pending": depth, "reasons": why})
    return bool(written)


async def digest_if_due(db: Database, rule: AlertRule, *, holder: str, now: datetime | None = None) -> bool:
    """Write the daily digest if none was written in the last 24 hours (across every worker and replica)."""
    now = now or datetime.now(UTC)

    async def write(conn: Any) -> bool:
        if not await leases.acquire(conn, DIGEST_LEASE, holder=holder, now=now, hold_for=timedelta(0), spacing=DAY):
            return False
        depth, oldest = await comment_store.pending_backlog(conn)
        decided = await comment_store.decisions_since(conn, since=now - DAY)
        appealed, appeals_open = await appeal_store.count_since(conn, since=now - DAY)
        payload = {"pending": depth, "oldest": oldest.isoformat() if oldest else None,
                   "decided_by_model": decided.get("model", 0), "decided_by_moderators": decided.get("moderator", 0),
                   "appealed": appealed, "appeals_open": appeals_open}  # fmt: skip
        await insert_messages(conn, [emails.email_row(emails.DAILY_DIGEST, to, payload, now=now)
                                     for to in rule.recipients])  # fmt: skip
        note_outbox_written(conn)
        return True

    return bool(await db.run_write(write))


async def keep_watching(db: Database, rule: AlertRule, *, every_seconds: float, bell: Doorbell | None = None) -> None:
    """Check the queue every `every_seconds` until `bell.stop()` (between checks, never mid-query) or cancelled."""
    holder = holder_name()
    bell = bell or Doorbell()
    while not bell.stopping:
        try:
            await alert_if_due(db, rule, holder=holder)
            if rule.daily_digest:
                await digest_if_due(db, rule, holder=holder)
        except Exception:  # the database went away: the next check tries again
            log.warning("the queue alert check failed", exc_info=True)
        if not bell.stopping:
            await bell.wait(every_seconds)
