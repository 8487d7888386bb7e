"""HTTP benchmark: replyguard and a bare Litestar app, each a real server process driven by wrk over loopback.

    .venv/bin/python bench/run.py [--seconds 10] [--connections 64] [--replies 10000]

Prints a table (requests/s, p50, p99, non-2xx, CPU ms per request) with each replyguard endpoint's throughput as a
ratio to the bare app measured in the same run, and writes bench/results/latest.json. Needs `wrk` (Debian package).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service import migrate  # noqa: E402
from service.auth import create_moderator  # noqa: E402
from service.database import opened  # noqa: E402
from service.models import articles, comments  # noqa: E402
from service.registry import ensure_model, register_model  # noqa: E402
from service.settings import Settings  # noqa: E402

SERVER_FLAGS = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def prepare(settings: Settings, replies: int, pending: int) -> str:
    """Migrate, make sure a model is registered, seed a thread of `replies` published replies; return a token."""
    async with opened(settings) as db:
        existing = sorted(settings.model_dir.glob("*/card.json"))
        if existing:  # reuse a trained model rather than training one per run
            async with db.write() as conn:
                await register_model(conn, existing[-1].parent)
        else:
            await ensure_model(db, settings)
        now = datetime.now(UTC)
        async with db.write() as conn:
            await conn.execute(
                articles.insert(),
                {"id": "thread-10k", "status": "open", "created_at": now, "updated_at": now,
                 "published_count": replies, "revision": 1},
            )  # fmt: skip
            rows = []
            for n in range(replies + pending):
                stamp = now - timedelta(seconds=replies + pending - n)
                rows.append(
                    {"id": uuid.uuid4(), "article_id": "thread-10k", "parent_id": None, "root_id": None,
                     "name": f"Reader {n}", "email": f"reader{n % 700}@example.org", "website": None,
                     "body": f"Reply number {n}: thanks for the reporting on the harbour and the budget vote.",
                     "status": "published" if n < replies else "pending", "spam_score": 0.01, "abuse_score": 0.01,
                     "model_version": "bench", "reasons": [], "created_at": stamp, "updated_at": stamp}
                )  # fmt: skip
            for start in range(0, len(rows), 2000):
                await conn.execute(comments.insert(), rows[start : start + 2000])
            _, token = await create_moderator(conn, "bench", role="moderator")
        return token


def start(command: list[str], env: dict[str, str], port: int, ready_path: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).status_code < 500:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode() if process.stderr else "server exited")
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server on port {port} did not start")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, seconds: int, connections: int, pid: int, script: str | None = None,
        headers: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(ROOT / "bench" / script)]
    before = cpu_seconds(pid)
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - before
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "requests": total,
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + (1 if socket_errors else 0),
        "cpu_ms_per_request": round(1000 * cpu / max(total, 1), 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--replies", type=int, default=10_000)
    parser.add_argument("--model-dir", default=str(ROOT / "models"), help="where the default model is (or is trained)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is missing (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="replyguard-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    env.update(
        REPLYGUARD_DATABASE_URL=f"sqlite+aiosqlite:///{workdir}/bench.db",
        REPLYGUARD_MODEL_DIR=args.model_dir,
        REPLYGUARD_RATE_LIMIT_ENABLED="false",
        REPLYGUARD_ACCESS_LOG="false",
        REPLYGUARD_LOG_LEVEL="WARNING",
        REPLYGUARD_MODEL_POLL_SECONDS="0",
    )
    settings = Settings.from_env(env)
    migrate.upgrade(settings.database_url)
    token = asyncio.run(prepare(settings, args.replies, pending=2_000))
    python = sys.executable
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(), "seconds": args.seconds,
                               "connections": args.connections, "replies_in_thread": args.replies}  # fmt: skip
    load = {"seconds": args.seconds, "connections": args.connections}

    bare_port = free_port()
    bare = start([python, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port), *SERVER_FLAGS], env,
                 bare_port, "/bare/comments")  # fmt: skip
    try:
        base = f"http://127.0.0.1:{bare_port}/bare/comments"
        results["bare_post"] = wrk(base, script="bare_post.lua", pid=bare.pid, **load)
        results["bare_get"] = wrk(base, pid=bare.pid, **load)
    finally:
        bare.terminate()
        bare.wait()

    port = free_port()
    ours = start([python, "-m", "service.cli", "serve", "--port", str(port)], env, port, "/ready")
    try:
        api = f"http://127.0.0.1:{port}/api/v1"
        results["submit"] = wrk(f"{api}/articles/bench-submit/comments", script="submit.lua", pid=ours.pid, **load)
        results["list_page"] = wrk(f"{api}/articles/thread-10k/comments?limit=20", pid=ours.pid, **load)
        results["count"] = wrk(f"{api}/articles/thread-10k/comments/count", pid=ours.pid, **load)
        results["queue"] = wrk(f"{api}/moderation/queue?limit=20", pid=ours.pid,
                               headers=(f"Authorization: Bearer {token}",), **load)  # fmt: skip
    finally:
        ours.terminate()
        ours.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    baseline = {"submit": "bare_post", "list_page": "bare_get", "count": "bare_get", "queue": "bare_get"}
    print("| endpoint | req/s | vs bare | p50 ms | p99 ms | errors | CPU ms/req |\n|---|---|---|---|---|---|---|")
    for name in ("bare_post", "bare_get", "submit", "list_page", "count", "queue"):
        row = results[name]
        ratio = f"{row['requests_per_s'] / results[baseline[name]]['requests_per_s']:.0%}" if name in baseline else "-"
        print(f"| {name} | {row['requests_per_s']:.0f} | {ratio} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
              f"{row['errors']} | {row['cpu_ms_per_request']} |")  # fmt: skip
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
