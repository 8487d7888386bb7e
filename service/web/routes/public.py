"""Routes for article pages and readers: submit a reply, read a thread, count replies."""

from __future__ import annotations

import hashlib
import uuid
from copy import copy
from functools import lru_cache
from typing import Annotated, Any, Literal, cast
from urllib.parse import urlsplit

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter, QueryParameter

from service.domain import comments
from service.domain.views import (
    CommentCount,
    CommentPage,
    CreatedComment,
    PublicComment,
    public_view,
    shown_to_readers,
)
from service.errors import BadRequest, FieldError, NotFound, Unauthorized
from service.integrations.keys import KEY_PREFIX
from service.rules.validation import check_article_id, validate_submission
from service.settings import Settings
from service.storage.comments import get_comment
from service.web.callers import active_api_key, client_address
from service.web.conditional import not_modified
from service.web.encoded_response import EncodedResponse
from service.web.openapi import IDEMPOTENCY_KEY_MAX, submit_operation
from service.web.payloads import header, read_payload
from service.web.routes.demo import is_demo_page
from service.web.runtime import Runtime, runtime_of

ArticleId = Annotated[str, PathParameter(description="The site's id for the article: 1-128 of A-Z a-z 0-9 . _ ~ -")]
CACHE_CONTROL = "public, max-age=10, stale-while-revalidate=30"


def _return_target(payload: dict[str, Any], request: Request[Any, Any, Any], settings: Settings) -> str | None:
    """Where a plain form post goes back to: only pages on the operator's allowed origins (or the demo pages)."""
    target = payload.get("return_to") or request.headers.get("referer")
    # Only printable ASCII: anything else could split the Location header (CR/LF) or fail to encode in it.
    if not isinstance(target, str) or not target or not all(0x21 <= ord(c) < 0x7F for c in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"}:
        return None
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if origin in settings.allowed_origins:
        return target
    # The service's own demo pages, while they are on: same host as this request (a browser sends the Host it
    # posts to, so a page elsewhere cannot name one), and only under /demo/. The scheme may differ behind a proxy.
    own_host = request.headers.get("host", "").lower()
    if settings.demo_pages and own_host and parts.netloc.lower() == own_host and is_demo_page(parts.path):
        return target
    return None


async def _is_site_caller(request: Request[Any, Any, Any], runtime: Runtime) -> bool:
    """True for a server-to-server submit carrying an active API key (`Authorization: Bearer rgk_...`), as the
    WordPress plugin sends (docs/wordpress.md). Any other Authorization (none, a moderator's token) is a reader's
    submit as before; a `rgk_` key that is not active is a 401 (and a failed authentication), so a misconfigured
    site learns of it instead of being answered as a reader."""
    scheme, _, key = (header(request, b"authorization") or "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key.startswith(KEY_PREFIX):
        return False
    if await active_api_key(request, runtime, key) is None:
        raise Unauthorized("Missing, unknown, expired or revoked API key")
    return True


async def _with_stored_status(runtime: Runtime, created: CreatedComment) -> CreatedComment:
    """The answer with the reply's status as stored now (`rejected` too): the site's own server may know what a
    reader may not. A replayed answer gets the current status as well."""
    async with runtime.db.read() as conn:
        row = await get_comment(conn, created.id)
    return created if row is None else msgspec.structs.replace(created, status=row.status)


# Its OpenAPI operation (submit_operation) states the service's own body limit, so routes() sets it per service.
@post(
    "/api/v1/articles/{article_id:str}/comments",
    status_code=201,
    summary="Submit a reply",
    responses={},
)
async def submit(
    request: Request[Any, Any, Any],
    article_id: ArticleId,
) -> Response[CreatedComment]:
    check_article_id(article_id)
    runtime = runtime_of(request)
    # Read here rather than as a header parameter (see service/web/payloads.header); documented in submit_operation.
    idempotency_key = header(request, b"idempotency-key")
    if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise BadRequest(
            "Invalid request parameters",
            errors=[FieldError(field="idempotency_key", message=f"Expected `str` of length <= {IDEMPOTENCY_KEY_MAX}")],
        )
    settings, limiter = runtime.settings, runtime.limiter
    address = client_address(request)
    await limiter.check_address(address)
    site_caller = await _is_site_caller(request, runtime)
    payload, from_form = await read_payload(request, allow_form=True)
    new = validate_submission(
        payload, body_max_chars=settings.body_max_chars, check_deliverability=settings.email_check_deliverability
    )
    await limiter.check_email(address, new.email)
    submitted = await comments.submit_comment(
        runtime.replies,
        runtime.scoring,
        article_id=article_id,
        new=new,
        client_address=address,
        idempotency_key=idempotency_key or None,
        honeypot_filled=bool(payload.get(settings.honeypot_field)),
        spam_runs=runtime.spam_runs,
        relevance=runtime.relevance,
    )
    created = submitted.comment
    if site_caller:
        created = await _with_stored_status(runtime, created)
    location = f"/api/v1/articles/{article_id}/comments/{created.id}"
    target = _return_target(payload, request, settings) if from_form else None
    if target is not None:
        fragment = f"#comment-{created.id}" if created.status == "published" else "#reply-pending"
        return Response(created, status_code=303, headers={"Location": target.split("#")[0] + fragment})
    # The answer encoded here and sent as bytes (service/web/encoded_response.py); the annotation is what the schema
    # documents.
    answer = EncodedResponse(msgspec.json.encode(created), status_code=201, headers={"Location": location})
    return cast("Response[CreatedComment]", answer)


# Readers ask for the same few pages over and over: a hash per request was ~2% of a cached page's CPU.
@lru_cache(maxsize=4096)
def _etag(revision: int, *parts: object) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
    return f'W/"{revision}-{digest}"'


@get("/api/v1/articles/{article_id:str}/comments", summary="Published replies, threaded and paginated")
async def list_comments(
    request: Request[Any, Any, Any],
    article_id: ArticleId,
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    order: Annotated[Literal["oldest", "newest"], QueryParameter()] = "oldest",
) -> Response[CommentPage]:
    check_article_id(article_id)
    runtime = runtime_of(request)
    db, reader_cache = runtime.db, runtime.reader_cache
    snapshot = await reader_cache.snapshot(article_id, lambda: comments.article_snapshot(db, article_id))
    etag = _etag(snapshot.revision, article_id, limit, cursor, order)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if (unchanged := not_modified(request, etag, headers)) is not None:
        return unchanged

    async def render() -> bytes:
        page = await comments.list_thread(
            db,
            article_id,
            total=snapshot.published_count,
            max_depth=runtime.settings.max_thread_depth,
            limit=limit,
            cursor=cursor,
            newest_first=order == "newest",
        )
        return msgspec.json.encode(page)

    body = await reader_cache.page((article_id, limit, cursor, order), snapshot.revision, render)
    # The page goes out as the bytes rendered once; the annotation above is what the schema documents.
    return cast("Response[CommentPage]", EncodedResponse(body, media_type=MediaType.JSON, headers=headers))


@get("/api/v1/articles/{article_id:str}/comments/count", summary="How many replies are published")
async def count_comments(request: Request[Any, Any, Any], article_id: ArticleId) -> Response[CommentCount]:
    check_article_id(article_id)
    runtime = runtime_of(request)
    db = runtime.db
    snapshot = await runtime.reader_cache.snapshot(article_id, lambda: comments.article_snapshot(db, article_id))
    etag = _etag(snapshot.published_count, article_id, "count")
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if (unchanged := not_modified(request, etag, headers)) is not None:
        return unchanged
    body = msgspec.json.encode(CommentCount(count=snapshot.published_count))
    return cast("Response[CommentCount]", EncodedResponse(body, media_type=MediaType.JSON, headers=headers))


@get("/api/v1/articles/{article_id:str}/comments/{comment_id:uuid}", summary="One published reply")
async def get_published(
    article_id: ArticleId, comment_id: Annotated[uuid.UUID, PathParameter()], runtime: NamedDependency[Runtime]
) -> PublicComment:
    """A reply of this article that readers see; anything else (pending, rejected, under a comment taken down,
    deleted by its author, unknown) is a 404."""
    check_article_id(article_id)
    async with runtime.db.read() as conn:
        row = await get_comment(conn, comment_id)
    if row is None or row.article_id != article_id or not shown_to_readers(row) or row.deleted_at is not None:
        raise NotFound("No such published comment")
    return public_view(row)


def routes(settings: Settings) -> list[HTTPRouteHandler]:
    """The reader routes, the submit route's schema stating this service's body limit (REPLYGUARD_BODY_MAX_CHARS)."""
    submit_here = copy(submit)
    submit_here.operation_class = submit_operation(settings.body_max_chars)
    return [submit_here, list_comments, count_comments, get_published]
