"""Use cases of operators on articles: validate and store an article's status and metadata, read it back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from service import store
from service.errors import FieldError, InvalidInput
from service.models import ARTICLE_STATUSES, EXCERPT_MAX
from service.validation import ARTICLE_TITLE_MAX, ARTICLE_URL_MAX, check_article_id, is_http_url

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
    return await store.upsert_article(conn, article_id, now=now, **fields)


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
