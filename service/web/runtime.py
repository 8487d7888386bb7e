"""The long-lived parts a request handler works with, built once at start-up and closed at shutdown (`started`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from sqlalchemy.exc import SQLAlchemyError

from classifier.language import load_detector
from service.abuse.rate_limits import MemoryCounter, RedisCounter, SubmissionLimiter
from service.abuse.spam_runs import SpamRunDetector
from service.domain import couriers, queue_alerts
from service.domain.comments import ReplyWriter, SubmitOptions
from service.domain.delivery import Doorbell, keep_delivering
from service.domain.events import Subscriptions
from service.domain.learning import keep_learning
from service.domain.rule_book import RuleBook
from service.rules.policy import overrides_from
from service.scoring.child_process import ScoringProcess
from service.scoring.registry import follow_registry, load_active, refresh
from service.scoring.relevance import Relevance
from service.scoring.state import ScoringState
from service.settings import Settings
from service.storage.database import Database, connect
from service.storage.reader_cache import ReaderCache
from service.web.moderator_reads import ModeratorReads


@dataclass(frozen=True, slots=True)
class Runtime:
    """What the public routes need, as one object. Litestar resolves several dependencies of one handler
    concurrently, in an anyio task group; for a page served from memory that costs more than the page (profiled: ~30%
    of a cached list request), so the public routes take this bundle instead, and the hottest ones (the readers' page
    and count, submit) read it without a dependency (runtime_of)."""

    settings: Settings
    db: Database
    scoring: ScoringState
    limiter: SubmissionLimiter
    reader_cache: ReaderCache
    replies: ReplyWriter
    spam_runs: SpamRunDetector
    relevance: Relevance
    rules: RuleBook
    subscriptions: Subscriptions
    moderator_reads: ModeratorReads


def runtime_of(request: Request[Any, Any, Any]) -> Runtime:
    """The app's Runtime, read from its state: the one place a handler or guard finds it without a dependency. The
    readers' page and count and the submit route take no dependency at all: resolving even one (an exit stack and a
    cleanup group per request) was ~7% of a cached page's CPU (issue 19)."""
    return request.app.state.runtime  # type: ignore[no-any-return]


def submit_options(settings: Settings) -> SubmitOptions:
    return SubmitOptions(
        max_links=settings.max_links,
        idempotency_ttl=timedelta(hours=settings.idempotency_ttl_hours),
        duplicate_window=timedelta(minutes=settings.duplicate_window_minutes),
        max_thread_depth=settings.max_thread_depth,
        own_hosts=tuple(urlsplit(origin).hostname or "" for origin in settings.allowed_origins),
        trust_after=settings.trust_after_approvals,
        mail=couriers.mail_policy(settings),
        edit_window=timedelta(seconds=settings.edit_window_seconds),
    )


@asynccontextmanager
async def started(
    settings: Settings, *, scoring: ScoringState | None = None, freeze_heap: bool = True
) -> AsyncIterator[Runtime]:
    """The service's collaborators, running until the block ends: the database, the reader cache, the counters and
    limits, the active model (and its scoring process), relevance, the registry follower, the retraining job
    (REPLYGUARD_AUTO_RETRAIN), the delivery worker (REPLYGUARD_DELIVERY_WORKER) and the reply writer.

    `scoring` is a seam for tests: a given state is used as it is, and the registry is not followed for it.
    `freeze_heap=False` leaves the collector alone (create_app says when that is right).
    """
    db = connect(settings, background_checkpoints=True)
    reader_cache = ReaderCache(max_pages=settings.read_cache_entries, freshness_seconds=settings.read_cache_seconds)
    db.change_listeners.append(reader_cache.forget)
    # Rate limits and spam-run signatures count in one store: this process, or Redis shared by every replica.
    counter = RedisCounter.from_url(settings.redis_url) if settings.redis_url else MemoryCounter()
    rules = RuleBook(check_every=settings.rules_check_seconds)
    subscriptions = Subscriptions(check_every=settings.rules_check_seconds)
    runtime = Runtime(
        settings=settings,
        db=db,
        scoring=scoring or await load_active(db, overrides_from(settings)),
        limiter=SubmissionLimiter(
            counter=counter,
            per_address=settings.submit_limit_per_address,
            per_email=settings.submit_limit_per_email,
            window_seconds=settings.submit_limit_window_seconds,
            enabled=settings.rate_limit_enabled,
            auth_failures=settings.auth_failure_limit_per_address,
            auth_window_seconds=settings.auth_failure_window_seconds,
            reports=settings.report_limit_per_address,
            report_window_seconds=settings.report_limit_window_seconds,
        ),
        reader_cache=reader_cache,
        replies=ReplyWriter(db, submit_options(settings), rules=rules, subscriptions=subscriptions),
        spam_runs=SpamRunDetector(
            counter=counter,
            threshold=settings.spam_run_threshold,
            window_seconds=settings.spam_run_window_minutes * 60,
        ),
        # Before gc.freeze below: the embedding model lives as long as the app, like the scoring model.
        relevance=await Relevance.start(settings.relevance),
        rules=rules,
        subscriptions=subscriptions,
        moderator_reads=ModeratorReads.of(db, freshness_seconds=settings.moderation_cache_seconds),
    )
    try:
        await rules.current(db)  # loaded before the first reply, not by it
        await subscriptions.current(db)
        await db.run_write(runtime.replies.edit_key.get)
    except (SQLAlchemyError, OSError):
        rules.forget()  # the database is down at start-up (readiness says so): the first reply loads them
        subscriptions.forget()
    # Built once before traffic (and before gc.freeze): every reply's language is detected on the submit path.
    await asyncio.to_thread(load_detector)
    process = ScoringProcess(answer_timeout=settings.scoring_timeout_seconds) if settings.scoring_process else None
    if process is not None:
        await runtime.scoring.start_process(process)
    # Everything built so far (libraries, the model) lives as long as the app: out of the collector's sight, a
    # full collection walks only newer objects (with them it paused the event loop ~90 ms, a p99 spike).
    if freeze_heap:
        gc.collect()
        gc.freeze()
    tasks = []
    if scoring is None and settings.model_poll_seconds > 0:
        tasks.append(
            asyncio.create_task(follow_registry(db, runtime.scoring, every_seconds=settings.model_poll_seconds))
        )
    if settings.auto_retrain:
        # After its own promotion this process switches at once; the others at their next registry poll.
        learner = keep_learning(db, settings, on_promoted=lambda: refresh(db, runtime.scoring))
        tasks.append(asyncio.create_task(learner))
    senders = couriers.senders(settings, db) if settings.delivery_worker else {}
    doorbell = Doorbell()
    delivering = None
    alert_rule = queue_alerts.rule_from(settings)
    watcher = Doorbell()
    watching = None
    if alert_rule is not None:
        watch = queue_alerts.keep_watching(db, alert_rule, every_seconds=settings.alert_check_seconds, bell=watcher)
        watching = asyncio.create_task(watch)
    if senders:
        db.outbox_listeners.append(doorbell.ring)
        deliver = keep_delivering(db, senders, couriers.delivery_options(settings), doorbell=doorbell)
        delivering = asyncio.create_task(deliver)
    try:
        yield runtime
    finally:
        for task in tasks:  # a retraining in progress is cancelled: its child process is killed
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if watching is not None:
            watcher.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watching, 10)
        if delivering is not None:
            # Stopped rather than cancelled: the round in hand (calls that take at most their timeout) finishes and
            # records its outcomes. A database call cut off mid-flight can leave its connection stuck.
            doorbell.stop()
            grace = max(settings.webhook_timeout_seconds, settings.smtp_timeout_seconds) + 5
            with contextlib.suppress(TimeoutError):  # then wait_for cancelled it: its claims expire after the lease
                await asyncio.wait_for(delivering, grace)
        await runtime.replies.drain()  # replies already accepted are committed before the engines close
        for sender in senders.values():
            await sender.close()
        if process is not None:
            await asyncio.to_thread(process.stop)
        await counter.close()
        await asyncio.to_thread(runtime.relevance.close)
        await db.dispose()
        if freeze_heap:
            gc.unfreeze()  # what the app held can be collected again
