"""`replyguard serve` and `replyguard migrate`: the running service and the schema it needs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from service.cli.jobs import run_on_database
from service.scoring.registry import ensure_model
from service.settings import Settings
from service.storage import migrations
from service.web.logs import log_config

if TYPE_CHECKING:
    import uvicorn
    from litestar.types import ASGIApp

# uvicorn's exit status for a server that did not start.
STARTUP_FAILURE = 3


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the service (migrates and trains a default model if needed)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=_serve)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    settings = settings.with_overrides(host=args.host or settings.host, port=args.port or settings.port)
    migrations.upgrade(settings.database_url)
    if settings.train_if_missing:
        run_on_database(settings, lambda db: ensure_model(db, settings))
    # Imported here: the other commands need neither the web server nor the app.
    import uvicorn

    from service.app import create_app

    server = uvicorn.Server(server_config(create_app(settings), settings))
    server.run()
    # As uvicorn.run: a server that never started (a failed start-up, a port in use) is exit status 3.
    return 0 if server.started else STARTUP_FAILURE


def server_config(app: ASGIApp, settings: Settings, *, configure_logging: bool = True) -> uvicorn.Config:
    """The uvicorn configuration `serve` runs `app` with; tests start servers in-process from the same one.

    configure_logging False leaves the process's logging as it is (a test process keeps pytest's).
    """
    import uvicorn

    from service.web.http_protocol import GuardedHttpProtocol

    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=log_config(settings.log_level, background=True) if configure_logging else None,
        access_log=settings.access_log,
        # X-Forwarded-For is believed only from the operator's own proxies.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        server_header=False,
        http=GuardedHttpProtocol.configured(
            read_timeout=settings.request_read_timeout_seconds, max_header_bytes=settings.max_header_bytes
        ),
        limit_concurrency=settings.max_connections,
    )


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    print("database is at the latest migration")
    return 0
