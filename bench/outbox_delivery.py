"""Outbox delivery figures: messages per second through the outbox to a webhook receiver on loopback, the delivery
delay under a steady arrival rate, and what a SIGKILL of the worker costs (lost and re-sent messages).

    .venv/bin/python bench/outbox_delivery.py [--messages 3000] [--rate 200] [--seconds 10] [--database-url URL]

Real `replyguard worker` processes deliver from a real database (a fresh SQLite file by default) to a threaded HTTP
receiver in this process that records each call's webhook-id and arrival time. Printed as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from service.domain import events
from service.domain.webhook_signature import new_secret
from service.settings import Settings
from service.storage import migrations
from service.storage import webhook_endpoints as endpoint_store
from service.storage.database import opened
from service.storage.tables import outbox

arrivals: list[tuple[str, float, str]] = []  # (webhook-id, arrival time, the envelope's timestamp)
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        stamp = json.loads(body)["timestamp"]
        with lock:
            arrivals.append((self.headers.get("webhook-id", ""), time.time(), stamp))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


@contextmanager
def receiver() -> Iterator[str]:
    server = Receiver(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()


def worker(url: str, log: Path, poll: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    env.update({"REPLYGUARD_DATABASE_URL": url, "REPLYGUARD_DATA_DIR": "", "REPLYGUARD_LOG_LEVEL": "WARNING",
                "REPLYGUARD_WEBHOOK_PRIVATE_NETWORKS": "127.0.0.0/8", "REPLYGUARD_DELIVERY_POLL_SECONDS": poll,
                "REPLYGUARD_WEBHOOK_TIMEOUT_SECONDS": "2", "REPLYGUARD_DELIVERY_LEASE_SECONDS": "5"})  # fmt: skip
    with log.open("ab") as sink:
        return subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env, stdout=sink, stderr=sink)


async def setup(settings: Settings, hook: str) -> int:
    now = datetime.now(UTC)
    async with opened(settings) as db, db.write() as conn:
        return await endpoint_store.insert_endpoint(
            conn,
            {"url": hook, "events": ["reply.created"], "secret": new_secret(), "created_at": now, "updated_at": now},
        )


async def write(settings: Settings, endpoint: int, count: int) -> list[str]:
    now = datetime.now(UTC)
    rows = [events.webhook_row(endpoint, "reply.created", events.envelope("reply.created", {"n": n}, now=now), now=now)
            for n in range(count)]  # fmt: skip
    async with opened(settings) as db, db.write() as conn:
        await events.record(conn, rows)
    return [str(row["id"]) for row in rows]


async def unsent(settings: Settings) -> int:
    async with opened(settings) as db, db.read() as conn:
        return int((await conn.execute(select(func.count()).where(outbox.c.status != "sent"))).scalar_one())


def wait_all(settings: Settings, ids: set[str], timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lock:
            got = {a[0] for a in arrivals}
        if ids <= got and asyncio.run(unsent(settings)) == 0:
            return time.time()
        time.sleep(0.05)
    raise SystemExit(f"not all delivered within {timeout} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rate", type=int, default=200, help="messages per second in the paced phase")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    settings = Settings(database_url=url, data_dir=None)
    migrations.upgrade(url)
    log = folder / "workers.log"
    report: dict[str, Any] = {"database": settings.database_url.split(":")[0]}
    with receiver() as hook:
        endpoint = asyncio.run(setup(settings, hook))

        # 1. Drain: a backlog delivered by one worker.
        ids = set(asyncio.run(write(settings, endpoint, args.messages)))
        started = time.time()
        process = worker(url, log, "0.1")
        try:
            done = wait_all(settings, ids, 600)
        finally:
            process.kill()
            process.wait()
        with lock:
            first = min(t for _, t, _ in arrivals)
        report["drain"] = {"messages": len(ids), "per_second": round(len(ids) / (done - first), 1),
                           "seconds_with_start_up": round(done - started, 2)}  # fmt: skip

        # 2. SIGKILL mid-delivery, then a second worker finishes: lost and re-sent.
        with lock:
            arrivals.clear()
        ids = set(asyncio.run(write(settings, endpoint, args.messages)))
        process = worker(url, log, "0.1")
        while True:
            with lock:
                if len(arrivals) >= len(ids) // 3:
                    break
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        with lock:
            at_kill = len(arrivals)
        process = worker(url, log, "0.1")
        try:
            wait_all(settings, ids, 600)
        finally:
            process.kill()
            process.wait()
        with lock:
            counts = Counter(a[0] for a in arrivals if a[0] in ids)
        report["sigkill"] = {"messages": len(ids), "arrived_before_kill": at_kill, "lost": len(ids - set(counts)),
                             "sent_twice": sum(n - 1 for n in counts.values())}  # fmt: skip

        # 3. Paced arrivals: delay from writing to arrival, for a worker in another process (no doorbell) polling
        # every 1 s (the default) and every 0.1 s.
        for poll in ("1", "0.1"):
            with lock:
                arrivals.clear()
            process = worker(url, log, poll)
            time.sleep(4)  # started and polling
            ids = set()
            batch = max(1, args.rate // 10)
            ticks = int(args.seconds * 10)
            for _ in range(ticks):
                ids |= set(asyncio.run(write(settings, endpoint, batch)))
                time.sleep(0.1)
            try:
                wait_all(settings, ids, 120)
            finally:
                process.kill()
                process.wait()
            with lock:
                delays = [t - datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() for i, t, s in arrivals
                          if i in ids]  # fmt: skip
            report[f"paced_poll_{poll}s"] = {
                "messages": len(ids), "rate_per_second": batch * 10,
                "delay_p50_ms": round(statistics.median(delays) * 1000, 1),
                "delay_p99_ms": round(percentile(delays, 0.99) * 1000, 1),
                "delay_max_ms": round(max(delays) * 1000, 1),
            }  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
