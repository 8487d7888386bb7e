"""Scale benchmark on PostgreSQL: do reader and moderator latencies stay flat from 10k to 1M comments?

    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--seconds 4] [--rounds 2] [--connections 16]
                                    [--database-url postgresql+asyncpg://...] [--model-dir models]

Each size N gets its own database, seeded server-side (INSERT ... SELECT ... FROM generate_series, with the comment
indexes and foreign keys rebuilt after the load, all in one transaction): 1,000 articles, one hot article holding
10% of the comments, 60% top-level / 30% replies / 10% replies to replies, ~85% published / 10% pending / 5%
rejected, authors from a skewed pool of N/25 addresses (a few prolific ones), articles.published_count/revision
consistent with the rows; then VACUUM ANALYZE. One real replyguard server process (`replyguard serve`) per database,
with the reader cache off (REPLYGUARD_READ_CACHE_ENTRIES=0) and moderators' reads not kept
(REPLYGUARD_MODERATION_CACHE_SECONDS=0), where the settings exist, so the database path is what is measured. Per
endpoint: sequential httpx timings on one keep-alive connection (latency without queueing), then wrk
(throughput, p50/p99 under load, the best of --rounds). The sizes are measured in turn within each round, so other
load on a shared machine falls on all of them alike rather than on whichever size ran during it. At the largest N,
the statements the service sends for each endpoint are captured and run under EXPLAIN (ANALYZE, BUFFERS).

Starts a throwaway cluster with .ci/postgres.sh and stops it at the end, unless --database-url is given: then the
role must be allowed to create databases (replyguard_scale_<N> are created beside it and dropped at the end).
Writes bench/results/scale.json and prints markdown tables. Needs `wrk`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import DOC, free_port, register_newest_model, replace_block, start  # noqa: E402  (the same server start and wrk reading)
from bench.run import wrk as run_wrk  # noqa: E402
from service.domain.auth import create_moderator  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.storage import migrations  # noqa: E402
from service.storage.cursor import encode_cursor  # noqa: E402
from service.storage.database import opened  # noqa: E402
from service.web.console.sessions import open_session  # noqa: E402
from service.web.console.sign_in import SESSION_COOKIE  # noqa: E402

ARTICLES = 1_000
HOT = "article-0000"  # holds 10% of all comments
TARGET_RATIO = 1.5  # latency at 1M may be at most this many times the latency at 10k
SEQUENTIAL_REQUESTS = 200
BODIES = [
    "Thanks for this clear explanation of the budget vote; I had not realised the committee met twice.",
    "I disagree with the author on rent control, but the numbers in the third paragraph deserve a closer look.",
    "Could you follow up on the bridge repairs promised last spring? The detour still adds twenty minutes.",
    "My grandmother lived through the 1962 flood in that valley, and the photos brought back her stories.",
    "Interesting piece. The interview with the harbour master was the best part for me, more of that please.",
    "The school board minutes say something different about the timetable; worth checking before the vote.",
    "As a nurse at the regional hospital I can confirm the staffing numbers, if anything they are optimistic.",
    "Good summary, though the map in the second section seems to show the old district boundaries.",
]


# --- seeding -------------------------------------------------------------------------------------------------------
# The SQL below is assembled from constant fragments of this file; every value from outside is a bound parameter.
# Hashes (hashint8/hashtext give int4) are widened to bigint before abs(): abs(-2^31) overflows int4.


def _uuid7(ts: str, seed: str) -> str:
    """A time-ordered UUIDv7 like service.ids.new_id: 48 bits of milliseconds, then hash bits (version 7, variant)."""
    hexed = f"md5({seed})"
    return (
        f"(lpad(to_hex(floor(extract(epoch FROM {ts}) * 1000)::bigint), 12, '0') || '7' || substr({hexed}, 1, 3)"
        f" || '8' || substr({hexed}, 4, 15))::uuid"
    )


def _status(h: str) -> str:
    return f"CASE WHEN {h} % 100 < 85 THEN 'published' WHEN {h} % 100 < 95 THEN 'pending' ELSE 'rejected' END"


def _author(h: str) -> str:
    # Squared uniform: index 0 is the most prolific author (about 5*sqrt(N) comments), most write a handful.
    return f"floor(:pool * power(({h} % 1000003) / 1000003.0, 2))::int"


def _body(h: str, seq: str) -> str:
    bodies = "(ARRAY[" + ", ".join("'" + body.replace("'", "''") + "'" for body in BODIES) + "])"
    return f"{bodies}[1 + {h} % {len(BODIES)}] || ' (' || {seq} || ')'"


COLUMNS = (
    "id, article_id, parent_id, root_id, name, email, website, body, status, spam_score, abuse_score, "
    "model_version, reasons, created_at, updated_at"
)

TOP_LEVEL = f"""
INSERT INTO comments ({COLUMNS})
SELECT {_uuid7("ts", "'t' || n")},
       CASE WHEN n % 10 = 0 THEN '{HOT}'
            ELSE 'article-' || lpad((1 + h1 % {ARTICLES - 1})::text, 4, '0') END,
       NULL, NULL, 'Reader ' || author, 'reader' || author || '@example.org', NULL,
       {_body("h2", "'t' || n")}, {_status("h3")},
       (h2 % 1000) / 5000.0, (h3 % 1000) / 5000.0, 'scale-seed', '[]'::json, ts, ts
FROM (SELECT n, ts, h1, h2, h3, {_author("h4")} AS author
      FROM (SELECT n, CAST(:start AS timestamptz) + n * CAST(:step AS interval) AS ts,
                   abs(hashint8(n)::bigint) AS h1, abs(hashint8(n + 7919)::bigint) AS h2,
                   abs(hashint8(-n)::bigint) AS h3, abs(hashint8(n * 31 + 17)::bigint) AS h4
            FROM generate_series(1, CAST(:count AS bigint)) AS n) AS numbered) AS drawn
"""  # noqa: S608

# A reply goes to a published comment of the same article (as the service insists), a while after it. Replies to
# top-level comments: each published one draws 0-2 of them; replies to replies: one under some published replies.
REPLIES = f"""
INSERT INTO comments ({COLUMNS})
SELECT {_uuid7("ts", "seed")}, article_id, parent_id, root_id, 'Reader ' || author,
       'reader' || author || '@example.org', NULL, {_body("h2", "seed")}, {_status("h3")},
       (h2 % 1000) / 5000.0, (h3 % 1000) / 5000.0, 'scale-seed', '[]'::json, ts, ts
FROM (SELECT seed, article_id, parent_id, root_id, ts, h2, h3, {_author("h4")} AS author
      FROM (SELECT p.id::text || k AS seed, p.article_id, p.id AS parent_id, coalesce(p.root_id, p.id) AS root_id,
                   p.created_at + (1 + abs(hashtext(p.id::text || k)::bigint) % 720) * interval '1 minute' AS ts,
                   abs(hashtext(p.id::text || k || 'b')::bigint) AS h2,
                   abs(hashtext(p.id::text || k || 's')::bigint) AS h3,
                   abs(hashtext(p.id::text || k || 'e')::bigint) AS h4
            FROM comments AS p CROSS JOIN generate_series(1, CAST(:fanout AS integer)) AS k
            WHERE p.status = 'published' AND {{level}}
            ORDER BY md5(p.id::text || k)
            LIMIT CAST(:count AS bigint)) AS chosen) AS drawn
"""  # noqa: S608

CONSISTENT_ARTICLES = """
UPDATE articles AS a SET published_count = c.published, revision = c.published
FROM (SELECT article_id, count(*) AS published FROM comments WHERE status = 'published' GROUP BY article_id) AS c
WHERE a.id = c.article_id
"""


# Bulk-load recipe (PostgreSQL manual, "Populating a Database"): per-row foreign-key checks and index upkeep cost far
# more than the rows themselves, so comments' own foreign keys and secondary indexes are dropped for the load and
# recreated from the definitions the catalog held, in the same transaction (a failure leaves the schema as it was).
SECONDARY_INDEXES = """
SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid
WHERE x.indrelid = 'comments'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.oid)
"""
FOREIGN_KEYS = "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'comments'::regclass "
FOREIGN_KEYS += "AND contype = 'f'"


async def _timed(conn: AsyncConnection, phases: dict[str, float], label: str, sql: str, **params: Any) -> None:
    began = time.perf_counter()
    await conn.execute(text(sql), params)
    phases[label] = round(phases.get(label, 0.0) + time.perf_counter() - began, 2)


async def seed(url: str, n: int) -> dict[str, Any]:
    """Empty the comment tables and fill them with `n` comments; returns what was made and how long it took."""
    started = time.perf_counter()
    top, replies = n * 6 // 10, n * 3 // 10
    nested = n - top - replies
    begin = datetime.now(UTC) - timedelta(days=366)
    pool = max(100, n // 25)
    phases: dict[str, float] = {}
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            await conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
            await conn.execute(text("SET LOCAL work_mem = '128MB'"))  # the reply draw sorts in memory
            await conn.execute(text("TRUNCATE idempotency_keys, decisions, comments, articles CASCADE"))
            indexes = (await conn.execute(text(SECONDARY_INDEXES))).all()
            foreign_keys = (await conn.execute(text(FOREIGN_KEYS))).all()
            for name, _ in foreign_keys:
                await conn.execute(text(f"ALTER TABLE comments DROP CONSTRAINT {quote(name)}"))
            for name, _ in indexes:
                await conn.execute(text(f"DROP INDEX {quote(name)}"))
            await _timed(
                conn,
                phases,
                "articles",
                "INSERT INTO articles (id, status, published_count, revision, created_at, updated_at) "
                "SELECT 'article-' || lpad(a::text, 4, '0'), 'open', 0, 0, :now, :now "
                "FROM generate_series(0, CAST(:articles AS integer) - 1) AS a",
                now=begin,
                articles=ARTICLES,
            )
            step = timedelta(days=365) / max(top, 1)
            await _timed(conn, phases, "top_level", TOP_LEVEL, start=begin, step=step, count=top, pool=pool)
            level = "p.parent_id IS NULL"
            await _timed(conn, phases, "replies", REPLIES.format(level=level), fanout=2, count=replies, pool=pool)
            level = "p.parent_id IS NOT NULL"
            await _timed(conn, phases, "nested", REPLIES.format(level=level), fanout=1, count=nested, pool=pool)
            for _, definition in indexes:
                await _timed(conn, phases, "indexes", definition)
            for name, definition in foreign_keys:
                await _timed(
                    conn, phases, "foreign_keys", f"ALTER TABLE comments ADD CONSTRAINT {quote(name)} {definition}"
                )
            await _timed(conn, phases, "article_counts", CONSISTENT_ARTICLES)
        seeded_s = time.perf_counter() - started
        # VACUUM too, not only ANALYZE: a table that autovacuum has visited (the steady state) allows index-only scans.
        async with engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM ANALYZE articles, comments"))
        async with engine.connect() as conn:
            shape = (
                await conn.execute(
                    text(
                        "SELECT count(*) AS total,"
                        " count(*) FILTER (WHERE article_id = :hot) AS hot,"
                        " count(*) FILTER (WHERE parent_id IS NOT NULL) AS replies,"
                        " count(*) FILTER (WHERE status = 'published') AS published,"
                        " count(*) FILTER (WHERE status = 'pending') AS pending,"
                        " count(DISTINCT email) AS authors,"
                        " max(per_author) AS most_by_one_author,"
                        " pg_total_relation_size('comments') AS bytes"
                        " FROM (SELECT *, count(*) OVER (PARTITION BY email) AS per_author FROM comments) AS c"
                    ),
                    {"hot": HOT},
                )
            ).one()
            drift = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM articles AS a WHERE published_count <> (SELECT count(*) FROM comments"
                        " AS c WHERE c.article_id = a.id AND c.status = 'published')"
                    )
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    assert shape.total == n, f"seeded {shape.total} comments, wanted {n}"
    assert drift == 0, f"{drift} articles have a published_count that does not match their comments"
    return {
        **dict(shape._mapping),
        "seed_s": round(seeded_s, 2),
        "seed_phases_s": phases,
        "vacuum_analyze_s": round(time.perf_counter() - started - seeded_s, 2),
    }


async def deep_cursors(url: str, count: int = 256) -> list[str]:
    """Up to `count` distinct cursors between 85% and 95% of the hot article's published top-level comments: deep
    pages readers rarely reach, each a different request (see DISTINCT_KEYS)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            total = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM comments"
                        " WHERE article_id = :a AND status = 'published' AND parent_id IS NULL"
                    ),
                    {"a": HOT},
                )
            ).scalar_one()
            rows = (
                await conn.execute(
                    text(
                        "SELECT created_at, id FROM comments"
                        " WHERE article_id = :a AND status = 'published' AND parent_id IS NULL"
                        " ORDER BY created_at, id OFFSET :k LIMIT :span"
                    ),
                    {"a": HOT, "k": int(total * 0.85), "span": max(1, int(total * 0.1))},
                )
            ).all()
    finally:
        await engine.dispose()
    chosen = rows[:: max(1, len(rows) // count)][:count]
    return [encode_cursor(row.created_at, row.id) for row in chosen]


async def prepare_once(settings: Settings) -> tuple[str, str]:
    """A registered model (reused from the model folder, trained there once otherwise), a moderator token and a
    console session of that moderator (the cookie the console's queue page wants)."""
    async with opened(settings) as db:
        await register_newest_model(db, settings)
        async with db.write() as conn:
            moderator, token = await create_moderator(conn, f"scale-{time.time_ns()}", role="moderator")
            session_id, _ = await open_session(conn, moderator, lifetime=timedelta(hours=12))
    return token, session_id


# --- measuring -----------------------------------------------------------------------------------------------------


# A service may share one database read among concurrent identical requests (the reader cache's in-flight
# coalescing does, even with REPLYGUARD_READ_CACHE_ENTRIES=0). Under wrk that measures the sharing, not the database
# path, so list_deep and list_any cycle through many distinct requests; list_first and count are one request by
# nature (the report says how many distinct requests each endpoint cycles through).


def endpoints(cursors: list[str]) -> dict[str, list[str]]:
    api = "/api/v1"
    return {
        "list_first": [f"{api}/articles/{HOT}/comments?limit=20"],
        "list_deep": [f"{api}/articles/{HOT}/comments?limit=20&cursor={cursor}" for cursor in cursors],
        "list_any": [f"{api}/articles/article-{a:04d}/comments?limit=20" for a in range(ARTICLES)],
        "queue": [f"{api}/moderation/queue?limit=20"],
        "queue_hot": [f"{api}/moderation/queue?limit=20&article_id={HOT}"],
        # The console's queue page: the same folder as HTML, with its folder counts (capped, so flat in N).
        "console": ["/console"],
        "console_hot": [f"/console?article_id={HOT}"],
        "count": [f"{api}/articles/{HOT}/comments/count"],
    }


def rotation_script(paths: list[str], folder: Path) -> Path:
    """A wrk script that sends `paths` in turn (wrk.format keeps the -H headers)."""
    script = folder / f"rotate-{len(paths)}-{abs(hash(tuple(paths)))}.lua"
    quoted = ",\n".join(json.dumps(path) for path in paths)  # JSON strings of ASCII paths are valid Lua strings
    script.write_text(
        f"local paths = {{\n{quoted}\n}}\nlocal n = 0\n"
        "request = function()\n  n = n + 1\n  return wrk.format(nil, paths[(n % #paths) + 1])\nend\n"
    )
    return script


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sequential(base: str, paths: list[str], headers: dict[str, str], count: int) -> list[float]:
    """One request at a time on one keep-alive connection: the latency of the work itself, no queueing (ms)."""
    samples: list[float] = []
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        for number in range(count):
            path = paths[number % len(paths)]
            began = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
    return samples[count // 10 :]  # the first requests warm caches and prepare statements


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    pid: int,
    headers: tuple[str, ...] = (),
    script: Path | None = None,
) -> dict[str, Any]:
    """bench/run.py's wrk() with a generated script from anywhere (an absolute path replaces its bench/ folder)."""
    return run_wrk(url, seconds=seconds, connections=connections, pid=pid, headers=headers,
                   script=str(script) if script is not None else None)  # fmt: skip


def server_env(url: str, model_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    env.update(
        REPLYGUARD_DATABASE_URL=url,
        REPLYGUARD_MODEL_DIR=str(model_dir),
        # One client address sends everything; otherwise the shipped defaults (access log on, INFO logs).
        REPLYGUARD_RATE_LIMIT_ENABLED="false",
    )
    # Settings refuse unknown REPLYGUARD_* names, so the cache switches are only passed to a service that has them.
    known = {f.name for f in fields(Settings)}
    if "read_cache_entries" in known:
        env["REPLYGUARD_READ_CACHE_ENTRIES"] = "0"
    if "moderation_cache_seconds" in known:  # moderators' tokens, sessions and queue pages read every time
        env["REPLYGUARD_MODERATION_CACHE_SECONDS"] = "0"
    return env


@dataclass
class Target:
    """One size: its database, its server and what to ask it."""

    n: int
    url: str
    env: dict[str, str]
    token: str = ""
    session: str = ""
    paths: dict[str, list[str]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    port: int = 0
    server: subprocess.Popen[bytes] | None = None

    def headers(self, endpoint: str) -> dict[str, str]:
        return moderator_headers(endpoint, self.token, self.session)


def moderator_headers(endpoint: str, token: str, session: str) -> dict[str, str]:
    """The bearer token for the queue API, the session cookie for the console, nothing for readers' endpoints."""
    if endpoint.startswith("queue"):
        return {"Authorization": f"Bearer {token}"}
    if endpoint.startswith("console"):
        return {"Cookie": f"{SESSION_COOKIE}={session}"}
    return {}


def measure(targets: list[Target], args: argparse.Namespace) -> dict[int, dict[str, Any]]:
    """Every endpoint on every size, round after round; sizes take turns so background load falls on all alike."""
    samples: dict[tuple[int, str], list[float]] = {}
    loaded: dict[tuple[int, str], list[dict[str, Any]]] = {}
    names = list(targets[0].paths)
    with tempfile.TemporaryDirectory(prefix="replyguard-scale-") as scratch:
        for round_number in range(args.rounds):
            print(f"bench: round {round_number + 1} of {args.rounds}", file=sys.stderr)
            for name in names:
                for target in targets:
                    assert target.server is not None
                    base = f"http://127.0.0.1:{target.port}"
                    headers = target.headers(name)
                    paths = target.paths[name]
                    key = (target.n, name)
                    samples.setdefault(key, []).extend(
                        sequential(base, paths, headers, SEQUENTIAL_REQUESTS // args.rounds)
                    )
                    run = wrk(
                        base + paths[0],
                        seconds=args.seconds,
                        connections=args.connections,
                        pid=target.server.pid,
                        headers=tuple(f"{k}: {v}" for k, v in headers.items()),
                        script=rotation_script(paths, Path(scratch)) if len(paths) > 1 else None,
                    )
                    loaded.setdefault(key, []).append(run)
    results: dict[int, dict[str, Any]] = {}
    for (n, name), runs in loaded.items():
        best = max(runs, key=lambda run: float(run["requests_per_s"]))  # the round least disturbed by other load
        seq = samples[(n, name)]
        results.setdefault(n, {})[name] = {
            **best,
            "seq_p50_ms": round(_percentile(seq, 0.5), 2),
            "seq_p99_ms": round(_percentile(seq, 0.99), 2),
            "rounds_requests_per_s": [run["requests_per_s"] for run in runs],
        }
    return results


# --- EXPLAIN -------------------------------------------------------------------------------------------------------


@contextmanager
def captured_statements(app: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (with its parameters) the app sends while the block runs."""
    statements: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    db = app.state.db
    engines = {id(e.sync_engine): e.sync_engine for e in (db.writer, db.reader)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


def capture(
    settings: Settings, paths: dict[str, list[str]], token: str, session: str
) -> dict[str, list[tuple[str, Any]]]:
    """The SELECTs each endpoint runs, taken from the app itself (in process) so they are exactly the service's."""
    from litestar.testing import TestClient

    from service.app import create_app

    per_endpoint: dict[str, list[tuple[str, Any]]] = {}
    with TestClient(create_app(settings)) as client:
        for name, variants in paths.items():
            headers = moderator_headers(name, token, session)
            with captured_statements(client.app) as statements:
                assert client.get(variants[len(variants) // 2], headers=headers).status_code == 200
            per_endpoint[name] = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
        # The submit path's reads (article, parent, duplicate check) against the hot article at full size.
        parent = client.get(paths["list_first"][0]).json()["items"][0]["id"]
        with captured_statements(client.app) as statements:
            response = client.post(
                f"/api/v1/articles/{HOT}/comments",
                json={"name": "Scale", "email": "reader0@example.org", "body": BODIES[0], "parent_id": parent},
            )
        if response.status_code in (201, 303):
            per_endpoint["submit_reply"] = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
        else:  # the reads are still worth explaining; say why the submit path is missing
            print(f"bench: the submit for EXPLAIN answered {response.status_code}: skipped", file=sys.stderr)
    return per_endpoint


def _walk(node: dict[str, Any], depth: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
    yield depth, node
    for child in node.get("Plans", []):
        yield from _walk(child, depth + 1)


def summarise(plan: dict[str, Any]) -> dict[str, Any]:
    top = plan["Plan"]
    nodes = list(_walk(top))
    shape = []
    for depth, node in nodes:
        label = node["Node Type"]
        if "Index Name" in node:
            label += f" using {node['Index Name']}"
        if "Relation Name" in node:
            label += f" on {node['Relation Name']}"
        if "Sort Method" in node:
            label += f" ({node['Sort Method']}, {node.get('Sort Space Used', '?')} kB)"
        label += f" rows={node.get('Actual Rows')}x{node.get('Actual Loops')}"
        if node.get("Heap Fetches") is not None:
            label += f" heap_fetches={node['Heap Fetches']}"
        # Whether the keyset bound is an index condition (a seek) or a filter (rows read, then dropped).
        if "Index Cond" in node:
            label += f" cond={node['Index Cond'][:100]}"
        if "Filter" in node:
            label += f" filter={node['Filter'][:80]} removed={node.get('Rows Removed by Filter', 0)}"
        shape.append("  " * depth + label)
    return {
        "execution_ms": plan.get("Execution Time"),
        "planning_ms": plan.get("Planning Time"),
        "shared_hit": top.get("Shared Hit Blocks", 0),
        "shared_read": top.get("Shared Read Blocks", 0),
        "seq_scans": [n.get("Relation Name") for _, n in nodes if n["Node Type"] == "Seq Scan"],
        "sorts": [n.get("Sort Method") for _, n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")],
        "plan": shape,
    }


async def explain(url: str, per_endpoint: dict[str, list[tuple[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    engine = create_async_engine(url)
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            for name, statements in per_endpoint.items():
                for statement, parameters in statements:
                    found = await raw.fetchval(
                        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, *(parameters or ())
                    )
                    plan = (json.loads(found) if isinstance(found, str) else found)[0]
                    first_line = " ".join(statement.split())
                    summary = {"sql": first_line[:160], **summarise(plan)}
                    out.setdefault(name, []).append(summary)
    finally:
        await engine.dispose()
    return out


async def _settings_value(conn: AsyncConnection, name: str) -> str:
    return str((await conn.execute(text(f"SHOW {name}"))).scalar_one())


async def server_facts(url: str) -> dict[str, str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                "version": str((await conn.execute(text("SELECT version()"))).scalar_one()),
                "shared_buffers": await _settings_value(conn, "shared_buffers"),
                "work_mem": await _settings_value(conn, "work_mem"),
            }
    finally:
        await engine.dispose()


# --- the run -------------------------------------------------------------------------------------------------------


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """The given server, or a throwaway cluster from .ci/postgres.sh that is stopped afterwards."""
    if url:
        yield url
        return
    out = subprocess.run(
        ["bash", str(ROOT / ".ci" / "postgres.sh"), "start"], capture_output=True, text=True, check=True, timeout=180
    ).stdout
    exports = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines() if line.startswith("export"))
    try:
        yield exports["REPLYGUARD_TEST_DATABASE_URL"]
    finally:
        subprocess.run(
            ["bash", str(ROOT / ".ci" / "postgres.sh"), "stop", exports["PG_TMPDIR"]], capture_output=True, timeout=120
        )


def sibling(url: str, n: int) -> str:
    return make_url(url).set(database=f"replyguard_scale_{n}").render_as_string(hide_password=False)


async def databases(url: str, sizes: list[int], *, create: bool) -> None:
    """Create (fresh) or drop the per-size databases, from a connection to the given one."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            quote = conn.dialect.identifier_preparer.quote
            for n in sizes:
                name = quote(str(make_url(sibling(url, n)).database))
                await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                if create:
                    await conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        await engine.dispose()


@contextmanager
def servers(targets: list[Target]) -> Iterator[None]:
    """A replyguard server process per size, stopped on the way out."""
    try:
        for target in targets:
            target.port = free_port()
            command = [sys.executable, "-m", "service.cli", "serve", "--port", str(target.port)]
            target.server = start(command, target.env, target.port, "/ready")
        yield
    finally:
        for target in targets:
            if target.server is not None:
                target.server.terminate()
                target.server.wait(timeout=30)


def _fmt(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def report(results: dict[str, Any]) -> str:
    """The markdown of the scale run (printed, and kept in docs/performance.md)."""
    out: list[str] = []
    runs = results["runs"]
    names = list(runs[0]["endpoints"])
    cache = "off" if results["read_cache_disabled"] else "absent (this service has none)"
    if results.get("moderation_cache_disabled"):
        cache += ", moderators' reads not kept"
    out.append(
        f"\n### PostgreSQL, {results['cpus']} CPUs shared by wrk, server and database; reader cache {cache}\n\n"
        f"wrk: {results['connections']} connections, {results['seconds']} s, best of {results['rounds']} rounds; "
        f"seq: {results['sequential_requests']} requests one at a time (first 10% of each round dropped); "
        f"distinct requests cycled per endpoint: {results['distinct_requests']}\n"
    )
    out.append("| endpoint | N | req/s | p50 ms | p99 ms | seq p50 ms | seq p99 ms | errors |")
    out.append("|---|---|---|---|---|---|---|---|")
    for name in names:
        for run in runs:
            row = run["endpoints"][name]
            out.append(
                f"| {name} | {_fmt(run['n'])} | {row['requests_per_s']:.0f} | {row['p50_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['seq_p50_ms']:.1f} | {row['seq_p99_ms']:.1f} | {row['errors']} |"
            )
    if "ratios" in results:
        large, small = _fmt(runs[-1]["n"]), _fmt(runs[0]["n"])
        out.append(
            f"\nRatios {large}/{small} (req/s: {small}/{large}, i.e. how many times fewer requests per second)\n"
        )
        out.append("| endpoint | distinct requests | p50 | p99 | seq p50 | seq p99 | req/s | p50 target |")
        out.append("|---|---|---|---|---|---|---|---|")
        for name in names:
            ratio = results["ratios"][name]
            verdict = "ok" if max(ratio["p50"], ratio["seq_p50"]) <= TARGET_RATIO else "OVER"
            out.append(
                f"| {name} | {results['distinct_requests'][name]} | {ratio['p50']:.2f}x | {ratio['p99']:.2f}x | "
                f"{ratio['seq_p50']:.2f}x | {ratio['seq_p99']:.2f}x | {ratio['throughput_loss']:.2f}x | "
                f"{verdict} (<= {TARGET_RATIO}x) |"
            )
    for run in runs:
        shape = run["data"]
        out.append(
            f"\nN={_fmt(run['n'])}: seeded in {shape['seed_s']} s (+{shape['vacuum_analyze_s']} s VACUUM ANALYZE), "
            f"{shape['bytes'] / 2**20:.0f} MiB with indexes; hot article {shape['hot']}, replies {shape['replies']}, "
            f"published {shape['published']}, pending {shape['pending']}, authors {shape['authors']} "
            f"(the most prolific: {shape['most_by_one_author']}); phases {shape['seed_phases_s']}"
        )
    if results.get("explain"):
        out.append(f"\n### EXPLAIN (ANALYZE, BUFFERS) at N={_fmt(runs[-1]['n'])}\n")
        for name, plans in results["explain"].items():
            for item in plans:
                flags = [f"SEQ SCAN on {relation}" for relation in item["seq_scans"]]
                flags += [f"sort ({method})" for method in item["sorts"]]
                out.append(
                    f"- {name}: {item['execution_ms']:.3f} ms, buffers hit={item['shared_hit']} "
                    f"read={item['shared_read']}{' - ' + '; '.join(flags) if flags else ''}\n  `{item['sql'][:110]}`"
                )
                for line in item["plan"]:
                    out.append(f"      {line}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated comment counts")
    parser.add_argument("--seconds", type=int, default=4, help="wrk duration per endpoint, size and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database-url", help="a PostgreSQL server to use (needs CREATEDB; see above)")
    parser.add_argument("--model-dir", default=str(ROOT / "models"), help="where the default model is (or is trained)")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite the scale block of docs/performance.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is missing (apt-get install wrk)")
    sizes = sorted(int(size) for size in args.sizes.split(","))
    began = time.perf_counter()

    with postgres(args.database_url) as base:
        if not base.startswith("postgresql+asyncpg://"):
            raise SystemExit("bench: --database-url must be postgresql+asyncpg://...")
        asyncio.run(databases(base, sizes, create=True))
        try:
            targets = [
                Target(n=n, url=sibling(base, n), env=server_env(sibling(base, n), Path(args.model_dir))) for n in sizes
            ]
            for target in targets:
                migrations.upgrade(target.url)
                target.token, target.session = asyncio.run(prepare_once(Settings.from_env(target.env)))
                print(f"bench: N={target.n:,}: seeding", file=sys.stderr)
                target.data = asyncio.run(seed(target.url, target.n))
                print(f"bench: N={target.n:,}: seeded in {target.data['seed_s']} s", file=sys.stderr)
                target.paths = endpoints(asyncio.run(deep_cursors(target.url)))
            results: dict[str, Any] = {
                "when": datetime.now(UTC).isoformat(),
                "seconds": args.seconds,
                "rounds": args.rounds,
                "connections": args.connections,
                "sequential_requests": SEQUENTIAL_REQUESTS,
                "distinct_requests": {name: len(paths) for name, paths in targets[-1].paths.items()},
                "read_cache_disabled": "REPLYGUARD_READ_CACHE_ENTRIES" in targets[0].env,
                "moderation_cache_disabled": "REPLYGUARD_MODERATION_CACHE_SECONDS" in targets[0].env,
                "postgres": asyncio.run(server_facts(base)),
                "cpus": os.cpu_count(),
            }
            with servers(targets):
                measured = measure(targets, args)
            results["runs"] = [{"n": t.n, "data": t.data, "endpoints": measured[t.n]} for t in targets]
            if not args.no_explain:
                print("bench: EXPLAIN at the largest size", file=sys.stderr)
                largest = targets[-1]
                try:
                    captured = capture(Settings.from_env(largest.env), largest.paths, largest.token, largest.session)
                    results["explain"] = asyncio.run(explain(largest.url, captured))
                except Exception as exc:  # the plans are a supplement: never lose the measurements over them
                    print(f"bench: EXPLAIN failed: {exc!r}", file=sys.stderr)
                    results["explain_error"] = repr(exc)
        finally:
            asyncio.run(databases(base, sizes, create=False))

    if len(sizes) > 1:
        small, large = results["runs"][0]["endpoints"], results["runs"][-1]["endpoints"]
        results["ratios"] = {
            name: {
                "p50": large[name]["p50_ms"] / small[name]["p50_ms"],
                "p99": large[name]["p99_ms"] / small[name]["p99_ms"],
                "seq_p50": large[name]["seq_p50_ms"] / small[name]["seq_p50_ms"],
                "seq_p99": large[name]["seq_p99_ms"] / small[name]["seq_p99_ms"],
                "throughput_loss": small[name]["requests_per_s"] / large[name]["requests_per_s"],
            }
            for name in small
        }
    results["elapsed_s"] = round(time.perf_counter() - began, 1)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=2, default=str))
    text = report(results)
    print(text)
    print(f"\n(total {results['elapsed_s']} s; bench/results/scale.json)")
    if not args.no_doc:
        replace_block(
            DOC, "scale", f"Run {results['when'][:16].replace('T', ' ')} UTC, `{' '.join(sys.argv)}`.\n{text}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
