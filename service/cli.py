"""The `replyguard` command: serve, migrate, train, evaluate, score, moderator add."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import logging.config
import sys
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select

from classifier import Submission, evaluate_model, load_scorer, train_model
from service import migrate
from service.auth import create_moderator
from service.database import connect
from service.logs import log_config
from service.models import model_versions
from service.registry import active_model, ensure_model, register_model
from service.settings import Settings, SettingsError

log = logging.getLogger("replyguard")


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app

    settings = settings.with_overrides(host=args.host or settings.host, port=args.port or settings.port)
    migrate.upgrade(settings.database_url)
    if settings.train_if_missing:
        asyncio.run(_with_db(settings, lambda db: ensure_model(db, settings)))
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=log_config(settings.log_level),
        # X-Forwarded-For is believed only from the operator's own proxies.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        server_header=False,
    )
    return 0


async def _with_db(settings: Settings, action: Any) -> Any:
    db = connect(settings)
    try:
        return await action(db)
    finally:
        await db.dispose()


def _train(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    data_dir = Path(args.data_dir) if args.data_dir else settings.data_dir
    model_dir = train_model(output_root=settings.model_dir, data_dir=data_dir)

    async def register(db: Any) -> str:
        async with db.write() as conn:
            return await register_model(conn, model_dir, activate=not args.no_activate)

    version = asyncio.run(_with_db(settings, register))
    print(f"trained and registered model {version} in {model_dir}")
    return 0


async def _model_path(settings: Settings, version: str | None) -> Path:
    db = connect(settings)
    try:
        async with db.read() as conn:
            if version is None:
                row = await active_model(conn)
            else:
                query = select(model_versions).where(model_versions.c.version == version)
                row = (await conn.execute(query)).first()
    finally:
        await db.dispose()
    if row is None:
        raise SystemExit(f"replyguard: no model {'is active' if version is None else version + ' is registered'}")
    return Path(row.path)


def _evaluate(settings: Settings, args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir) if args.data_dir else settings.data_dir
    if data_dir is None:
        raise SystemExit("replyguard: evaluate needs the corpora: set REPLYGUARD_DATA_DIR or pass --data-dir")
    model_dir = Path(args.model_dir) if args.model_dir else asyncio.run(_model_path(settings, args.model))
    print(json.dumps(evaluate_model(model_dir, data_dir=data_dir), indent=2, sort_keys=True))
    return 0


def score_lines(scorer: Any, source: TextIO, sink: TextIO) -> int:
    """Score JSON lines from `source` into `sink`, in order; a bad line gets an `error` line, not a crash."""
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
        except (ValueError, TypeError) as exc:
            failures += 1
            out = {"error": f"line {number}: {exc}"}
        sink.write(json.dumps(out) + "\n")
    return 1 if failures else 0


def _score(settings: Settings, args: argparse.Namespace) -> int:
    model_dir = Path(args.model_dir) if args.model_dir else asyncio.run(_model_path(settings, args.model))
    return score_lines(load_scorer(model_dir), sys.stdin, sys.stdout)


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print("database is at the latest migration")
    return 0


def _moderator_add(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)

    async def add(db: Any) -> str:
        async with db.write() as conn:
            moderator, token = await create_moderator(conn, args.name, role=args.role)
        print(f"created {moderator.role} {moderator.name} (id {moderator.id}); the token is shown once:")
        return token

    print(asyncio.run(_with_db(settings, add)))
    return 0


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
    train.add_argument("--no-activate", action="store_true", help="register without making it the active model")
    train.set_defaults(run=_train)
    evaluate = commands.add_parser("evaluate", help="report a model's quality on the corpora")
    evaluate.add_argument("--model", help="a registered version (default: the active one)")
    evaluate.add_argument("--model-dir", help="a model folder, instead of a registered version")
    evaluate.add_argument("--data-dir")
    evaluate.set_defaults(run=_evaluate)
    score = commands.add_parser("score", help="score JSON lines from stdin to stdout")
    score.add_argument("--model", help="a registered version (default: the active one)")
    score.add_argument("--model-dir", help="a model folder, instead of a registered version")
    score.set_defaults(run=_score)
    moderator = commands.add_parser("moderator", help="manage moderators")
    moderator_commands = moderator.add_subparsers(dest="moderator_command", required=True)
    add = moderator_commands.add_parser("add", help="create a moderator and print its token")
    add.add_argument("name")
    add.add_argument("--role", choices=["moderator", "admin"], default="moderator")
    add.set_defaults(run=_moderator_add)
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
