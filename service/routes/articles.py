"""Routes for operators (admin token): an article's status (open, premoderated, closed), title and URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, put
from litestar.di import NamedDependency
from litestar.params import PathParameter

from service import store
from service.auth import Moderator
from service.database import Database
from service.errors import FieldError, InvalidInput
from service.models import ARTICLE_STATUSES
from service.requests import read_payload
from service.validation import check_article_id


class ArticleView(msgspec.Struct):
    id: str
    status: str
    title: str | None
    url: str | None
    published_count: int


_LIMITS = {"title": 300, "url": 2000}


def _article_fields(payload: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    fields: dict[str, Any] = {}
    if "status" in payload:
        if payload["status"] not in ARTICLE_STATUSES:
            errors.append(FieldError("status", f"must be one of {', '.join(ARTICLE_STATUSES)}"))
        else:
            fields["status"] = payload["status"]
    for key, limit in _LIMITS.items():
        if key in payload:
            value = payload[key]
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                errors.append(FieldError(key, f"must be a string of at most {limit} characters, or null"))
            else:
                fields[key] = value
    if errors:
        raise InvalidInput("Invalid article", errors=errors)
    return fields


@put("/api/v1/articles/{article_id:str}", summary="Set an article's status, title and URL (admin)")
async def put_article(
    request: Request[Any, Any, Any],
    article_id: Annotated[str, PathParameter()],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
) -> ArticleView:
    moderator.require("admin")
    check_article_id(article_id)
    payload, _ = await read_payload(request, allow_form=False)
    fields = _article_fields(payload)
    async with db.write() as conn:
        row = await store.upsert_article(conn, article_id, now=datetime.now(UTC), **fields)
    return ArticleView(id=row.id, status=row.status, title=row.title, url=row.url, published_count=row.published_count)


ROUTES = [put_article]
