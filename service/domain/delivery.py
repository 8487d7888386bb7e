"""The delivery worker: claims due outbox messages, sends them, and records each outcome (sent; failed and retried
after an exponential backoff; dead after the last attempt). Runs in `replyguard worker` and, by default
(REPLYGUARD_DELIVERY_WORKER), inside `replyguard serve`.

Delivery is at least once, with the outbox row's id as the delivery id receivers de-duplicate on: a worker that dies
after a receiver accepted a message but before recording it leaves its claim to expire, and another worker sends the
same message (same id) again. Two live workers never hold the same message (service/storage/outbox.py's claims).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from prometheus_client import Counter, Histogram

from service.domain.learning import holder_name
from service.errors import NotFound
from service.storage import outbox as outbox_store
from service.storage.database import Database
from service.storage.outbox import Outcome

log = logging.getLogger(__name__)

SENT = Counter("replyguard_outbox_sent_total", "Messages delivered by this process", ("channel",))
FAILED = Counter(
    "replyguard_outbox_failed_attempts_total", "Delivery attempts that failed in this process", ("channel",)
)
SKIPPED = Counter(
    "replyguard_outbox_skipped_total",
    "Messages this process did not send by rule (unconfirmed, suppressed)",
    ("channel",),
)
DEAD = Counter("replyguard_outbox_dead_total", "Messages this process gave up on after the last attempt", ("channel",))
DELAY = Histogram(
    "replyguard_outbox_delivery_delay_seconds",
    "From a message's writing to its delivery, for messages this process delivered",
    ("channel",),
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600),
)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one try to send a message came to: accepted, or not with the receiver's status and a short reason (no
    address or secret in it: it is stored and shown to admins)."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    # Set when trying again is pointless: "skipped" (the message must not be sent: an unconfirmed or suppressed
    # address) or "dead" (a permanent refusal: the address bounced).
    final: str | None = None


class Sender(Protocol):
    async def send(self, message: Any, *, now: datetime) -> Attempt: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    max_attempts: int = 8
    backoff_seconds: float = 30.0  # before the second attempt; doubled for each one after, up to backoff_max_seconds
    backoff_max_seconds: float = 6 * 3600.0
    # How long a claim lasts: longer than any call may take (the webhook timeout), so a live worker's claim does not
    # run out under it; a dead worker's messages go out again this long after it died.
    lease_seconds: float = 120.0
    batch: int = 50
    poll_seconds: float = 1.0


def retry_delay(attempts: int, options: DeliveryOptions, *, jitter: float | None = None) -> timedelta:
    """The wait after the `attempts`-th failed attempt: backoff * 2^(attempts-1), capped, shortened by up to a fifth
    at random so that messages that failed together do not all come back together."""
    base = min(options.backoff_seconds * 2 ** max(attempts - 1, 0), options.backoff_max_seconds)
    spread = random.uniform(0.8, 1.0) if jitter is None else jitter
    return timedelta(seconds=base * spread)


async def deliver_due(db: Database, senders: Mapping[str, Sender], options: DeliveryOptions, *, holder: str) -> int:
    """One round: claim up to a batch of due messages, send them concurrently, record the outcomes in one
    transaction. Returns how many were claimed (0: nothing was due)."""
    now = datetime.now(UTC)

    async def claim(conn: Any) -> list[Any]:
        await outbox_store.bury_exhausted(conn, now=now, max_attempts=options.max_attempts)
        return await outbox_store.claim_due(
            conn,
            holder=holder,
            now=now,
            lease=timedelta(seconds=options.lease_seconds),
            limit=options.batch,
            max_attempts=options.max_attempts,
            channels=sorted(senders),
        )

    claimed = await db.run_write(claim)
    if not claimed:
        return 0
    attempts = await asyncio.gather(*(_attempt(senders[m.channel], m) for m in claimed))
    finished = datetime.now(UTC)
    outcomes = [
        _outcome(message, attempt, options, now=finished) for message, attempt in zip(claimed, attempts, strict=True)
    ]

    async def settle(conn: Any) -> int:
        return await outbox_store.settle(conn, outcomes, holder=holder, now=finished)

    await db.run_write(settle)
    for message, attempt, outcome in zip(claimed, attempts, outcomes, strict=True):
        if attempt.ok:
            SENT.labels(message.channel).inc()
            DELAY.labels(message.channel).observe((finished - message.created_at).total_seconds())
        elif attempt.final == "skipped":
            SKIPPED.labels(message.channel).inc()
        else:
            FAILED.labels(message.channel).inc()
            if outcome.retry_at is None:
                DEAD.labels(message.channel).inc()
                dead = {"message_id": str(message.id), "event": message.event, "error": attempt.error}
                log.warning("a message is dead after its last attempt", extra=dead)
    return len(claimed)


async def deliver_all_due(db: Database, senders: Mapping[str, Sender], options: DeliveryOptions, *, holder: str) -> int:
    """Rounds until nothing is due now (`replyguard worker --once`); returns how many messages were attempted."""
    total = 0
    while True:
        claimed = await deliver_due(db, senders, options, holder=holder)
        total += claimed
        if claimed == 0:
            log.info("delivered what was due", extra={"attempted": total})
            return total


async def replay(db: Database, message_id: uuid.UUID) -> str:
    """Send a dead (or sent) message again from its first attempt; returns the status it had. NotFound for an
    unknown id; a pending message is left to its retries."""
    previous = await db.run_write(lambda conn: outbox_store.replay(conn, message_id, now=datetime.now(UTC)))
    if previous is None:
        raise NotFound("No such message in the outbox")
    return previous


async def _attempt(sender: Sender, message: Any) -> Attempt:
    try:
        return await sender.send(message, now=datetime.now(UTC))
    except Exception as exc:  # a sender's bug is one failed attempt, not a lost round
        log.warning("a sender raised", exc_info=True)
        return Attempt(ok=False, error=f"{type(exc).__name__} in the sender")


def _outcome(message: Any, attempt: Attempt, options: DeliveryOptions, *, now: datetime) -> Outcome:
    if attempt.ok:
        return Outcome(id=message.id, sent=True, status_code=attempt.status_code)
    attempts = int(message.attempts)  # this one included: the claim counted it
    again = attempts < options.max_attempts and attempt.final is None
    retry_at = now + retry_delay(attempts, options) if again else None
    return Outcome(id=message.id, sent=False, status_code=attempt.status_code, error=attempt.error, retry_at=retry_at,
                   give_up_as=attempt.final or "dead")  # fmt: skip


class Doorbell:
    """Wakes the worker when this process wrote messages (Database.outbox_listeners), so they need not wait for the
    next poll; and tells it to stop after the round in hand (`stop`)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.stopping = False

    def ring(self) -> None:
        self._event.set()

    def stop(self) -> None:
        self.stopping = True
        self._event.set()

    async def wait(self, seconds: float) -> None:
        """Until rung, or `seconds` at most."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._event.wait()
        self._event.clear()


async def keep_delivering(
    db: Database, senders: Mapping[str, Sender], options: DeliveryOptions, *, doorbell: Doorbell | None = None
) -> None:
    """Deliver until stopped (`doorbell.stop()`: the round in hand finishes, so no claim is left behind and no database
    call is cut off) or cancelled: a full batch is followed at once by the next, otherwise the worker waits for the
    doorbell or the poll interval."""
    holder = holder_name()
    bell = doorbell or Doorbell()
    try:
        while not bell.stopping:
            try:
                claimed = await deliver_due(db, senders, options, holder=holder)
            except Exception:  # the database went away: the next round tries again
                log.warning("a delivery round failed", exc_info=True)
                claimed = 0
            if claimed < options.batch and not bell.stopping:
                await bell.wait(options.poll_seconds)
    finally:
        # Stopped (shutdown) mid-round: what this worker held is due again now rather than after its lease.
        with contextlib.suppress(Exception):
            await db.run_write(lambda conn: outbox_store.release_claims(conn, holder=holder, now=datetime.now(UTC)))
