"""Isso's SQLite database (the file its `[general] dbpath` names), read for `replyguard import isso`.

Isso keeps threads (`id`, `uri`: the page's path, `title`) and comments (`tid` its thread, `id`, `parent` (NULL at
the top level), `created` (Unix seconds, a float), `mode`, `author`, `email`, `website`, `text`: the Markdown the
reader wrote, `remote_addr`, never read here). `mode` 1 is accepted (published), 2 waits in Isso's moderation queue
(pending), 4 is deleted (a comment with replies stays as a placeholder; rejected here, as "deleted").

The database is opened read-only and read with one cursor per table, row by row: memory does not grow with it.
Article ids come from the thread's path (`/2024/05/talks/` -> `2024-05-talks`); with `base_url` the path is also made
into the article's URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

from service.formats import article_ids
from service.formats.cleaning import clean_email, clean_name, clean_website, text_of_plain
from service.formats.records import MalformedSource, SourceArticle, SourceComment, SourceItem

MODES = {1: ("published", None), 2: ("pending", None), 4: ("rejected", "deleted")}
THREAD_COLUMNS = ("id", "uri", "title")
COMMENT_COLUMNS = ("tid", "id", "parent", "created", "mode", "author", "email", "website", "text")


def read(path: Path, *, base_url: str | None = None) -> Iterator[SourceItem]:
    """Every thread, then every comment by id (a reply's id is above its parent's); MalformedSource for a file that is
    not an Isso database, naming the table and row."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise MalformedSource(str(path), f"cannot be opened as SQLite ({exc})") from exc
    try:
        _check_tables(conn)
        for row in conn.execute("SELECT id, uri, title FROM threads ORDER BY id"):
            yield _thread(row, base_url)
        query = f"SELECT {', '.join(COMMENT_COLUMNS)} FROM comments ORDER BY id"  # noqa: S608 (fixed names)
        for row in conn.execute(query):
            yield _comment(row)
    except sqlite3.DatabaseError as exc:
        raise MalformedSource(str(path), f"is not a readable SQLite database ({exc})") from exc
    finally:
        conn.close()


def _check_tables(conn: sqlite3.Connection) -> None:
    for table, wanted in (("threads", THREAD_COLUMNS), ("comments", COMMENT_COLUMNS)):
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if not columns:
            raise MalformedSource(f"table {table}", "is missing: this is not an Isso database")
        missing = [column for column in wanted if column not in columns]
        if missing:
            raise MalformedSource(f"table {table}", f"has no column {', '.join(missing)}")


def _thread(row: tuple[object, ...], base_url: str | None) -> SourceArticle:
    thread_id, uri, title = row
    if not isinstance(uri, str) or not uri.strip():
        raise MalformedSource(f"threads row id={thread_id}", "has no uri")
    url: str | None = uri if uri.startswith(("http://", "https://")) else None
    if url is None and base_url:
        url = urljoin(base_url.rstrip("/") + "/", uri.lstrip("/"))
    return SourceArticle(
        source_id=str(thread_id),
        article_id=article_ids.from_path(uri),
        title=title.strip() or None if isinstance(title, str) else None,
        url=url,
    )


def _comment(row: tuple[object, ...]) -> SourceComment:
    thread_id, comment_id, parent, created, mode, author, email, website, text = row
    where = f"comments row id={comment_id}"
    if mode not in MODES:
        raise MalformedSource(where, f"mode {mode!r} is not 1 (accepted), 2 (in moderation) or 4 (deleted)")
    if not isinstance(created, int | float):
        raise MalformedSource(where, f"created {created!r} is not a Unix time")
    status, reason = MODES[mode]
    deleted = mode == 4  # a placeholder: Isso dropped the name and text but left the address, which is not kept
    return SourceComment(
        source_id=str(comment_id),
        article_source_id=str(thread_id),
        parent_source_id=None if parent is None else str(parent),
        name=clean_name(author if isinstance(author, str) else None),
        email=None if deleted else clean_email(email if isinstance(email, str) else None),
        website=clean_website(website if isinstance(website, str) else None),
        body=text_of_plain(text if isinstance(text, str) else ""),
        created_at=datetime.fromtimestamp(float(created), UTC),
        status=status,
        reason=reason,
    )
