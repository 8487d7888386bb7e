"""Real servers on loopback: `replyguard serve` processes for tests that need a whole process (faults, logs, the soak
run), and the same uvicorn configuration in a thread of the test process for tests that need only real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from litestar.types import ASGIApp

from service.cli.server import server_config
from service.settings import Settings

START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(settings: Settings, port: int, log: Path, **env_overrides: str) -> Iterator[subprocess.Popen[bytes]]:
    """`replyguard serve` on `settings.database_url`, yielded once `/ready` answers 200; killed on the way out.

    The environment is the test's minus every REPLYGUARD_* variable, so only what is set here reaches the server;
    `env_overrides` are REPLYGUARD_* names (e.g. REPLYGUARD_ACCESS_LOG="false").
    """
    with launched_server(settings, port, log, **env_overrides) as process:
        await_ready(process, port, log)
        yield process


@contextmanager
def launched_server(
    settings: Settings, port: int, log: Path, **env_overrides: str
) -> Iterator[subprocess.Popen[bytes]]:
    """As running_server, yielded as soon as the process is launched: the caller does its own slow set-up (a browser)
    while the server starts, then calls `await_ready`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    env.update(
        {
            "REPLYGUARD_DATABASE_URL": settings.database_url,
            "REPLYGUARD_PORT": str(port),
            "REPLYGUARD_RATE_LIMIT_ENABLED": "false",
            "REPLYGUARD_TRAIN_IF_MISSING": "false",
            "REPLYGUARD_MODEL_POLL_SECONDS": "0",
            # A server under test keeps its model: a soak's decisions must not start a retraining beside it.
            "REPLYGUARD_AUTO_RETRAIN": "false",
            # Nothing delivers the outbox unless the test says so (REPLYGUARD_DELIVERY_WORKER="true").
            "REPLYGUARD_DELIVERY_WORKER": "false",
            "REPLYGUARD_DATA_DIR": "",
        }
    )
    env.update(env_overrides)
    with log.open("ab") as sink:
        process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], env=env, stdout=sink, stderr=sink)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def await_ready(
    process: subprocess.Popen[bytes], port: int, log: Path, *, timeout_seconds: float = START_TIMEOUT_SECONDS
) -> None:
    """Until the server on `port` answers `/ready` with 200; fails with its log's tail if it exits or takes too long."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.1)


@contextmanager
def serving_in_process(app: ASGIApp, settings: Settings) -> Iterator[str]:
    """`app` served with the configuration `replyguard serve` uses (trusted proxies, header and read limits, connection
    cap) on a free loopback port, in a thread; yields the base URL once the server listens."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        server_config(app, settings.with_overrides(host="127.0.0.1", port=port), configure_logging=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def ci_service(script: str, folder_variable: str) -> Iterator[dict[str, str]]:
    """A throwaway server from `.ci/<script> start` (PostgreSQL, Redis): yields the variables it exports, and stops
    it with `.ci/<script> stop $folder_variable` on the way out."""
    path = Path(__file__).resolve().parent.parent / ".ci" / script
    started = subprocess.run([str(path), "start"], capture_output=True, text=True, check=True, timeout=180).stdout
    exports = dict(line.removeprefix("export ").split("=", 1) for line in started.splitlines())
    try:
        yield exports
    finally:
        subprocess.run([str(path), "stop", exports[folder_variable]], capture_output=True, timeout=120)
