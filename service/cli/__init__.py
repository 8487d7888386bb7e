"""The `replyguard` command: serve, migrate, train, evaluate, score, model bootstrap/list/promote/rollback, worker,
moderator and apikey add/revoke, article import, import and export (WordPress, Disqus, Isso, Remark42), privacy,
purge, outbox status/replay, email suppress."""

from __future__ import annotations

import argparse
import logging.config
import sys

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from service.cli import article_import, email, migration, model, model_registry, outbox, retention, server
from service.cli.credentials import API_KEY, MODERATOR
from service.settings import Settings, SettingsError
from service.web.logs import log_config

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="replyguard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    # In this order in `replyguard --help`.
    server.add_commands(commands)
    model.add_commands(commands)
    model_registry.add_commands(commands)
    MODERATOR.add_commands(commands)
    API_KEY.add_commands(commands)
    article_import.add_commands(commands)
    migration.add_commands(commands)
    retention.add_commands(commands)
    outbox.add_commands(commands)
    email.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"replyguard: {exc}", file=sys.stderr)
        return 2
    logging.config.dictConfig(log_config(settings.log_level))
    try:
        return int(args.run(settings, args))
    except SQLAlchemyError as exc:
        # Its message quotes the SQL (and, but for hide_parameters, its values: hashes, emails): only the kind.
        cause = type(exc.orig).__name__ if isinstance(exc, DBAPIError) else type(exc).__name__
        print(f"replyguard: the database refused the command ({cause})", file=sys.stderr)
        return 1
