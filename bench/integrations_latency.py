"""Latency of the compatible APIs at a fixed rate: Perspective comments:analyze, Akismet comment-check and Coral's
external moderation phase, each driven by wrk at RATE requests/s (default 50) against one real server process.

    make bench-integrations   # or: .venv/bin/python bench/integrations_latency.py [--seconds 20] [--rate 50]

The server is `replyguard serve` (one worker, the scoring process on, as deployed) on a fresh SQLite database with
an API key and a Coral signing secret. Each endpoint gets an unrecorded warm-up, then a timed run at the fixed rate
(bench/fixed_rate.lua: a shared send schedule, so slow answers do not lower the offered load), cycling through
polite, spam and abusive replies the way each client sends them (Coral's bytes signed as Coral signs them).
Printed and written: p50, p99, achieved rate and errors per endpoint in bench/results/integrations.json and the
block of docs/integrations.md between the integrations-latency markers. Exit status 1 on any error or on a p99 over
the target (--target-p99-ms, default 20).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import free_port, register_newest_model, replace_block, server_env, start, stop, wrk  # noqa: E402
from service.integrations.coral import sign  # noqa: E402
from service.integrations.keys import create_api_key  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.storage import migrations  # noqa: E402
from service.storage.database import opened  # noqa: E402

DOC = ROOT / "docs" / "integrations.md"
WARM_UP_SECONDS = 3
# Enough connections that one is always free at the fixed rate: 8 x 20 ms of slack at 50/s before a send is late.
CONNECTIONS = 8
REPLIES = (
    "Thanks for this clear explanation of the budget vote, I had not realised the committee met twice.",
    "I disagree with the author on rent control, but the numbers in the third paragraph are worth thinking about.",
    "Could you follow up on the bridge repairs promised last spring? Source: https://city.example/report",
    "BUY CHEAP PILLS ONLINE!!! best prices http://pills.example http://bit.ly/xyz",
    "You are a worthless idiot, shut up.",
    "Great piece. My grandmother lived through the 1962 flood in that valley.",
    "Make $5000 a week working from home!!! Click here http://bit.ly/xyz123 and join now",
    "Interesting interview with the harbour master, the best part for me.",
)


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def write_requests(path: Path, requests: list[dict[str, Any]]) -> None:
    """The Lua file bench/fixed_rate.lua reads: `requests = {{method, path, headers, body}, ...}`."""
    entries = []
    for r in requests:
        headers = ", ".join(f'["{k}"] = {_lua_string(v)}' for k, v in r["headers"].items())
        entries.append(
            f'{{method = "POST", path = {_lua_string(r["path"])}, headers = {{{headers}}}, '
            f"body = {_lua_string(r['body'])}}}"
        )
    path.write_text("requests = {\n  " + ",\n  ".join(entries) + "\n}\n")


def perspective_requests(key: str) -> list[dict[str, Any]]:
    # As Coral's perspective.ts sends it (tests/integrations/test_perspective.py): one attribute, doNotStore, the
    # locale.
    return [
        {
            "path": f"/v1alpha1/comments:analyze?key={key}",
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(
                {
                    "comment": {"text": text},
                    "doNotStore": True,
                    "requestedAttributes": {"TOXICITY": {}},
                    "languages": ["en"],
                }
            ),
        }
        for text in REPLIES
    ]


def akismet_requests(key: str) -> list[dict[str, Any]]:
    # The fields WordPress's Akismet plugin sends for a comment (the key in the body, form-encoded).
    return [
        {
            "path": "/1.1/comment-check",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "body": urlencode(
                {
                    "api_key": key,
                    "blog": "https://news.example",
                    "user_ip": f"203.0.113.{n + 1}",
                    "user_agent": "Mozilla/5.0",
                    "referrer": "https://news.example/story",
                    "comment_type": "comment",
                    "comment_author": f"Reader {n}",
                    "comment_author_email": f"reader{n}@example.org",
                    "comment_content": text,
                    "permalink": "https://news.example/story",
                    "blog_lang": "en_us",
                }
            ),
        }
        for n, text in enumerate(REPLIES)
    ]


def coral_requests(secret: str) -> list[dict[str, Any]]:
    # Coral's ExternalModerationRequest, serialised as JSON.stringify(request, null, 2) and signed per fetch.ts.
    requests = []
    for n, text in enumerate(REPLIES):
        body = json.dumps(
            {"action": "NEW", "comment": {"body": text, "parentID": None},
             "author": {"id": f"user-{n}", "role": "COMMENTER"},
             "story": {"id": "story-1", "url": "https://news.example/story"}, "site": {"id": "site-1"},
             "tenantID": "tenant-1", "tenantDomain": "comments.news.example"},
            indent=2,
        )  # fmt: skip
        headers = {"Content-Type": "application/json", "X-Coral-Signature": sign(body.encode(), [secret])}
        requests.append({"path": "/coral/external-moderation", "headers": headers, "body": body})
    return requests


async def prepare(settings: Settings) -> str:
    """Register a model (the newest under the model folder, else train the default one); return a new API key."""
    async with opened(settings) as db:
        await register_newest_model(db, settings)
        async with db.write() as conn:
            _, key = await create_api_key(conn, "bench")
        return key


ENDPOINTS = (  # name, label
    ("perspective_analyze", "Perspective `comments:analyze`"),
    ("akismet_comment_check", "Akismet `comment-check`"),
    ("coral_external_moderation", "Coral external moderation phase"),
)


def table(results: dict[str, Any]) -> str:
    lines = [
        "| endpoint | offered req/s | achieved req/s | p50 ms | p99 ms | requests | errors | CPU ms/req |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, label in ENDPOINTS:
        row = results["endpoints"][name]
        cells = [label, results["rate"], f"{row['requests_per_s']:.1f}", f"{row['p50_ms']:.1f}",
                 f"{row['p99_ms']:.1f}", f"{row['requests']:,}", row["errors"], row["cpu_ms_per_request"]]  # fmt: skip
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--target-p99-ms", type=float, default=20.0)
    parser.add_argument("--model-dir", default=str(ROOT / "models"), help="where the default model is (or is trained)")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite the block in docs/integrations.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is missing (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="replyguard-bench-integrations-"))
    secret = "empsec_" + os.urandom(32).hex()
    env = server_env(workdir, args.model_dir, REPLYGUARD_CORAL_SIGNING_SECRETS=secret)
    settings = Settings.from_env(env)
    migrations.upgrade(settings.database_url)
    key = asyncio.run(prepare(settings))
    suites = {
        "perspective_analyze": perspective_requests(key),
        "akismet_comment_check": akismet_requests(key),
        "coral_external_moderation": coral_requests(secret),
    }
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(), "seconds": args.seconds, "rate": args.rate,
                               "connections": CONNECTIONS, "cpus": os.cpu_count(), "endpoints": {}}  # fmt: skip
    port = free_port()
    server = start([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env, port, "/ready")
    try:
        for name, requests in suites.items():
            lua = workdir / f"{name}.lua"
            write_requests(lua, requests)
            results["endpoints"][name] = wrk(
                f"http://127.0.0.1:{port}/", seconds=args.seconds, connections=CONNECTIONS, pid=server.pid,
                script="fixed_rate.lua", env={"REQUESTS_LUA": str(lua), "RATE": str(args.rate)},
                warm_up=WARM_UP_SECONDS,
            )  # fmt: skip
            row = results["endpoints"][name]
            print(f"{name}: {row['requests_per_s']:.1f} req/s, p50 {row['p50_ms']:.2f} ms, "
                  f"p99 {row['p99_ms']:.2f} ms, errors {row['errors']}", flush=True)  # fmt: skip
    finally:
        stop(server)
        shutil.rmtree(workdir, ignore_errors=True)

    print(table(results))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "integrations.json").write_text(json.dumps(results, indent=2))
    if not args.no_doc:
        command = "make bench-integrations" if (args.seconds, args.rate) == (20, 50) else " ".join(sys.argv)
        when = results["when"][:16].replace("T", " ")
        lines = [
            f"Run {when} UTC, `{command}`: one `replyguard serve` worker (SQLite, scoring process on);",
            f"wrk with {CONNECTIONS} connections at a fixed {args.rate} requests/s, {args.seconds} s per endpoint "
            f"after a {WARM_UP_SECONDS} s warm-up, on {os.cpu_count()} shared cores (wrk on the same machine).",
            "",
            table(results),
        ]
        replace_block(DOC, "integrations-latency", "\n".join(lines))
    failed = [n for n, row in results["endpoints"].items() if row["errors"] or row["p99_ms"] > args.target_p99_ms]
    if failed:
        print(f"bench: errors or p99 over {args.target_p99_ms} ms in {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
