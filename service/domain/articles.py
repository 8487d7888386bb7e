"""Use cases of operators on articles: validate and store an article's status and metadata (one, or a JSON-lines
import), read it back."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from service.errors import FieldError, InvalidInput
from service.rules.validation import ARTICLE_TITLE_MAX, ARTICLE_URL_MAX, check_article_id, is_http_url
from service.storage import articles as article_store
from service.storage.database import Database
from service.storage.tables import ARTICLE_STATUSES, EXCERPT_MAX

# Setting any of these makes the operator the article's describer: the page's data attributes no longer count.
METADATA_FIELDS = ("title", "url", "excerpt")


class ArticleView(msgspec.Struct):
    """An article as operators see it; the excerpt only by its length, to keep answers small."""

    id: str
    status: str
    title: str | None
    url: str | None
    excerpt_chars: int
    metadata_source: str | None
    published_count: int


class ArticleDetail(ArticleView):
    excerpt: str | None


def _text_field(
    payload: Mapping[str, Any], key: str, limit: int, errors: list[FieldError], *, url: bool = False
) -> str | None:
    value = payload[key]
    if value is None:
        return None
    what = "an http or https URL" if url else "a string"
    if not isinstance(value, str) or len(value) > limit or (url and not is_http_url(value)):
        errors.append(FieldError(key, f"must be {what} of at most {limit:,} characters, or null"))
        return None
    return value


def article_fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The columns an operator's payload sets (absent keys are left as they are); InvalidInput names each bad field.

    Setting title, url or excerpt (even to null) marks the metadata as the operator's.
    """
    errors: list[FieldError] = []
    fields: dict[str, Any] = {}
    if "status" in payload:
        if payload["status"] not in ARTICLE_STATUSES:
            errors.append(FieldError("status", f"must be one of {', '.join(ARTICLE_STATUSES)}"))
        else:
            fields["status"] = payload["status"]
    limits = {"title": ARTICLE_TITLE_MAX, "url": ARTICLE_URL_MAX, "excerpt": EXCERPT_MAX}
    for key, limit in limits.items():
        if key in payload:
            before = len(errors)
            value = _text_field(payload, key, limit, errors, url=key == "url")
            if len(errors) == before:
                fields[key] = value
    if errors:
        raise InvalidInput("Invalid article", errors=errors)
    if any(key in fields for key in METADATA_FIELDS):
        fields["metadata_source"] = "operator"
    return fields


async def put_article(conn: AsyncConnection, article_id: str, fields: Mapping[str, Any], *, now: datetime) -> Row[Any]:
    """Create or update the article with `fields` (from article_fields) inside the caller's transaction."""
    check_article_id(article_id)
    return await article_store.upsert_article(conn, article_id, now=now, **fields)


def article_view(row: Row[Any]) -> ArticleView:
    return ArticleView(
        id=row.id,
        status=row.status,
        title=row.title,
        url=row.url,
        excerpt_chars=len(row.excerpt or ""),
        metadata_source=row.metadata_source,
        published_count=row.published_count,
    )


def article_detail(row: Row[Any]) -> ArticleDetail:
    view = article_view(row)
    return ArticleDetail(**msgspec.structs.asdict(view), excerpt=row.excerpt)


IMPORT_KEYS = frozenset({"article_id", "status", *METADATA_FIELDS})
IMPORT_BATCH = 500  # lines per transaction: short write transactions, so replies keep flowing during an import


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int = 0
    updated: int = 0


class BadLine(Exception):
    """A line of an import that is not a valid article; everything before it was imported, nothing from it on."""

    def __init__(self, number: int, errors: list[FieldError], done: ImportCounts) -> None:
        self.number, self.errors, self.done = number, errors, done
        details = "; ".join(f"{error.field}: {error.message}" for error in errors)
        super().__init__(f"line {number}: {details}")


def parse_import_line(line: bytes | str) -> tuple[str, dict[str, Any]]:
    """One JSON line of an import as (article_id, fields to set); InvalidInput naming the bad fields."""
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
    except UnicodeDecodeError as exc:
        raise InvalidInput("Invalid line", errors=[FieldError("line", "is not UTF-8 text")]) from exc
    try:
        item = json.loads(text)
    except ValueError as exc:
        raise InvalidInput("Invalid line", errors=[FieldError("line", f"is not JSON ({exc})")]) from exc
    if not isinstance(item, dict):
        raise InvalidInput("Invalid line", errors=[FieldError("line", "must be a JSON object")])
    unknown = sorted(set(item) - IMPORT_KEYS)
    if unknown:
        allowed = ", ".join(sorted(IMPORT_KEYS))
        raise InvalidInput("Invalid line", errors=[FieldError(key, f"is not one of {allowed}") for key in unknown])
    article_id = item.get("article_id")
    if not isinstance(article_id, str):
        raise InvalidInput("Invalid line", errors=[FieldError("article_id", "is required (a string)")])
    check_article_id(article_id)
    return article_id, article_fields(item)


async def import_articles(db: Database, lines: Iterable[bytes | str], *, batch: int = IMPORT_BATCH) -> ImportCounts:
    """Register each line's article as the operator's, committing every `batch` lines; blank lines are skipped.

    Stops at the first bad line with BadLine, after committing the lines before it. Idempotent: importing the same
    file again leaves the same articles (only updated_at moves), so after fixing a bad line the whole file can be
    imported again.
    """
    created = updated = 0
    pending: list[tuple[str, dict[str, Any]]] = []

    async def write() -> None:
        nonlocal created, updated
        if not pending:
            return
        now = datetime.now(UTC)
        async with db.write() as conn:
            existing = await article_store.existing_articles(conn, [article_id for article_id, _ in pending])
            for article_id, fields in pending:
                await article_store.upsert_article(conn, article_id, now=now, **fields)
                if article_id in existing:
                    updated += 1
                else:
                    created += 1
                    existing.add(article_id)
        pending.clear()

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            pending.append(parse_import_line(line))
        except InvalidInput as exc:
            await write()
            raise BadLine(number, exc.errors, ImportCounts(created=created, updated=updated)) from exc
        if len(pending) >= batch:
            await write()
    await write()
    return ImportCounts(created=created, updated=updated)
