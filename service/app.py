"""create_app(settings, scoring=None, freeze_heap=True): lifespan, dependencies, routes, error mapping. Wiring only."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar import Litestar, Request
from litestar.config.cors import CORSConfig
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusController
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from service import __version__
from service.abuse.rate_limits import MemoryCounter, RedisCounter, SubmissionLimiter
from service.abuse.spam_runs import SpamRunDetector
from service.domain.comments import ReplyWriter, SubmitOptions
from service.rules.policy import Overrides
from service.scoring.child_process import ScoringProcess
from service.scoring.registry import follow_registry, load_active
from service.scoring.relevance import Relevance
from service.scoring.state import ScoringState
from service.settings import Settings
from service.storage.database import Database, connect
from service.storage.reader_cache import ReaderCache
from service.web.console import routes as console
from service.web.error_mapping import EXCEPTION_HANDLERS
from service.web.metrics import metrics_middleware
from service.web.routes import (
    akismet,
    articles,
    coral,
    demo,
    embed,
    moderation,
    operations,
    perspective,
    privacy,
    public,
)
from service.web.routes.moderation import current_moderator
from service.web.runtime import Runtime
from service.web.security_headers import add_security_headers

WEB_DIR = Path(__file__).parent / "web"  # templates and static files ship inside the package


class MetricsController(PrometheusController):
    path = "/metrics"


def overrides_from(settings: Settings) -> Overrides:
    return Overrides(
        policy=settings.threshold_policy,
        spam_hold=settings.spam_hold_threshold,
        spam_reject=settings.spam_reject_threshold,
        abuse_hold=settings.abuse_hold_threshold,
        abuse_reject=settings.abuse_reject_threshold,
    )


def submit_options(settings: Settings) -> SubmitOptions:
    return SubmitOptions(
        max_links=settings.max_links,
        idempotency_ttl=timedelta(hours=settings.idempotency_ttl_hours),
        duplicate_window=timedelta(minutes=settings.duplicate_window_minutes),
    )


def _cors(settings: Settings) -> CORSConfig | None:
    """Cross-origin reads and submissions only from the operator's sites; none when no origin is configured."""
    if not settings.allowed_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Idempotency-Key"],
        expose_headers=["Location", "ETag", "Retry-After"],
        max_age=600,
    )


def create_app(settings: Settings, *, scoring: ScoringState | None = None, freeze_heap: bool = True) -> Litestar:
    """The service. `scoring` is a seam for tests; by default the active model is loaded at start-up.

    `freeze_heap=False` is for a process that builds many apps (the test suite): the full collection before each
    freeze walks the whole heap again once the last app unfroze it (~0.4 s a start), and a test has no p99 to guard.
    """

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = connect(settings, background_checkpoints=True)
        reader_cache = ReaderCache(max_pages=settings.read_cache_entries, freshness_seconds=settings.read_cache_seconds)
        db.change_listeners.append(reader_cache.forget)
        # Rate limits and spam-run signatures count in one store: this process, or Redis shared by every replica.
        counter = RedisCounter.from_url(settings.redis_url) if settings.redis_url else MemoryCounter()
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
            ),
            reader_cache=reader_cache,
            replies=ReplyWriter(db, submit_options(settings)),
            spam_runs=SpamRunDetector(
                counter=counter,
                threshold=settings.spam_run_threshold,
                window_seconds=settings.spam_run_window_minutes * 60,
            ),
            # Before gc.freeze below: the embedding model lives as long as the app, like the scoring model.
            relevance=await Relevance.start(settings.relevance),
        )
        app.state.runtime = runtime
        process = ScoringProcess() if settings.scoring_process else None
        if process is not None:
            await runtime.scoring.start_process(process)
        # The other routes take these one by one.
        app.state.db, app.state.scoring, app.state.relevance = db, runtime.scoring, runtime.relevance
        # Everything built so far (libraries, the model) lives as long as the app: out of the collector's sight, a
        # full collection walks only newer objects (with them it paused the event loop ~90 ms, a p99 spike).
        if freeze_heap:
            gc.collect()
            gc.freeze()
        follower = None
        if scoring is None and settings.model_poll_seconds > 0:
            follower = asyncio.create_task(
                follow_registry(db, app.state.scoring, every_seconds=settings.model_poll_seconds)
            )
        try:
            yield
        finally:
            if follower is not None:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
            await runtime.replies.drain()  # replies already accepted are committed before the engines close
            if process is not None:
                await asyncio.to_thread(process.stop)
            await counter.close()
            await asyncio.to_thread(runtime.relevance.close)
            await db.dispose()
            if freeze_heap:
                gc.unfreeze()  # what the app held can be collected again

    # The providers read the app's state through the request: a `state` parameter would make Litestar build a new
    # State (a dict copy and a lock) for every request (profiled: ~4% of a submission's time on the event loop).
    def provide_db(request: Request[Any, Any, Any]) -> Database:
        return request.app.state.db  # type: ignore[no-any-return]

    def provide_scoring(request: Request[Any, Any, Any]) -> ScoringState:
        return request.app.state.scoring  # type: ignore[no-any-return]

    def provide_relevance(request: Request[Any, Any, Any]) -> Relevance:
        return request.app.state.relevance  # type: ignore[no-any-return]

    def provide_settings() -> Settings:
        return settings

    def provide_runtime(request: Request[Any, Any, Any]) -> Runtime:
        return request.app.state.runtime  # type: ignore[no-any-return]

    handlers: list[Any] = [
        *public.ROUTES,
        *moderation.ROUTES,
        *articles.ROUTES,
        *privacy.ROUTES,
        *operations.ROUTES,
        *akismet.ROUTES,
        *perspective.ROUTES,
        *coral.ROUTES,
        *embed.ROUTES,
        *(demo.ROUTES if settings.demo_pages else []),
        MetricsController,
        *console.ROUTES,
        create_static_files_router(
            path="/console/static",
            directories=[WEB_DIR / "static" / "console"],
            cache_control=CacheControlHeader(max_age=300, public=True),
            include_in_schema=False,
        ),
    ]
    return Litestar(
        route_handlers=handlers,
        lifespan=[lifespan],
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "scoring": Provide(provide_scoring, sync_to_thread=False),
            "relevance": Provide(provide_relevance, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "moderator": Provide(current_moderator),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[metrics_middleware],
        before_send=[add_security_headers],
        cors_config=_cors(settings),
        request_max_body_size=settings.request_max_bytes,
        template_config=TemplateConfig(directory=WEB_DIR / "templates", engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(
            title="replyguard",
            version=__version__,
            description="Comment moderation: submit, score, decide, moderate and publish replies under articles.",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        debug=False,
    )
