"""Real `replyguard serve` processes on loopback, for tests that need a whole server: faults, the soak run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

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
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    env.update(
        REPLYGUARD_DATABASE_URL=settings.database_url,
        REPLYGUARD_PORT=str(port),
        REPLYGUARD_RATE_LIMIT_ENABLED="false",
        REPLYGUARD_TRAIN_IF_MISSING="false",
        REPLYGUARD_MODEL_POLL_SECONDS="0",
        REPLYGUARD_DATA_DIR="",
        **env_overrides,
    )
    with log.open("ab") as sink:
        process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], env=env, stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
