"""The `replyguard` command: serve, migrate, train, evaluate, score, model bootstrap, moderator and apikey add/revoke,
article import, privacy, purge."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import logging.config
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from sqlalchemy import select

from classifier import (
    ModelLoadError,
    Scorer,
    Submission,
    compare_models,
    evaluate_model,
    load_scorer,
    train_model,
    write_report,
)
from classifier.relevance import RelevanceUnavailable, load_embedder
from classifier.relevance_shift import Article, RelevanceScorer, relevance_parameters
from service import articles, migrate, privacy
from service.auth import create_moderator, revoke_moderator
from service.bootstrap import BUNDLED_MODELS, bootstrap_model
from service.database import opened
from service.integrations.keys import create_api_key, revoke_api_key
from service.labels import feedback_labels_rows, moderator_labels
from service.logs import log_config
from service.models import model_versions
from service.registry import active_model, ensure_model, register_model
from service.relevance import UNCERTAIN_FLOOR
from service.settings import Settings, SettingsError

log = logging.getLogger("replyguard")


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app
    from service.http_protocol import GuardedHttpProtocol

    settings = settings.with_overrides(host=args.host or settings.host, port=args.port or settings.port)
    migrate.upgrade(settings.database_url)
    if settings.train_if_missing:
        asyncio.run(_with_db(settings, lambda db: ensure_model(db, settings)))
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=log_config(settings.log_level),
        access_log=settings.access_log,
        # X-Forwarded-For is believed only from the operator's own proxies.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        server_header=False,
        http=GuardedHttpProtocol.configured(
            read_timeout=settings.request_read_timeout_seconds, max_header_bytes=settings.max_header_bytes
        ),
        limit_concurrency=settings.max_connections,
    )
    return 0


async def _with_db(settings: Settings, action: Any) -> Any:
    async with opened(settings) as db:
        return await action(db)


def _train(settings: Settings, args: argparse.Namespace) -> int:
    """Train a challenger on the corpora plus the moderators' decisions; promote it only if it is not worse."""
    migrate.upgrade(settings.database_url)
    data_dir = Path(args.data_dir) if args.data_dir else settings.data_dir
    outcome = asyncio.run(_with_db(settings, lambda db: _learn(db, settings, data_dir, args)))
    print(json.dumps(outcome, indent=2, sort_keys=True))
    print(outcome["summary"])
    return 0


async def _learn(db: Any, settings: Settings, data_dir: Path | None, args: argparse.Namespace) -> dict[str, Any]:
    async with db.read() as conn:
        decided = await moderator_labels(conn)
        reported = await feedback_labels_rows(conn)
        champion = await active_model(conn)
    # Moderators first: training keeps the first copy of a text, and a person's decision outranks a client site's.
    labels = decided + reported
    counts = {"moderator_labels": len(decided), "feedback_labels": len(reported)}
    log.info("training a challenger", extra={**counts, "data_dir": str(data_dir)})
    challenger_dir = await asyncio.to_thread(
        train_model, output_root=settings.model_dir, data_dir=data_dir, extra_rows=labels
    )
    outcome: dict[str, Any] = {"challenger": challenger_dir.name, **counts}
    if champion is None:
        promote = True
        outcome["comparison"] = None
    else:
        comparison = await asyncio.to_thread(
            compare_models, Path(champion.path), challenger_dir, data_dir=data_dir, extra_rows=labels
        )
        outcome["comparison"] = comparison
        promote = bool(comparison["challenger_not_worse"]) or args.promote
    if args.dry_run:
        outcome["summary"] = f"dry run: challenger {challenger_dir.name} would {'' if promote else 'not '}be promoted"
        return outcome
    async with db.write() as conn:
        await register_model(conn, challenger_dir, activate=promote)
    verdict = (
        "promoted to the active model"
        if promote
        else f"registered; {champion.version if champion else ''} stays active"
    )
    outcome["summary"] = f"model {challenger_dir.name} {verdict}"
    outcome["promoted"] = promote
    return outcome


async def _model_path(settings: Settings, version: str | None) -> Path:
    async with opened(settings) as db, db.read() as conn:
        if version is None:
            row = await active_model(conn)
        else:
            query = select(model_versions).where(model_versions.c.version == version)
            row = (await conn.execute(query)).first()
    if row is None:
        raise SystemExit(f"replyguard: no model {'is active' if version is None else version + ' is registered'}")
    return Path(row.path)


def _evaluate(settings: Settings, args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir) if args.data_dir else settings.data_dir
    if data_dir is None:
        raise SystemExit("replyguard: evaluate needs the corpora: set REPLYGUARD_DATA_DIR or pass --data-dir")
    model_dir = Path(args.model_dir) if args.model_dir else asyncio.run(_model_path(settings, args.model))
    report = evaluate_model(model_dir, data_dir=data_dir, refits=not args.quick)
    if args.report:
        page = write_report(report, Path(args.report))
        print(f"wrote {page}", file=sys.stderr)
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0


def _relevance_for(scorer: Scorer, settings: Settings) -> RelevanceScorer | None:
    """The model's relevance scorer when the setting, the extra and the card allow it; why not goes to stderr."""
    if settings.relevance == "off":
        return None
    parameters = relevance_parameters(scorer.card)
    if isinstance(parameters, str):
        print(f"replyguard: scoring without relevance: {parameters}", file=sys.stderr)
        return None
    try:
        return RelevanceScorer(scorer, load_embedder(), parameters)
    except (RelevanceUnavailable, ModelLoadError) as exc:
        print(f"replyguard: scoring without relevance: {exc}", file=sys.stderr)
        return None


def _with_relevance(out: dict[str, Any], item: dict[str, Any], relevance: RelevanceScorer, reject: float) -> None:
    """Adjust `out`'s spam score as the service does (same cascade), when the line names its article's title."""
    title = item.get("article_title")
    if not isinstance(title, str) or not title.strip() or not UNCERTAIN_FLOOR <= out["spam_score"] < reject:
        return
    parent = item.get("parent_body")
    url = item.get("article_url")
    site = urlsplit(url).hostname if isinstance(url, str) else None
    excerpt = item.get("article_excerpt")
    article = Article(title=title, excerpt=excerpt if isinstance(excerpt, str) else "", site=site)
    result = relevance.score(
        item["body"], out["spam_score"], article, parent_body=parent if isinstance(parent, str) else ""
    )
    out["relevance"] = {
        "trained_spam_score": out["spam_score"],
        "shift": round(result.shift, 4),
        "similarity_to_title": round(result.similarity_to_title, 4),
        "similarity_reference": result.similarity_reference,
        "link_leaves_site": result.link_leaves_site,
    }
    out["spam_score"] = result.spam_score


def score_lines(scorer: Any, source: TextIO, sink: TextIO, *, relevance: RelevanceScorer | None = None) -> int:
    """Score JSON lines from `source` into `sink`, in order; a bad line gets an `error` line, not a crash.

    With `relevance`, a line carrying `article_title` (and optionally `article_excerpt`, `article_url`,
    `parent_body`) gets the service's relevance-adjusted spam score, with the figures under `relevance`.
    """
    failures = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("body"), str):
                raise ValueError("each line must be a JSON object with a string `body`")
            email = item.get("email")
            domain = email.rsplit("@", 1)[-1].lower() if isinstance(email, str) and "@" in email else None
            scores = scorer.score(
                Submission(
                    body=item["body"],
                    name=str(item.get("name") or ""),
                    website=item.get("website") or None,
                    email_domain=domain,
                    has_parent=bool(item.get("parent_body")),
                )
            )
            out: dict[str, Any] = {
                "spam_score": scores.spam_score,
                "abuse_score": scores.abuse_score,
                "model_version": scores.model_version,
            }
            if relevance is not None:
                _with_relevance(out, item, relevance, scorer.thresholds.spam_reject)
        except (ValueError, TypeError) as exc:
            failures += 1
            out = {"error": f"line {number}: {exc}"}
        sink.write(json.dumps(out) + "\n")
    return 1 if failures else 0


def _score(settings: Settings, args: argparse.Namespace) -> int:
    model_dir = Path(args.model_dir) if args.model_dir else asyncio.run(_model_path(settings, args.model))
    scorer = load_scorer(model_dir)
    return score_lines(scorer, sys.stdin, sys.stdout, relevance=_relevance_for(scorer, settings))


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print("database is at the latest migration")
    return 0


def _model_bootstrap(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print(asyncio.run(bootstrap_model(settings, bundled_root=Path(args.bundled_dir))))
    return 0


def _moderator_add(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)

    async def add(db: Any) -> str:
        async with db.write() as conn:
            expires_in = timedelta(days=args.expires_in_days) if args.expires_in_days else None
            moderator, token = await create_moderator(conn, args.name, role=args.role, expires_in=expires_in)
        print(f"created {moderator.role} {moderator.name} (id {moderator.id}); the token is shown once:")
        return token

    print(asyncio.run(_with_db(settings, add)))
    return 0


def _article_import(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    try:
        # Bytes, decoded line by line: a text stream decodes ahead in chunks, so a bad byte could not be pinned to
        # its line, nor the lines before it kept.
        source = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"replyguard: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        with source:
            counts = asyncio.run(_with_db(settings, lambda db: articles.import_articles(db, source)))
    except articles.BadLine as exc:
        print(f"replyguard: {exc}", file=sys.stderr)
        done = exc.done.created + exc.done.updated
        print(f"nothing from line {exc.number} on was imported; {done} articles before it were", file=sys.stderr)
        return 2
    print(f"imported {counts.created + counts.updated} articles ({counts.created} new, {counts.updated} updated)")
    return 0


def _privacy(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    if args.privacy_command == "export":
        report = asyncio.run(_with_db(settings, lambda db: privacy.export_author(db, args.email, moderator_id=None)))
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        count = asyncio.run(_with_db(settings, lambda db: privacy.erase_author(db, args.email, moderator_id=None)))
        print(f"erased {count} comments")
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    days = (
        args.rejected_older_than_days if args.rejected_older_than_days is not None else settings.retention_rejected_days
    )
    count = asyncio.run(_with_db(settings, lambda db: privacy.purge_rejected(db, older_than=timedelta(days=days))))
    print(f"purged {count} rejected comments older than {days} days")
    return 0


def _moderator_revoke(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)

    async def revoke(db: Any) -> bool:
        async with db.write() as conn:
            return await revoke_moderator(conn, args.name)

    if not asyncio.run(_with_db(settings, revoke)):
        print(f"replyguard: no active moderator named {args.name}", file=sys.stderr)
        return 1
    print(f"revoked {args.name}: the token no longer works")
    return 0


def _apikey_add(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)

    async def add(db: Any) -> str:
        async with db.write() as conn:
            expires_in = timedelta(days=args.expires_in_days) if args.expires_in_days else None
            api_key, key = await create_api_key(conn, args.name, expires_in=expires_in)
        print(f"created API key {api_key.name} (id {api_key.id}) for the Akismet and Perspective APIs; shown once:")
        return key

    print(asyncio.run(_with_db(settings, add)))
    return 0


def _apikey_revoke(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)

    async def revoke(db: Any) -> bool:
        async with db.write() as conn:
            return await revoke_api_key(conn, args.name)

    if not asyncio.run(_with_db(settings, revoke)):
        print(f"replyguard: no active API key named {args.name}", file=sys.stderr)
        return 1
    print(f"revoked API key {args.name}: it no longer works")
    return 0


def _positive_days(text: str) -> float:
    days = float(text)
    if not 0 < days <= 3650:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3650 days")
    return days


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="replyguard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the service (migrates and trains a default model if needed)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=_serve)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    train = commands.add_parser("train", help="train, save and register a model")
    train.add_argument("--data-dir", help="folder of corpora (default: REPLYGUARD_DATA_DIR or ../shared/data)")
    train.add_argument("--promote", action="store_true", help="make the challenger active even if it is worse")
    train.add_argument("--dry-run", action="store_true", help="train and compare, register nothing")
    train.set_defaults(run=_train)
    evaluate = commands.add_parser("evaluate", help="report a model's quality on the corpora")
    evaluate.add_argument("--model", help="a registered version (default: the active one)")
    evaluate.add_argument("--model-dir", help="a model folder, instead of a registered version")
    evaluate.add_argument("--data-dir")
    evaluate.add_argument("--report", help="also write report.json, index.html and plots into this folder")
    evaluate.add_argument("--quick", action="store_true", help="skip the cross-domain refits (most of the time)")
    evaluate.set_defaults(run=_evaluate)
    score = commands.add_parser("score", help="score JSON lines from stdin to stdout")
    score.add_argument("--model", help="a registered version (default: the active one)")
    score.add_argument("--model-dir", help="a model folder, instead of a registered version")
    score.set_defaults(run=_score)
    model = commands.add_parser("model", help="manage the model registry")
    model_commands = model.add_subparsers(dest="model_command", required=True)
    bootstrap = model_commands.add_parser(
        "bootstrap",
        help="at deploy time, when no model is active: register the image's bundled model, or train the default one",
    )
    bootstrap.add_argument("--bundled-dir", default=str(BUNDLED_MODELS), help=f"default: {BUNDLED_MODELS}")
    bootstrap.set_defaults(run=_model_bootstrap)
    moderator = commands.add_parser("moderator", help="manage moderators")
    moderator_commands = moderator.add_subparsers(dest="moderator_command", required=True)
    add = moderator_commands.add_parser("add", help="create a moderator and print its token")
    add.add_argument("name")
    add.add_argument("--role", choices=["moderator", "admin"], default="moderator")
    add.add_argument("--expires-in-days", type=_positive_days, help="the token stops working after this many days")
    add.set_defaults(run=_moderator_add)
    revoke = moderator_commands.add_parser("revoke", help="revoke a moderator's token at once")
    revoke.add_argument("name")
    revoke.set_defaults(run=_moderator_revoke)
    apikey = commands.add_parser("apikey", help="manage keys for the Akismet- and Perspective-compatible APIs")
    apikey_commands = apikey.add_subparsers(dest="apikey_command", required=True)
    apikey_add = apikey_commands.add_parser("add", help="create an API key and print it (shown once)")
    apikey_add.add_argument("name")
    apikey_add.add_argument("--expires-in-days", type=_positive_days, help="the key stops working after this many days")
    apikey_add.set_defaults(run=_apikey_add)
    apikey_revoke = apikey_commands.add_parser("revoke", help="revoke an API key at once")
    apikey_revoke.add_argument("name")
    apikey_revoke.set_defaults(run=_apikey_revoke)
    article = commands.add_parser("article", help="register articles (title, URL, excerpt, status)")
    article_commands = article.add_subparsers(dest="article_command", required=True)
    article_import = article_commands.add_parser(
        "import",
        help="upsert articles from JSON lines {article_id, title, url, excerpt, status} as the operator's; stops at "
        "the first bad line (exit 2) with the lines before it imported",
    )
    article_import.add_argument("file", help="a JSON-lines file, or - for standard input")
    article_import.set_defaults(run=_article_import)
    privacy_parser = commands.add_parser("privacy", help="export or erase what is stored about an email address")
    privacy_commands = privacy_parser.add_subparsers(dest="privacy_command", required=True)
    for name, text in (
        ("export", "print everything stored about EMAIL as JSON"),
        ("erase", "anonymise EMAIL's comments"),
    ):
        privacy_commands.add_parser(name, help=text).add_argument("email")
    privacy_parser.set_defaults(run=_privacy)
    purge = commands.add_parser("purge", help="delete old rejected replies (for a scheduler)")
    purge.add_argument("--rejected-older-than-days", type=int, help="default: REPLYGUARD_RETENTION_REJECTED_DAYS")
    purge.set_defaults(run=_purge)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"replyguard: {exc}", file=sys.stderr)
        return 2
    logging.config.dictConfig(log_config(settings.log_level))
    return int(args.run(settings, args))


if __name__ == "__main__":
    sys.exit(main())
