"""HTTP benchmark: replyguard, a bare Litestar app and the Isso peer, each a real server process driven by wrk over
loopback in the same run, so every figure is read as a ratio to what was measured beside it.

    make bench        # or: .venv/bin/python bench/run.py [--seconds 10] [--connections 64] [--no-isso]

Each endpoint gets a short warm-up (not recorded), then a timed wrk run. Printed: requests/s, p50, p99, errors
(non-2xx/3xx plus socket errors; must be 0) and server CPU ms per request; our throughput as a ratio to the bare app
and to Isso; p99 at half of the measured maximum, paced two ways (a closed loop with a pause after each answer, and
submissions on one fixed schedule whatever the answers take). Written: bench/results/latest.json, the results block of
docs/performance.md and docs/performance.png. Needs `wrk` (Debian package; `make bench` installs it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.domain.auth import create_moderator  # noqa: E402
from service.scoring.registry import ensure_model, register_model  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.storage import migrations  # noqa: E402
from service.storage.database import Database, opened  # noqa: E402
from service.storage.site_rules import record_change  # noqa: E402
from service.storage.tables import articles, author_sanctions, comments, rule_entries  # noqa: E402
from service.web.console.sessions import open_session  # noqa: E402

SERVER_FLAGS = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
THREAD = "thread-10k"  # the article whose list page is read: 10,000 published replies, a quarter of them nested
SUBMIT_ARTICLE = "bench-submit"  # where submissions go; its first 100 replies are the parents of the nested ones
WARM_UP_SECONDS = 2
PACED_CONNECTIONS = 16
SCHEDULED_CONNECTIONS = 32  # enough idle connections that a stall of ~30 ms does not delay the schedule
DOC = ROOT / "docs" / "performance.md"
PLOT = ROOT / "docs" / "performance.png"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _thread_rows(article_id: str, count: int, pending: int, now: datetime) -> list[dict[str, Any]]:
    """`count` published replies (every fourth nested under an earlier top-level one) and `pending` held ones."""
    rows: list[dict[str, Any]] = []
    top_level: list[uuid.UUID] = []
    for n in range(count + pending):
        stamp = now - timedelta(seconds=count + pending - n)
        comment_id = uuid.uuid4()
        parent = top_level[n % len(top_level)] if n % 4 == 3 and top_level and n < count else None
        if parent is None:
            top_level.append(comment_id)
        rows.append(
            {"id": comment_id, "article_id": article_id, "parent_id": parent, "root_id": parent,
             "name": f"Reader {n}", "email": f"reader{n % 700}@example.org", "website": None,
             "body": f"Reply number {n}: thanks for the reporting on the harbour and the budget vote.",
             "status": "published" if n < count else "pending", "spam_score": 0.01, "abuse_score": 0.01,
             "model_version": "bench", "reasons": [], "created_at": stamp, "updated_at": stamp}
        )  # fmt: skip
    return rows


def server_env(workdir: Path, model_dir: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmarked server: this one without REPLYGUARD_*, a fresh SQLite file, and otherwise the
    shipped defaults a site runs with `make run` or the container (access log on, INFO logs, the registry poller).
    The one exception: one client address sends everything here, so the per-client rate limits are off (they are
    tested in tests/, and a site's readers come from many addresses)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    env.update(
        REPLYGUARD_DATABASE_URL=f"sqlite+aiosqlite:///{workdir}/bench.db",
        REPLYGUARD_MODEL_DIR=model_dir,
        REPLYGUARD_RATE_LIMIT_ENABLED="false",
        **extra,
    )
    return env


async def register_newest_model(db: Database, settings: Settings) -> None:
    """Register the newest model under the model folder, training the default one there if it holds none (once):
    benchmarks reuse a trained model rather than training one per run."""
    existing = sorted(settings.model_dir.glob("*/card.json"))
    if existing:
        async with db.write() as conn:
            await register_model(conn, existing[-1].parent)
    else:
        print(f"bench: no model in {settings.model_dir}: training the default one (once)", file=sys.stderr)
        await ensure_model(db, settings)


@dataclass(frozen=True)
class Prepared:
    token: str  # a moderator's bearer token (the queue API)
    session: str  # the same moderator's console session (the console's queue page, a cookie)
    parents: list[str]  # top-level replies of the submit article, for the nested submissions


async def prepare(settings: Settings, replies: int, pending: int) -> Prepared:
    """Migrate, register a model, seed the 10k thread and the submit article; a moderator with a token and a console
    session."""
    async with opened(settings) as db:
        await register_newest_model(db, settings)
        now = datetime.now(UTC)
        async with db.write() as conn:
            for article_id, count, held in ((THREAD, replies, pending), (SUBMIT_ARTICLE, 100, 0)):
                await conn.execute(
                    articles.insert(),
                    {"id": article_id, "status": "open", "created_at": now, "updated_at": now,
                     "published_count": count, "revision": 1},
                )  # fmt: skip
                rows = _thread_rows(article_id, count, held, now)
                for start in range(0, len(rows), 2000):
                    await conn.execute(comments.insert(), rows[start : start + 2000])
                if article_id == SUBMIT_ARTICLE:
                    parents = [str(row["id"]) for row in rows if row["parent_id"] is None]
            moderator, token = await create_moderator(conn, "bench", role="moderator")
            session, _ = await open_session(conn, moderator, lifetime=timedelta(hours=2))
        return Prepared(token=token, session=session, parents=parents)


def start(command: list[str], env: dict[str, str], port: int, ready_path: str) -> subprocess.Popen[bytes]:
    # The server's output goes to a file, never an unread pipe: a full pipe (64 KiB) would block the server in its
    # next log write, in the middle of a measurement.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read on a failed start, closed with the process
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).status_code < 500:
                log.close()  # the server holds its own descriptor
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(log.read().decode(errors="replace")[-4000:] or "server exited")
        time.sleep(0.2)
    process.kill()
    log.close()
    raise RuntimeError(f"server on port {port} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time of the process and of its live child processes (replyguard's scoring process), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        children.update(int(child) for child in task.read_text().split())
    return own + sum(cpu_seconds(child) for child in children if Path(f"/proc/{child}").exists())


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unreadable wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _field(pattern: str, out: str) -> str:
    match = re.search(pattern, out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk output without {pattern!r}:\n{out}")
    return match.group(1)


def wrk(url: str, *, seconds: int, connections: int, pid: int, script: str | None = None,
        headers: tuple[str, ...] = (), env: dict[str, str] | None = None,
        warm_up: int = 0) -> dict[str, Any]:  # fmt: skip
    """One wrk run (after an unrecorded warm-up of `warm_up` seconds); server CPU is read from /proc for `pid`."""
    command = ["wrk", "-t1", f"-c{connections}", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", str(ROOT / "bench" / script)]
    run_env = {**os.environ, **(env or {})}
    if warm_up:
        subprocess.run([*command, f"-d{warm_up}s", url], capture_output=True, text=True, check=True, env=run_env)
    before = cpu_seconds(pid)
    out = subprocess.run([*command, f"-d{seconds}s", url], capture_output=True, text=True, check=True, env=run_env)
    cpu = cpu_seconds(pid) - before
    text = out.stdout
    total = int(_field(r"(\d+) requests in", text))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "requests_per_s": float(_field(r"Requests/sec:\s+([\d.]+)", text)),
        # Anchored to the latency-distribution lines: "+/- Stdev" columns elsewhere also end in "50%".
        "p50_ms": _ms(_field(r"^\s+50%\s+(\S+)\s*$", text)),
        "p99_ms": _ms(_field(r"^\s+99%\s+(\S+)\s*$", text)),
        "requests": total,
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
        "cpu_ms_per_request": round(1000 * cpu / max(total, 1), 3),
    }


def paced(url: str, max_rate: float, *, pid: int, script: str, env: dict[str, str], seconds: int,
          fraction: float = 0.5) -> dict[str, Any]:  # fmt: skip
    """wrk offering about `fraction` of `max_rate` over PACED_CONNECTIONS connections.

    wrk paces by a delay between a connection's requests, so the achieved rate is connections / (delay + what else a
    request's turn takes). Two short calibration runs measure that turn (from the rate they achieve, not from a
    latency percentile, which missed it by ~15%) and set the delay from it.
    """
    target_rate = max_rate * fraction
    delay = max(1, round(PACED_CONNECTIONS * 1000 / target_rate))
    for _ in range(2):
        probe = wrk(url, seconds=2, connections=PACED_CONNECTIONS, pid=pid, script=script,
                    env={**env, "PACE_DELAY_MS": str(delay)})  # fmt: skip
        turn_ms = PACED_CONNECTIONS * 1000 / max(probe["requests_per_s"], 1.0) - delay
        delay = max(1, round(PACED_CONNECTIONS * 1000 / target_rate - turn_ms))
    result = wrk(url, seconds=seconds, connections=PACED_CONNECTIONS, pid=pid, script=script,
                 env={**env, "PACE_DELAY_MS": str(delay)})  # fmt: skip
    return {**result, "offered_per_s": round(target_rate, 1)}


def on_schedule(url: str, max_rate: float, *, pid: int, script: str, env: dict[str, str], seconds: int,
                fraction: float = 0.5) -> dict[str, Any]:  # fmt: skip
    """wrk sending `fraction` of `max_rate` on one fixed schedule (the script's RATE), whatever the answers take.

    The closed loop of `paced` lets the connections fall into step: answers that leave one batch together come back
    together and, after the same pause, arrive together again, so it measures bursts of up to PACED_CONNECTIONS at
    once. Here the sends are spaced evenly, the open load latency targets are usually stated for; both are reported.
    """
    rate = max_rate * fraction
    result = wrk(url, seconds=seconds, connections=SCHEDULED_CONNECTIONS, pid=pid, script=script,
                 env={**env, "RATE": str(round(rate, 1))})  # fmt: skip
    return {**result, "offered_per_s": round(rate, 1)}


def _serve_env(base: dict[str, str], **extra: str) -> dict[str, str]:
    return {**base, **extra}


class Baseline:
    """The bare app, kept running beside ours: each of our unpaced endpoints is read right after a run of its bare
    counterpart (`paired`), so a ratio compares two runs seconds apart. This machine's speed drifts by tens of
    percent within minutes (another tenant's load), and one bare run at the start made the ratios of later endpoints
    follow that drift: the list page read 44.6-56.7% of bare in runs of the same code."""

    def __init__(self, env: dict[str, str], load: dict[str, Any]) -> None:
        self.env, self.load = env, load
        self.runs: dict[str, list[dict[str, Any]]] = {"bare_post": [], "bare_get": []}
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def __enter__(self) -> Baseline:
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port), *SERVER_FLAGS]
        self.process = start(command, self.env, port, "/bare/comments")
        self.url = f"http://127.0.0.1:{port}/bare/comments"
        return self

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            stop(self.process)

    def measure(self, name: str) -> dict[str, Any]:
        """One run of `bare_post` or `bare_get`, kept for the bare rows of the table."""
        assert self.process is not None
        script = "bare_post.lua" if name == "bare_post" else None
        result = wrk(self.url, script=script, pid=self.process.pid, **self.load)
        self.runs[name].append(result)
        return result

    def summary(self) -> dict[str, Any]:
        """Each bare row as its middle run by rate (the lower of the two middle ones for an even count), with how
        many runs there were and the rate of each."""
        rows: dict[str, Any] = {}
        for name, runs in self.runs.items():
            if runs:
                ranked = sorted(runs, key=lambda run: run["requests_per_s"])
                rates = [run["requests_per_s"] for run in runs]
                rows[name] = {**ranked[(len(ranked) - 1) // 2], "runs": len(runs), "rates_per_run": rates}
        return rows


def paired(
    baseline: Baseline, bare_name: str, url: str, *, pid: int, load: dict[str, Any], **options: Any
) -> dict[str, Any]:
    """wrk on one of our endpoints right after a run of its bare counterpart; the row carries that run's rate."""
    bare = baseline.measure(bare_name)
    result = wrk(url, pid=pid, **load, **options)
    return {**result, "bare_requests_per_s": bare["requests_per_s"]}


async def load_rules(settings: Settings, n: int) -> None:
    """`n` entries in each of the site's rule lists and `n` bans, as bench/rule_evaluation.py times them, written as
    an admin's changes would be (the rules' generation moves, so the running server reloads them within a second)."""
    from bench.rule_evaluation import entries

    now = datetime.now(UTC)
    rows = [
        {"list": name, "key": key, "value": entry.value, "action": entry.action, "expires_at": entry.expires_at,
         "created_at": now, "updated_at": now}
        for name, listed in entries(n, random.Random(15)).items()
        for key, entry in listed.items()
    ]  # fmt: skip
    bans = [{"email_key": f"troll{i}@example.net", "kind": "ban", "created_at": now} for i in range(n)]
    async with opened(settings) as db, db.write() as conn:
        for start in range(0, len(rows), 2000):
            await conn.execute(rule_entries.insert(), rows[start : start + 2000])
        for start in range(0, len(bans), 2000):
            await conn.execute(author_sanctions.insert(), bans[start : start + 2000])
        await record_change(conn, moderator_id=None, subject="setting", target="bench", old=None, new={}, now=now)


def measure_ours(env: dict[str, str], load: dict[str, Any], prepared: Prepared, baseline: Baseline, *,
                rules: int = 0) -> dict[str, Any]:  # fmt: skip
    results: dict[str, Any] = {}
    port = free_port()
    ours = start([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env, port, "/ready")
    api = f"http://127.0.0.1:{port}/api/v1"
    submit_url = f"{api}/articles/{SUBMIT_ARTICLE}/comments"
    list_url = f"{api}/articles/{THREAD}/comments?limit=20"
    submit_env = {"PARENT_IDS": ",".join(prepared.parents)}
    queue_url, console_url = f"{api}/moderation/queue?limit=20", f"http://127.0.0.1:{port}/console"
    as_moderator = (f"Authorization: Bearer {prepared.token}",)
    signed_in = (f"Cookie: rg_console={prepared.session}",)
    try:
        results["submit"] = paired(
            baseline, "bare_post", submit_url, script="submit.lua", env=submit_env, pid=ours.pid, load=load
        )
        results["list_page"] = paired(baseline, "bare_get", list_url, pid=ours.pid, load=load)
        results["count"] = paired(
            baseline, "bare_get", f"{api}/articles/{THREAD}/comments/count", pid=ours.pid, load=load
        )
        results["queue"] = paired(baseline, "bare_get", queue_url, headers=as_moderator, pid=ours.pid, load=load)
        results["console"] = paired(baseline, "bare_get", console_url, headers=signed_in, pid=ours.pid, load=load)
        seconds = load["seconds"]
        results["submit_at_half"] = paced(submit_url, results["submit"]["requests_per_s"], pid=ours.pid,
                                          script="submit.lua", env=submit_env, seconds=seconds)  # fmt: skip
        results["submit_on_schedule"] = on_schedule(submit_url, results["submit"]["requests_per_s"], pid=ours.pid,
                                                    script="submit.lua", env=submit_env, seconds=seconds)  # fmt: skip
        results["list_page_at_half"] = paced(list_url, results["list_page"]["requests_per_s"], pid=ours.pid,
                                             script="paced.lua", env={}, seconds=seconds)  # fmt: skip
        results["memory_rss_mb"] = _rss_mb(ours.pid)
        if rules:
            # The same server, once the site's rules are loaded: what evaluating them costs a submission.
            asyncio.run(load_rules(Settings.from_env(env), rules))
            time.sleep(2)  # the server reloads within REPLYGUARD_RULES_CHECK_SECONDS (1 s)
            results["submit_with_rules"] = paired(
                baseline, "bare_post", submit_url, script="submit.lua", env=submit_env, pid=ours.pid, load=load
            )
    finally:
        stop(ours)
    # The database path without the reader cache and with moderators' reads not kept: what a page costs when it is
    # not in memory (a thread just changed, a reply just held or decided).
    port = free_port()
    uncached_env = {**env, "REPLYGUARD_READ_CACHE_ENTRIES": "0", "REPLYGUARD_MODERATION_CACHE_SECONDS": "0"}
    uncached = start([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], uncached_env, port, "/ready")
    try:
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/api/v1/articles/{THREAD}/comments?limit=20"
        results["list_page_uncached"] = paired(baseline, "bare_get", url, pid=uncached.pid, load=load)
        results["queue_uncached"] = paired(baseline, "bare_get", f"{base}/api/v1/moderation/queue?limit=20",
                                           headers=as_moderator, pid=uncached.pid, load=load)  # fmt: skip
        results["console_uncached"] = paired(
            baseline, "bare_get", f"{base}/console", headers=signed_in, pid=uncached.pid, load=load
        )
    finally:
        stop(uncached)
    return results


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


ROWS = (  # name, label, bare baseline, Isso counterpart
    ("submit", "POST submit (mixed replies)", "bare_post", "post"),
    ("list_page", "GET list page (10k-reply thread)", "bare_get", "get_thread"),
    ("list_page_uncached", "GET list page, reader cache off", "bare_get", "get_thread"),
    ("count", "GET count", "bare_get", None),
    ("queue", "GET moderation queue", "bare_get", None),
    ("queue_uncached", "GET moderation queue, not kept", "bare_get", None),
    ("console", "GET console queue page", "bare_get", None),
    ("console_uncached", "GET console queue page, not kept", "bare_get", None),
    ("submit_with_rules", "POST submit, site rules loaded (--rules)", "bare_post", "post"),
)


def table(results: dict[str, Any]) -> str:
    isso = results.get("isso") or {}
    lines = [
        "| endpoint | req/s | vs bare | vs Isso | p50 ms | p99 ms | errors | CPU ms/req |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, label, bare_name, isso_name in ROWS:
        if name not in results:  # submit_with_rules: only with --rules; the rest: older result files
            continue
        row = results[name]
        rate = row["requests_per_s"]
        # The bare run right before this one (older result files: the one bare run of the whole benchmark).
        vs_bare = f"{rate / row.get('bare_requests_per_s', results[bare_name]['requests_per_s']):.1%}"
        vs_isso = f"{rate / isso[isso_name]['requests_per_s']:.0f}x" if isso_name and isso_name in isso else "-"
        lines.append(f"| {label} | {rate:,.0f} | {vs_bare} | {vs_isso} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
                     f"{row['errors']} | {row['cpu_ms_per_request']} |")  # fmt: skip
    for name, label in (("bare_post", "bare Litestar POST"), ("bare_get", "bare Litestar GET")):
        row = results[name]
        if "runs" in row:  # one run beside each of ours: the middle one, and the spread of the runs
            rates = row["rates_per_run"]
            label += f" (middle of {row['runs']} runs, {min(rates):,.0f}-{max(rates):,.0f} req/s)"
        lines.append(f"| {label} | {row['requests_per_s']:,.0f} | 100% | - | {row['p50_ms']:.1f} | "
                     f"{row['p99_ms']:.1f} | {row['errors']} | {row['cpu_ms_per_request']} |")  # fmt: skip
    for name, label in (("post", "Isso POST /new"), ("get_thread", "Isso GET thread (limit 20)")):
        if name in isso:
            row = isso[name]
            lines.append(f"| {label} | {row['requests_per_s']:,.0f} | - | 1x | {row['p50_ms']:.1f} | "
                         f"{row['p99_ms']:.1f} | {row['errors']} | {row['cpu_ms_per_request']} |")  # fmt: skip
    lines += ["", "| paced at half the maximum | offered ≈ req/s | achieved req/s | p50 ms | p99 ms |",
              "|---|---|---|---|---|"]  # fmt: skip
    paced_rows = (("submit_at_half", "POST submit, closed loop (16 connections, a pause after each answer)"),
                  ("submit_on_schedule", f"POST submit, fixed schedule ({SCHEDULED_CONNECTIONS} connections)"),
                  ("list_page_at_half", "GET list page, closed loop (16 connections)"))  # fmt: skip
    for name, label in paced_rows:
        if name not in results:  # runs from before the fixed schedule
            continue
        row = results[name]
        lines.append(f"| {label} | {row['offered_per_s']:,.0f} | {row['requests_per_s']:,.0f} | {row['p50_ms']:.1f} | "
                     f"{row['p99_ms']:.1f} |")  # fmt: skip
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    isso = results.get("isso") or {}
    groups = [("POST submit", "submit", "bare_post", "post"), ("GET list page", "list_page", "bare_get", "get_thread")]
    figure, (rates, tails) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.27
    series: list[tuple[str, list[dict[str, Any] | None]]] = [
        ("bare Litestar", [results[group[2]] for group in groups]),
        ("replyguard", [results[group[1]] for group in groups]),
        ("Isso", [isso.get(group[3]) for group in groups]),
    ]
    for offset, (who, values) in enumerate(series):
        xs = [index + (offset - 1) * width for index in range(len(groups))]
        rates.bar(xs, [v["requests_per_s"] if v else 0 for v in values], width, label=who)
        tails.bar(xs, [v["p99_ms"] if v else 0 for v in values], width, label=who)
    for axis, title in ((rates, "requests/s (log)"), (tails, "p99 latency, ms (log)")):
        axis.set_xticks(range(len(groups)), [group[0] for group in groups])
        axis.set_yscale("log")
        axis.set_title(title)
    handles, labels = rates.get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3)
    figure.suptitle(f"1 worker, SQLite, wrk {results['connections']} connections, {results['seconds']} s, loopback")
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    figure.savefig(path, dpi=110)


def replace_block(doc: Path, name: str, content: str) -> None:
    """Replace the generated block `name` of a hand-written document (between <!-- name:begin/end --> markers)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = doc.read_text() if doc.exists() else "# Performance\n"
    if begin not in text:
        text += f"\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    doc.write_text(f"{head}{begin}\n{content}\n{end}{rest.split(end, 1)[1]}")


def write_doc(results: dict[str, Any], command: str) -> None:
    """The generated block of docs/performance.md; the prose around it is written by hand."""
    lines = [
        f"Run {results['when'][:16].replace('T', ' ')} UTC, `{command}`; server memory (RSS, one worker, model "
        f"loaded) {results['memory_rss_mb']} MB after the run.",
        "",
        table(results),
        "",
        "![throughput and p99 per endpoint: replyguard, bare Litestar, Isso](performance.png)",
    ]
    replace_block(DOC, "bench", "\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--replies", type=int, default=10_000)
    parser.add_argument("--no-isso", action="store_true", help="skip the Isso peer (no separate venv needed)")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md and its plot")
    parser.add_argument("--model-dir", default=str(ROOT / "models"), help="where the default model is (or is trained)")
    parser.add_argument("--rules", type=int, default=0, metavar="N",
                        help="then measure submit again with N entries in each rules list and N bans")  # fmt: skip
    parser.add_argument("--serve-env", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting of our server beside the shipped defaults (REPLYGUARD_RELEVANCE=auto after "
                             "`make install-test`, with a model trained there: the extra's cost)")  # fmt: skip
    args = parser.parse_args()
    settings_given = dict(item.split("=", 1) for item in args.serve_env if "=" in item)
    if len(settings_given) != len(args.serve_env) or not all(key.startswith("REPLYGUARD_") for key in settings_given):
        raise SystemExit("bench: --serve-env takes REPLYGUARD_NAME=VALUE")
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is missing (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="replyguard-bench-"))
    env = server_env(workdir, args.model_dir, **settings_given)
    settings = Settings.from_env(env)
    migrations.upgrade(settings.database_url)
    prepared = asyncio.run(prepare(settings, args.replies, pending=2_000))
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(), "seconds": args.seconds,
                               "connections": args.connections, "replies_in_thread": args.replies,
                               "cpus": os.cpu_count()}  # fmt: skip
    load = {"seconds": args.seconds, "connections": args.connections, "warm_up": WARM_UP_SECONDS}
    try:
        with Baseline(env, load) as baseline:
            results.update(measure_ours(env, load, prepared, baseline, rules=args.rules))
        results.update(baseline.summary())
        if not args.no_isso:
            from bench.isso_peer import measure_isso

            results["isso"] = measure_isso(args.seconds, args.connections, wrk_fn=wrk)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(table(results))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    if not args.no_doc:
        as_make = (args.seconds, args.connections, args.rules) == (10, 64, 10_000)
        command = "make bench" if as_make else " ".join(sys.argv)
        write_doc(results, command)
        plot(results, PLOT)
    errors = [name for name, row in results.items() if isinstance(row, dict) and row.get("errors")]
    errors += [f"isso {name}" for name, row in (results.get("isso") or {}).items() if row.get("errors")]
    if errors:
        print(f"bench: errors in {errors}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
