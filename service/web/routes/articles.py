"""Routes for operators (admin token): an article's status (open, premoderated, closed), title, URL and excerpt."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Request, get, put
from litestar.di import NamedDependency
from litestar.params import PathParameter

from service.domain import articles
from service.domain.articles import ArticleDetail, ArticleView
from service.domain.auth import Moderator
from service.errors import NotFound
from service.rules.validation import check_article_id
from service.scoring.relevance import Relevance
from service.storage import articles as article_store
from service.storage.database import Database
from service.web.openapi import ArticleOperation
from service.web.payloads import read_payload


@put(
    "/api/v1/articles/{article_id:str}",
    operation_class=ArticleOperation,
    summary="Register or update an article: status, title, URL, excerpt (admin)",
)
async def put_article(
    request: Request[Any, Any, Any],
    article_id: Annotated[str, PathParameter()],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    relevance: NamedDependency[Relevance],
) -> ArticleView:
    moderator.require("admin")
    check_article_id(article_id)
    payload, _ = await read_payload(request, allow_form=False)
    fields = articles.article_fields(payload)
    async with db.write() as conn:
        row = await articles.put_article(conn, article_id, fields, now=datetime.now(UTC))
    relevance.forget(article_id)  # its title, excerpt or URL may have changed
    return articles.article_view(row)


@get("/api/v1/articles/{article_id:str}", summary="An article's status and metadata, with its excerpt (admin)")
async def get_article(
    article_id: Annotated[str, PathParameter()],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
) -> ArticleDetail:
    moderator.require("admin")
    check_article_id(article_id)
    async with db.read() as conn:
        row = await article_store.get_article(conn, article_id)
    if row is None:
        raise NotFound("No such article")
    return articles.article_detail(row)


ROUTES = [put_article, get_article]
