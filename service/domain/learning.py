"""Learning without an operator: when enough new moderator decisions have arrived, train a challenger on them, judge
it against the champion on the site's newest decisions (held out by time), and promote it only if it is better.

One round runs at a time across every worker and replica (the "retrain" lease, service/storage/leases.py), at most
once per REPLYGUARD_RETRAIN_MIN_INTERVAL_MINUTES; training runs in a child process (training_process.py). A round
that dies half-way leaves nothing behind but an unregistered model folder: the registration is one transaction
after training, and the lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from classifier.site import with_recency_weights
from classifier.site_compare import hold_out_newest
from service.domain.labels import feedback_labels_rows, site_labels
from service.domain.training_process import TrainingJob, run_training
from service.scoring.registry import register_model
from service.settings import Settings
from service.storage import leases, model_versions
from service.storage.database import Database

log = logging.getLogger(__name__)

LEASE: Final = "retrain"
# The lease is taken for LEASE_SECONDS and renewed every LEASE_RENEW_SECONDS while training runs, so a holder that
# died frees it within ten minutes, while one that lives may train for hours.
LEASE_SECONDS: Final = 600
LEASE_RENEW_SECONDS: Final = 60


def holder_name() -> str:
    """Who holds the lease, in the database and the log: host, process, and a random part (pids repeat in
    containers)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


async def decisions_waiting(db: Database) -> int:
    """Moderators' decisions made since the newest training read them (every decision, before any training)."""
    async with db.read() as conn:
        since = await model_versions.last_decisions_seen(conn)
        return await model_versions.count_decisions_since(conn, since)


async def learn_if_due(db: Database, settings: Settings, *, holder: str) -> dict[str, Any] | None:
    """One round if one is due, with its outcome; None when not: fewer than REPLYGUARD_RETRAIN_AFTER_DECISIONS new
    decisions, another holder's round running, or the last round began less than the minimum interval ago."""
    waiting = await decisions_waiting(db)
    if waiting < settings.retrain_after_decisions:
        return None
    async with db.write() as conn:
        taken = await leases.acquire(
            conn,
            LEASE,
            holder=holder,
            now=datetime.now(UTC),
            hold_for=timedelta(seconds=LEASE_SECONDS),
            spacing=timedelta(minutes=settings.retrain_min_interval_minutes),
        )
    if not taken:
        return None
    log.info("retraining: %d new moderator decisions", waiting, extra={"holder": holder})
    renewer = asyncio.create_task(_keep_lease(db, holder))
    try:
        return await learn(db, settings)
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        try:
            async with db.write() as conn:
                await leases.release(conn, LEASE, holder=holder)
        except Exception:  # the lease then expires by itself within LEASE_SECONDS
            log.warning("could not release the retraining lease", exc_info=True)


async def _keep_lease(db: Database, holder: str) -> None:
    while True:
        await asyncio.sleep(LEASE_RENEW_SECONDS)
        try:
            async with db.write() as conn:
                kept = await leases.renew(
                    conn, LEASE, holder=holder, now=datetime.now(UTC), hold_for=timedelta(seconds=LEASE_SECONDS)
                )
            if not kept:
                log.warning("the retraining lease expired and was taken by another holder", extra={"holder": holder})
        except Exception:  # a database hiccup: the next renewal tries again, well before the lease runs out
            log.warning("could not renew the retraining lease", exc_info=True)


async def learn(db: Database, settings: Settings) -> dict[str, Any]:
    """Train a challenger on the corpora, the older moderators' decisions and the sites' feedback; judge it on the
    newest decisions; register it, active only if it won and the champion is still the active model (a person who
    promoted or rolled back meanwhile has the last word). Returns what happened, for the log and the CLI."""
    seen_at = datetime.now(UTC)
    async with db.read() as conn:
        dated = await site_labels(conn)
        reported = await feedback_labels_rows(conn)
        champion = await model_versions.active_model(conn)
    # Only decisions made after the champion's training can judge it fairly.
    cutoff = (champion.decisions_seen_at or champion.created_at) if champion is not None else None
    unseen = sum(1 for _, decided_at in dated if cutoff is None or decided_at > cutoff)
    trained_on, held_out = hold_out_newest([row for row, _ in dated], unseen=unseen)
    job = TrainingJob(
        output_root=settings.model_dir,
        data_dir=settings.data_dir,
        # Moderators first: training keeps the first copy of a text, and a person's decision outranks a client site's.
        labels=with_recency_weights(trained_on) + reported,
        held_out=held_out,
        champion_dir=Path(champion.path) if champion is not None else None,
        policy=settings.threshold_policy,
    )
    training = {"moderator_labels": len(trained_on), "feedback_labels": len(reported), "site_held_out": len(held_out)}
    log.info("training a challenger", extra={**training, "data_dir": str(settings.data_dir)})
    judged = await run_training(job)
    site = dict(judged["site"])
    if judged["corpora"] is not None:
        site["corpora_not_worse"] = bool(judged["corpora"]["challenger_not_worse"])
    learned = {"decisions_seen_at": seen_at, "training": training, "site_comparison": site}
    champion_version = champion.version if champion is not None else None
    async with db.write() as conn:
        current = await model_versions.active_model(conn)
        unchanged = (current.version if current is not None else None) == champion_version
        promote = bool(judged["promote"]) and unchanged
        version = await register_model(
            conn, Path(judged["challenger_dir"]), activate=promote, actor="auto", learned=learned
        )
    why = site["why"] if site["decided"] else f"{site['why']}; corpora: not worse = {site.get('corpora_not_worse')}"
    if judged["promote"] and not unchanged:
        why += "; not promoted: the active model was changed by hand meanwhile"
    outcome = {"challenger": version, "champion": champion_version, "promoted": promote, "why": why, **training}
    log.info("retraining done: %s", "promoted" if promote else "kept the champion", extra=outcome)
    return {**outcome, "site_comparison": site, "corpora_comparison": judged["corpora"]}


async def keep_learning(
    db: Database, settings: Settings, *, on_promoted: Callable[[], Awaitable[object]] | None = None
) -> None:
    """Check every REPLYGUARD_RETRAIN_CHECK_SECONDS and run a round when one is due, until cancelled (the service's
    lifespan, service/web/runtime.py, or `replyguard worker`). `on_promoted` runs after a promotion (the service
    switches to the new model at once instead of at its next registry poll)."""
    holder = holder_name()
    while True:
        await asyncio.sleep(settings.retrain_check_seconds)
        try:
            outcome = await learn_if_due(db, settings, holder=holder)
            if outcome is not None and outcome["promoted"] and on_promoted is not None:
                await on_promoted()
        except Exception:  # a failed round (database, training) must not end the job; the next one tries again
            log.error("retraining failed", exc_info=True)
