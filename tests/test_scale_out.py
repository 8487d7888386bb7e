"""Scale-out: two real server processes sharing one database and one Redis behave as one service.

Rate limits and idempotency hold across them, a model promoted in the registry reaches both, and a reply stored by
one shows on the other within the reader cache's window. The processes are real (`replyguard serve`), the traffic
real HTTP over loopback. PostgreSQL is the production database for several processes; on SQLite the same test runs
two processes on one database file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis import Redis

from service.scoring.registry import register_model
from service.settings import Settings
from service.storage.database import opened
from tests.conftest import POSTGRES_URL, _register, _reset_postgres, run
from tests.replies import POLITE, reply
from tests.servers import await_ready, free_port

ROOT = Path(__file__).resolve().parent.parent
# Limits count in fixed windows: ten submissions that straddle a window's end get two allowances. A long window and a
# start well inside it keep the test about processes, not about where the clock happens to be.
LIMIT_WINDOW_SECONDS = 3600


def _launch(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    # The server's log goes to a file, never a pipe: nobody reads a pipe while the tests run, and a full one (64 KiB)
    # would block the server in its next log write.
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    return process, port


@pytest.fixture(scope="module")
def shared(
    migrated_template: str, model_dir: Path, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """One database for the module's two processes (each test works on its own article and emails)."""
    if POSTGRES_URL:
        run(_reset_postgres(POSTGRES_URL))
        url = POSTGRES_URL
    else:
        path = tmp_path_factory.mktemp("scale-out") / "replyguard.db"
        shutil.copyfile(migrated_template, path)
        url = f"sqlite+aiosqlite:///{path}"
    with Redis.from_url(redis_url) as client:
        client.flushdb()
    configured = Settings(database_url=url, data_dir=None, redis_url=redis_url)
    run(_register(configured, model_dir))
    return configured


@pytest.fixture(scope="module")
def two_servers(shared: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("REPLYGUARD_")}
    env.update(
        REPLYGUARD_DATABASE_URL=shared.database_url,
        REPLYGUARD_REDIS_URL=shared.redis_url or "",
        REPLYGUARD_MODEL_DIR=str(tmp_path_factory.mktemp("models")),
        REPLYGUARD_TRAIN_IF_MISSING="false",
        REPLYGUARD_MODEL_POLL_SECONDS="0.2",
        REPLYGUARD_READ_CACHE_SECONDS="0.5",
        REPLYGUARD_SUBMIT_LIMIT_PER_EMAIL="5",
        REPLYGUARD_SUBMIT_LIMIT_PER_ADDRESS="1000",
        REPLYGUARD_SUBMIT_LIMIT_WINDOW_SECONDS=str(LIMIT_WINDOW_SECONDS),
        REPLYGUARD_ACCESS_LOG="false",
        REPLYGUARD_LOG_LEVEL="WARNING",
    )
    # Both start at once (each migrates, loads the model and starts its scoring process): the start-up is the slow
    # part, and the two would otherwise wait for each other for nothing. The database is at the head already, so
    # neither start-up migrates anything.
    folder = tmp_path_factory.mktemp("scale-out-logs")
    logs = [folder / "first.log", folder / "second.log"]
    servers = [_launch(env, log) for log in logs]
    try:
        for (process, port), log in zip(servers, logs, strict=True):
            # A bound on start-up (migrate, load the model), not a speed claim.
            await_ready(process, port, log, timeout_seconds=120)
        yield f"http://127.0.0.1:{servers[0][1]}", f"http://127.0.0.1:{servers[1][1]}"
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            process.wait(timeout=30)


def test_rate_limits_count_across_processes(two_servers: tuple[str, str]) -> None:
    url = "/api/v1/articles/scale-out-limits/comments"
    left_in_window = LIMIT_WINDOW_SECONDS - time.time() % LIMIT_WINDOW_SECONDS
    if left_in_window < 60:  # ten submissions take seconds, even on a loaded machine
        time.sleep(left_in_window + 1)
    codes = []
    for n in range(10):  # alternate between the two processes, one email address
        base = two_servers[n % 2]
        body = reply(f"{POLITE[n % 5]} (limit {n})", email="busy@example.org")
        codes.append(httpx.post(f"{base}{url}", json=body, timeout=30).status_code)
    assert codes == [201] * 5 + [429] * 5  # one allowance in all, not one per process


def test_an_idempotency_key_holds_across_processes(two_servers: tuple[str, str]) -> None:
    url = "/api/v1/articles/scale-out-keys/comments"

    async def both() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as http:
            headers = {"Idempotency-Key": "across-processes"}
            body = reply(POLITE[2], email="keys@example.org")
            posts = [http.post(f"{base}{url}", json=body, headers=headers) for base in two_servers * 2]
            return list(await asyncio.gather(*posts))

    answers = asyncio.run(both())
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert httpx.get(f"{two_servers[0]}{url}/count").json()["count"] == 1


def test_a_reply_stored_by_one_process_shows_on_the_other(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    url = "/api/v1/articles/scale-out-reads/comments"
    assert httpx.get(f"{second}{url}/count").json()["count"] == 0  # the second process has now cached "0"
    created = httpx.post(f"{first}{url}", json=reply(POLITE[0], email="reads@example.org"), timeout=30).json()
    assert created["status"] == "published"
    deadline = time.monotonic() + 5  # the window is 0.5 s; the bound is generous for a loaded machine
    while httpx.get(f"{second}{url}/count").json()["count"] != 1:
        assert time.monotonic() < deadline, "the other process never showed the new reply"
        time.sleep(0.05)
    assert [item["id"] for item in httpx.get(f"{second}{url}").json()["items"]] == [created["id"]]


def test_a_promoted_model_reaches_both_processes(
    two_servers: tuple[str, str], shared: Settings, seed_model_dir: Path, model_dir: Path
) -> None:
    challenger = seed_model_dir  # another version than the one both servers started with
    assert challenger.name != model_dir.name

    async def promote() -> None:
        async with opened(shared) as db, db.write() as conn:
            await register_model(conn, challenger)

    asyncio.run(promote())
    deadline = time.monotonic() + 30
    for base in two_servers:
        while httpx.get(f"{base}/ready").json()["model"] != challenger.name:
            assert time.monotonic() < deadline, f"{base} never loaded the promoted model"
            time.sleep(0.1)
        url = "/api/v1/articles/scale-out-model/comments"
        created = httpx.post(f"{base}{url}", json=reply(POLITE[4], email=f"{base[-5:]}@example.org"), timeout=30)
        assert created.status_code == 201
