"""Shared fixtures: a real database (SQLite by default, PostgreSQL when REPLYGUARD_TEST_DATABASE_URL is set),
the real trained model (trained and loaded once per run), the app through Litestar's test client, moderator tokens."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from classifier import Scorer, load_scorer, train_model
from service.app import create_app
from service.domain.auth import create_moderator
from service.rules.policy import overrides_from
from service.scoring.registry import register_model
from service.scoring.state import ScoringState
from service.settings import Settings
from service.storage import migrations
from service.storage.database import connect, opened
from service.storage.tables import metadata
from tests.default_model import default_model as trained_default_model
from tests.servers import ci_service, serving_in_process

# Under pytest-xdist (`make test` runs two workers) each worker has a database and a Redis database of its own, so
# a test may empty them without reaching into the other worker's tests.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1", ... or None in a single process


def _worker_postgres_url(url: str | None) -> str | None:
    if url is None or WORKER is None:
        return url
    shared = make_url(url)
    return shared.set(database=f"{shared.database}_{WORKER}").render_as_string(hide_password=False)


def _worker_redis_url(url: str | None) -> str | None:
    if url is None or WORKER is None:
        return url
    return url.rsplit("/", 1)[0] + f"/{int(WORKER.removeprefix('gw')) + 1}"


POSTGRES_URL = _worker_postgres_url(os.environ.get("REPLYGUARD_TEST_DATABASE_URL"))
REDIS_URL = _worker_redis_url(os.environ.get("REPLYGUARD_TEST_REDIS_URL"))
SITE = "https://news.example"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model, trained on the real corpora (seed only where they are absent) once per test run.

    REPLYGUARD_TEST_MODEL_ROOT names a folder that may already hold it: `make test` trains it there while the gates
    run, and .ci/run trains once for both database runs.
    """
    configured = os.environ.get("REPLYGUARD_TEST_MODEL_ROOT")
    return trained_default_model(Path(configured) if configured else tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def seed_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the seed corpus alone (a second or two), once per run: the classifier tests' model, and a
    challenger whose version differs from `model_dir`'s for tests that promote one."""
    return train_model(output_root=tmp_path_factory.mktemp("seed-model"), data_dir=None)


@pytest.fixture(scope="session")
def seed_scorer(seed_model_dir: Path) -> Scorer:
    return load_scorer(seed_model_dir)


async def _create_postgres_database(url: str) -> None:
    """The database `url` names, created on its server if missing (a worker's own, under pytest-xdist)."""
    wanted = make_url(url)
    engine = create_async_engine(wanted.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            known = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": wanted.database}
            )
            if not known:
                await conn.execute(text(f'CREATE DATABASE "{wanted.database}"'))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def postgres_database() -> None:
    """The run's PostgreSQL database exists before any test (test_migrations uses it without the template)."""
    if POSTGRES_URL and WORKER is not None:
        run(_create_postgres_database(POSTGRES_URL))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the latest migration: a SQLite file to copy per test, or the PostgreSQL test database."""
    if POSTGRES_URL:
        migrations.downgrade(POSTGRES_URL, "base")
        migrations.upgrade(POSTGRES_URL)
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrations.upgrade(url)
    return str(path)


async def _reset_postgres(url: str) -> None:
    db = connect(Settings(database_url=url, data_dir=None))
    try:
        async with db.write() as conn:
            names = ", ".join(table.name for table in metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> str:
    """An empty, migrated database for this test alone."""
    if POSTGRES_URL:
        run(_reset_postgres(POSTGRES_URL))
        return POSTGRES_URL
    path = tmp_path / "replyguard.db"
    shutil.copyfile(migrated_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def _register(settings: Settings, model_dir: Path) -> None:
    async with opened(settings) as db, db.write() as conn:
        await register_model(conn, model_dir)


@pytest.fixture
def settings(database_url: str, model_dir: Path, tmp_path: Path) -> Settings:
    """Settings for a test, with the real model registered as the active one."""
    configured = Settings(
        database_url=database_url,
        model_dir=tmp_path / "models",
        data_dir=None,
        allowed_origins=(SITE,),
        train_if_missing=False,
        # Most tests post many replies from one address and email; test_abuse_controls turns limits back on.
        rate_limit_enabled=False,
        # Limits count in fixed windows; a test's few submissions must not straddle a window's end and get a second
        # allowance (a 60 s window did, about once in a hundred runs).
        submit_limit_window_seconds=3600,
        # A child process per app would add seconds to every test; tests/scoring/test_scoring_process.py covers it.
        scoring_process=False,
        # A test's decisions must not start a retraining beside it; tests/domain/test_autonomous_learning.py turns
        # the job on.
        auto_retrain=False,
        # Nothing polls the outbox beside a test; tests/domain/test_delivery.py and test_webhooks.py turn it on.
        delivery_worker=False,
    )
    run(_register(configured, model_dir))
    return configured


def module_settings(migrated_template: str, model_dir: Path, folder: Path) -> Settings:
    """Settings on an empty, migrated database with the real model registered, for a module sharing one server.

    (The `settings` fixture is per test; a module sharing a server gives each test its own article instead.)"""
    if POSTGRES_URL:
        run(_reset_postgres(POSTGRES_URL))
        url = POSTGRES_URL
    else:
        shutil.copyfile(migrated_template, folder / "replyguard.db")
        url = f"sqlite+aiosqlite:///{folder / 'replyguard.db'}"
    configured = Settings(
        database_url=url,
        model_dir=folder / "models",
        data_dir=None,
        train_if_missing=False,
        auto_retrain=False,
        delivery_worker=False,
    )
    run(_register(configured, model_dir))
    return configured


def build_app(settings: Settings, *, scoring: ScoringState | None = None) -> Litestar:
    """The app as tests build it: hundreds in one process, so without the start-up heap freeze (create_app says why);
    tests/scoring/test_scoring_process.py starts one with it."""
    return create_app(settings, scoring=scoring, freeze_heap=False)


@pytest.fixture(scope="session")
def default_model(model_dir: Path) -> Scorer:
    """The default model, loaded once: the `client` and `live_server` apps score with it instead of each loading it
    from the registry at start-up (a fifth of a second per test). Loading from the registry has tests of its own
    (tests/scoring/test_model_registry.py, test_model_faults.py), which build their apps with build_app."""
    return load_scorer(model_dir)


def _loaded(settings: Settings, model: Scorer) -> ScoringState:
    """What the app's start-up would load from the registry `settings` registered `model_dir` in."""
    return ScoringState(scorer=model, overrides=overrides_from(settings))


@pytest.fixture
def client(settings: Settings, default_model: Scorer) -> Iterator[TestClient[Any]]:
    with TestClient(build_app(settings, scoring=_loaded(settings, default_model))) as test_client:
        yield test_client


def add_moderator(settings: Settings, name: str, role: str = "moderator") -> str:
    async def create() -> str:
        async with opened(settings) as db, db.write() as conn:
            _, token = await create_moderator(conn, name, role=role)
            return token

    return str(run(create()))


@pytest.fixture
def moderator_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {add_moderator(settings, 'mod')}"}


@pytest.fixture
def admin_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {add_moderator(settings, 'admin', 'admin')}"}


@pytest.fixture
def live_server(settings: Settings, default_model: Scorer) -> Iterator[str]:
    """The app in a real uvicorn server on a free loopback port, for tests that speak real HTTP."""
    with serving_in_process(build_app(settings, scoring=_loaded(settings, default_model)), settings) as base:
        yield base


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: the one .ci/run started, else a throwaway server on loopback if redis-server is installed."""
    if REDIS_URL:
        yield REDIS_URL
        return
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server (.ci/run installs and starts one)")
    with ci_service("redis.sh", "REDIS_TMPDIR") as exports:
        yield exports["REPLYGUARD_TEST_REDIS_URL"]


@pytest.fixture
def redis_db(redis_url: str) -> str:
    """The shared Redis, emptied for this test."""
    from redis import Redis

    with Redis.from_url(redis_url) as client:
        client.flushdb()
    return redis_url


def add_api_key(settings: Settings, name: str) -> str:
    """A key for the Akismet- and Perspective-compatible APIs."""
    from service.integrations.keys import create_api_key

    async def create() -> str:
        async with opened(settings) as db, db.write() as conn:
            _, key = await create_api_key(conn, name)
            return key

    return str(run(create()))


@pytest.fixture
def api_key(settings: Settings) -> str:
    return add_api_key(settings, "site")
