"""Faults: a server killed with SIGKILL under concurrent submissions loses no reply it acknowledged with a 201."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select

from service.settings import Settings
from service.storage import migrations
from service.storage.database import opened
from service.storage.tables import comments
from tests.replies import POLITE, reply
from tests.servers import ci_service, free_port, running_server

LOAD_SECONDS = 2.0  # bounded: the kill lands mid-run
WRITERS = 4


def _stored(settings: Settings, ids: list[str]) -> dict[str, int]:
    async def count() -> dict[str, int]:
        async with opened(settings) as db, db.read() as conn:
            query = (
                select(comments.c.id, func.count())
                .where(comments.c.id.in_([uuid.UUID(i) for i in ids]))
                .group_by(comments.c.id)
            )
            return {str(row[0]): int(row[1]) for row in (await conn.execute(query)).all()}

    return asyncio.run(count())


def _published_rows(settings: Settings, article_id: str) -> int:
    async def count() -> int:
        async with opened(settings) as db, db.read() as conn:
            query = select(func.count()).where(comments.c.article_id == article_id, comments.c.status == "published")
            return int((await conn.execute(query)).scalar_one())

    return asyncio.run(count())


def test_sigkill_under_load_loses_no_acknowledged_reply(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    acknowledged: list[str] = []
    errors: list[str] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    response = http.post(
                        "/api/v1/articles/crash/comments",
                        json=reply(f"{POLITE[n % 5]} ({worker}-{n})", email=f"w{worker}@example.org"),
                    )
                except httpx.TransportError:
                    return  # the server is gone; whatever was not acknowledged may be lost
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])
                elif response.status_code >= 500:
                    errors.append(f"{response.status_code} {response.text[:200]}")

    with running_server(settings, port, tmp_path / "server.log") as process:
        writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
        for thread in writers:
            thread.start()
        time.sleep(LOAD_SECONDS)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        stop.set()
        for thread in writers:
            thread.join(timeout=30)

    assert errors == []
    assert len(acknowledged) > 20, "the load never got going"
    # Restarted on the same database. What is checked here is what was stored, so this one scores in-process: a
    # scoring child would only add its start-up (seconds) to the test.
    with running_server(settings, port, tmp_path / "server.log", REPLYGUARD_SCORING_PROCESS="false"):
        stored = _stored(settings, acknowledged)
        assert len(stored) == len(set(acknowledged)) == len(acknowledged)
        assert set(stored.values()) == {1}
        print(f"sigkill: {len(acknowledged)} replies acknowledged before the kill, all stored exactly once")
        count = httpx.get(f"http://127.0.0.1:{port}/api/v1/articles/crash/comments/count", timeout=10).json()["count"]
        assert count == _published_rows(settings, "crash")  # the counter was committed with the rows, never apart


def _pg_ctl(*args: str) -> None:
    import glob
    import shutil

    binary = shutil.which("pg_ctl") or sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
    command = [binary, *args]
    if os.geteuid() == 0:  # the throwaway cluster runs as `nobody` (initdb refuses root)
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def test_postgres_outage_gives_503_then_recovers_without_restart(
    settings: Settings, model_dir: Path, tmp_path: Path
) -> None:
    import pytest

    from tests.conftest import POSTGRES_URL, _register, build_app, run

    if not POSTGRES_URL:
        pytest.skip("PostgreSQL runs only (make test with REPLYGUARD_TEST_DATABASE_URL, as .ci/run does)")
    from litestar.testing import TestClient

    # A cluster for this test alone, since the test stops it: the suite's own stays up for the tests running beside
    # this one in the other pytest-xdist worker.
    with ci_service("postgres.sh", "PG_TMPDIR") as exports:
        database_url, cluster = exports["REPLYGUARD_TEST_DATABASE_URL"], exports["PG_TMPDIR"]
        migrations.upgrade(database_url)
        on_own_cluster = settings.with_overrides(database_url=database_url, model_dir=tmp_path / "own-models")
        run(_register(on_own_cluster, model_dir))
        port = database_url.rsplit(":", 1)[1].split("/")[0]
        url = "/api/v1/articles/outage/comments"
        with TestClient(build_app(on_own_cluster)) as client:
            assert client.post(url, json=reply(POLITE[0])).status_code == 201
            _pg_ctl("-D", f"{cluster}/data", "-m", "fast", "-w", "stop")
            try:
                during = [client.post(url, json=reply(f"{POLITE[1]} {n}")) for n in range(3)]
                assert {r.status_code for r in during} == {503}
                assert all(int(r.headers["retry-after"]) > 0 for r in during)
                assert client.get(url).status_code == 503
                assert client.get("/ready").status_code == 503
            finally:
                options = (
                    f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={cluster} -c fsync=off"
                )
                _pg_ctl("-D", f"{cluster}/data", "-l", f"{cluster}/server.log", "-w", "-o", options, "start")
            deadline = time.monotonic() + 30
            while client.get("/ready").status_code != 200:
                assert time.monotonic() < deadline, "the service did not recover after the database came back"
                time.sleep(0.2)
            assert client.post(url, json=reply(POLITE[2])).status_code == 201
            assert client.get(f"{url}/count").json()["count"] == 2  # nothing half-written during the outage
