"""Metrics for Prometheus: requests (the same series Litestar's PrometheusMiddleware writes, at a fraction of its
cost) and the outbox's backlog, read from the database at each scrape.

Litestar's middleware builds a Request, a URL and four label lookups per request: a fifth of the whole cost of a
reader page served from memory (profiled in docs/performance.md). This one keeps the labelled children per
(method, route, status) and does one dictionary lookup per request.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.exc import SQLAlchemyError

from service.storage import outbox as outbox_store
from service.storage.database import Database

log = logging.getLogger(__name__)

APP = "replyguard"
LABELS = ("method", "path", "status_code", "app_name")
# Module-level: the default registry takes each name once per process, however many apps (tests) are built.
REQUESTS = Counter("replyguard_requests_total", "Total requests", LABELS)
DURATION = Histogram("replyguard_request_duration_seconds", "Request duration, in seconds", LABELS)
ERRORS = Counter("replyguard_requests_error_total", "Total errors in requests", LABELS)
IN_PROGRESS = Gauge(
    "replyguard_requests_in_progress",
    "Total requests currently in progress",
    ("method", "path", "app_name"),
    multiprocess_mode="livesum",
)
# The outbox as every worker and replica shares it (the delivered and failed counts of this process are counters in
# service/domain/delivery.py).
OUTBOX_MESSAGES = Gauge(
    "replyguard_outbox_messages", "Messages in the outbox by status", ("status",), multiprocess_mode="mostrecent"
)
OUTBOX_OLDEST_PENDING = Gauge(
    "replyguard_outbox_oldest_pending_age_seconds",
    "Age of the oldest message waiting for delivery (0 when none waits)",
    multiprocess_mode="mostrecent",
)
_finished: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_running: dict[tuple[str, str], Any] = {}


def _children(method: str, path: str, status: int) -> tuple[Any, Any]:
    key = (method, path, status)
    found = _finished.get(key)
    if found is None:
        labels = (method, path, str(status), APP)
        found = _finished[key] = (REQUESTS.labels(*labels), DURATION.labels(*labels))
    return found


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Count and time every routed HTTP request by method, route template and status (not /metrics itself)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path_template") or scope["path"])
        if scope["type"] != ScopeType.HTTP or path == "/metrics":
            await app(scope, receive, send)
            return
        method = str(scope.get("method", "GET"))
        status = 500  # if nothing is sent, the client saw a failure

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        running = _running.get((method, path))
        if running is None:
            running = _running[(method, path)] = IN_PROGRESS.labels(method, path, APP)
        running.inc()
        started = time.perf_counter()
        try:
            await app(scope, receive, send_with_status)
        finally:
            running.dec()
            count, duration = _children(method, path, status)
            count.inc()
            duration.observe(time.perf_counter() - started)
            if status >= 500:
                ERRORS.labels(method, path, str(status), APP).inc()

    return middleware


async def refresh_outbox_gauges(db: Database) -> None:
    """Read the outbox's backlog into its gauges; a database that does not answer leaves them as they were."""
    try:
        backlog = await db.run_read(outbox_store.backlog)
    except (SQLAlchemyError, OSError):
        log.warning("could not read the outbox's backlog for /metrics")
        return
    for status in ("pending", "sent", "dead"):
        OUTBOX_MESSAGES.labels(status).set(backlog.counts.get(status, 0))
    oldest = backlog.oldest_pending
    OUTBOX_OLDEST_PENDING.set(0 if oldest is None else max((datetime.now(UTC) - oldest).total_seconds(), 0))
