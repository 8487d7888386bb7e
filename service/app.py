"""create_app(settings, scoring=None, freeze_heap=True): dependencies, routes, error mapping and Litestar's
configuration; the lifespan runs service/web/runtime.py's `started`. Wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from litestar import Litestar, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.plugins.prometheus import PrometheusController
from litestar.template.config import TemplateConfig

from service import __version__
from service.scoring.relevance import Relevance
from service.scoring.state import ScoringState
from service.settings import Settings
from service.storage.database import Database
from service.web.console import appeal_pages as console_appeals
from service.web.console import model_changes as console_model_changes
from service.web.console import report_pages as console_reports
from service.web.console import routes as console
from service.web.console import rules_pages as console_rules
from service.web.console import static as console_static
from service.web.console import webhook_pages as console_webhooks
from service.web.error_mapping import EXCEPTION_HANDLERS
from service.web.metrics import metrics_middleware, refresh_outbox_gauges
from service.web.routes import (
    akismet,
    appeal_pages,
    articles,
    author_edits,
    coral,
    demo,
    email_links,
    embed,
    moderation,
    operations,
    perspective,
    privacy,
    public,
    reports,
    rules,
    webhooks,
)
from service.web.routes.moderation import current_moderator
from service.web.runtime import Runtime, started
from service.web.security_headers import add_security_headers

WEB_DIR = Path(__file__).parent / "web"  # templates and static files ship inside the package


def _templates() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja as Litestar sets it up, less auto_reload: templates ship with the package and do not change under a
    running process, and with it every {% include %} stat()s its file (the console's queue page includes two per
    item: 50 a page, a third of its CPU)."""
    environment = Environment(loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=True, auto_reload=False)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


class MetricsController(PrometheusController):
    path = "/metrics"

    @get()
    async def get(self, db: NamedDependency[Database]) -> Response[Any]:
        await refresh_outbox_gauges(db)
        return await PrometheusController.get.fn(self)  # type: ignore[no-any-return]


def _cors(settings: Settings) -> CORSConfig | None:
    """Cross-origin reads, submissions and authors' edits and deletes (their token in Authorization) only from the
    operator's sites; none when no origin is configured."""
    if not settings.allowed_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.allowed_origins),
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Content-Type", "Idempotency-Key", "Authorization"],
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
        async with started(settings, scoring=scoring, freeze_heap=freeze_heap) as runtime:
            app.state.runtime = runtime
            # The other routes take these one by one.
            app.state.db, app.state.scoring, app.state.relevance = runtime.db, runtime.scoring, runtime.relevance
            yield

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
        *public.routes(settings),
        *author_edits.routes(settings),
        *moderation.ROUTES,
        *reports.ROUTES,
        *articles.ROUTES,
        *rules.ROUTES,
        *webhooks.ROUTES,
        *email_links.ROUTES,
        *appeal_pages.ROUTES,
        *privacy.ROUTES,
        *operations.ROUTES,
        *akismet.ROUTES,
        *perspective.ROUTES,
        *coral.ROUTES,
        *embed.ROUTES,
        *(demo.ROUTES if settings.demo_pages else []),
        MetricsController,
        *console.ROUTES,
        *console_model_changes.ROUTES,
        *console_rules.ROUTES,
        *console_webhooks.ROUTES,
        *console_appeals.ROUTES,
        *console_reports.ROUTES,
        *console_static.ROUTES,
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
        template_config=_templates(),
        openapi_config=OpenAPIConfig(
            title="replyguard",
            version=__version__,
            description="Comment moderation: submit, score, decide, moderate and publish replies under articles.",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        debug=False,
    )
