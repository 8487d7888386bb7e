"""`replyguard import FORMAT FILE` and `replyguard export`: a site's history in from the system it leaves (WordPress,
Disqus, Isso, Remark42, or a replyguard export), and everything it owns out again (docs/migration.md)."""

from __future__ import annotations

import argparse
import gzip
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, cast

from service.cli.jobs import run_on_database
from service.domain import exports, imports
from service.formats import disqus, isso, jsonl, remark42, wxr
from service.formats.records import MalformedSource, SourceItem
from service.settings import Settings
from service.storage import migrations
from service.storage.database import Database

FORMATS = ("wordpress", "disqus", "isso", "remark42", "replyguard")
Reader = Callable[[], Iterable[SourceItem]]


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    importing = commands.add_parser(
        "import",
        help="bring a site's articles and replies in from WordPress (WXR), Disqus (XML), Isso (its SQLite database), "
        "Remark42 (a backup file) or a replyguard export (JSON lines); importing a file again changes nothing",
    )
    importing.add_argument("format", choices=FORMATS)
    importing.add_argument("file", type=Path)
    importing.add_argument("--dry-run", action="store_true", help="read and check the file, say what would happen")
    importing.add_argument(
        "--as-labels",
        action="store_true",
        help="teach the model with the imported moderated history (published and spam replies), marked as imported",
    )
    importing.add_argument(
        "--namespace",
        default="",
        help="tells two files of the same format apart whose ids overlap (two WordPress sites into one replyguard)",
    )
    importing.add_argument(
        "--article-prefix",
        default=wxr.DEFAULT_ARTICLE_PREFIX,
        help=f"WordPress: article ids are this and the post id (default {wxr.DEFAULT_ARTICLE_PREFIX!r}, as the "
        "replyguard plugin names posts)",
    )
    importing.add_argument(
        "--base-url",
        default=None,
        help="Isso: the site's address, to make its threads' paths (/2024/05/talks/) into article URLs",
    )
    importing.set_defaults(run=_import)

    exporting = commands.add_parser(
        "export",
        help="write everything the site owns (articles, replies with their emails, statuses and decisions) to standard "
        "output or --output FILE",
    )
    exporting.add_argument("--format", choices=exports.FORMATS, default="jsonl")
    exporting.add_argument("--output", type=Path, default=None, help="write to this file instead of standard output")
    exporting.add_argument("--article", default=None, help="only this article")
    exporting.add_argument(
        "--site-url", default="https://example.invalid/", help="WXR: the site's address WordPress records"
    )
    exporting.set_defaults(run=_export)


def _reader(args: argparse.Namespace) -> Reader:
    path: Path = args.file
    if args.format == "isso":
        return partial(isso.read, path, base_url=args.base_url)
    if args.format == "wordpress":
        return _streamed(path, partial(wxr.read, article_prefix=args.article_prefix))
    if args.format == "disqus":
        return _streamed(path, disqus.read)
    if args.format == "remark42":
        return _streamed(path, remark42.read)
    return _streamed(path, jsonl.read)


def _streamed(path: Path, read: Callable[[IO[bytes]], Iterator[SourceItem]]) -> Reader:
    """A reader that opens the file anew for each pass (a gzip-compressed one too, as Remark42 writes backups)."""

    def items() -> Iterator[SourceItem]:
        with _opened(path) as stream:
            yield from read(stream)

    return items


@contextmanager
def _opened(path: Path) -> Iterator[IO[bytes]]:
    with path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    stream = cast(IO[bytes], gzip.open(path, "rb") if compressed else path.open("rb"))  # noqa: SIM115
    with stream:
        yield stream


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _import(settings: Settings, args: argparse.Namespace) -> int:
    if not args.file.is_file():
        _say(f"replyguard: cannot read {args.file}: no such file")
        return 2
    migrations.upgrade(settings.database_url)
    source = args.format + (f":{args.namespace}" if args.namespace else "")
    options = imports.ImportOptions(source=source, as_labels=args.as_labels)
    read = _reader(args)
    try:
        report = run_on_database(settings, lambda db: _import_on(db, read, options, dry_run=args.dry_run))
    except MalformedSource as exc:
        _say(f"replyguard: {args.file}: {exc.where}: {exc.reason}")
        _say("nothing was imported")
        return 2
    except (OSError, sqlite3.Error, gzip.BadGzipFile, EOFError) as exc:
        _say(f"replyguard: cannot read {args.file}: {exc}")
        _say("nothing was imported")
        return 2
    for line in report.lines(dry_run=args.dry_run):
        print(line)
    return 0


async def _import_on(
    db: Database, read: Reader, options: imports.ImportOptions, *, dry_run: bool
) -> imports.ImportReport:
    _say("reading the file through once to check it...")
    report = await imports.survey(db, read, options, progress=_counting)
    if dry_run:
        return report
    total = report.articles + report.comments
    progress = imports.ProgressLine(_say, total, what="importing")
    await imports.import_items(db, read, options, report, progress=progress)
    return report


def _counting(report: imports.ImportReport, read: int) -> None:
    if read % 100_000 < imports.BATCH:
        _say(f"checked {read:,} items")


def _export(settings: Settings, args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    try:
        run_on_database(settings, lambda db: _write_export(db, args))
    except exports.UnknownArticle as exc:
        _say(f"replyguard: no article {exc}")
        return 2
    return 0


async def _write_export(db: Database, args: argparse.Namespace) -> None:
    if args.format == "wxr":
        chunks = exports.export_wxr(db, site_url=args.site_url, article_id=args.article)
    else:
        chunks = exports.export_jsonl(db, article_id=args.article)
    # Written beside the target and renamed into place at the end: a failed export leaves no half file behind.
    target: Path | None = args.output
    partial_path = target.with_name(target.name + ".partial") if target else None
    out = partial_path.open("wb") if partial_path else sys.stdout.buffer
    try:
        async for chunk in chunks:
            out.write(chunk)
        out.flush()
    except BaseException:
        if partial_path:
            out.close()
            partial_path.unlink(missing_ok=True)
        raise
    if partial_path and target:
        out.close()
        partial_path.replace(target)
