"""`replyguard article import FILE|-`: JSON-lines articles upserted as the operator's; a bad line stops it (exit 2)."""

from __future__ import annotations

import argparse
import sys

from service.cli.jobs import run_on_database
from service.domain import articles
from service.settings import Settings
from service.storage import migrations


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    article = commands.add_parser("article", help="register articles (title, URL, excerpt, status)")
    article_commands = article.add_subparsers(dest="article_command", required=True)
    article_import = article_commands.add_parser(
        "import",
        help="upsert articles from JSON lines {article_id, title, url, excerpt, status} as the operator's; stops at "
        "the first bad line (exit 2) with the lines before it imported",
    )
    article_import.add_argument("file", help="a JSON-lines file, or - for standard input")
    article_import.set_defaults(run=_article_import)


def _article_import(settings: Settings, args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    try:
        # Bytes, decoded line by line: a text stream decodes ahead in chunks, so a bad byte could not be pinned to
        # its line, nor the lines before it kept.
        source = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"replyguard: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        with source:
            counts = run_on_database(settings, lambda db: articles.import_articles(db, source))
    except articles.BadLine as exc:
        print(f"replyguard: {exc}", file=sys.stderr)
        done = exc.done.created + exc.done.updated
        print(f"nothing from line {exc.number} on was imported; {done} articles before it were", file=sys.stderr)
        return 2
    print(f"imported {counts.created + counts.updated} articles ({counts.created} new, {counts.updated} updated)")
    return 0
