"""Routes for moderators (bearer token): the queue, one item, decisions; and article settings for admins."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Annotated, Any, Literal, TypeVar, cast

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from service.domain import moderation
from service.domain.auth import Moderator, authenticate
from service.domain.views import ItemDetail, QueuePage
from service.errors import FieldError, InvalidInput, Unauthorized
from service.rules.validation import check_article_id
from service.storage.database import Database
from service.storage.tables import STATUSES
from service.web.callers import count_failed_authentication
from service.web.encoded_response import EncodedResponse
from service.web.openapi import DecisionOperation
from service.web.payloads import read_payload
from service.web.runtime import Runtime, runtime_of

T = TypeVar("T")
Status = Literal["pending", "published", "rejected"]
LANGUAGE_PATTERN = "^[a-z]{2}$"  # what classifier/language.py answers: ISO 639-1 codes


async def current_moderator(request: Request[Any, Any, Any], runtime: NamedDependency[Runtime]) -> Moderator:
    """Provided to every moderation route: 401 without a valid token; 429 once an address has failed too often.
    A token found valid moments ago is not looked up again (service/web/moderator_reads.py)."""
    header = request.headers.get("authorization")
    db = runtime.db

    def look_up() -> Awaitable[Moderator]:
        return _counting_failures(request, db.run_read(lambda conn: authenticate(conn, header)))

    return await runtime.moderator_reads.moderator(header, look_up)


async def _counting_failures(request: Request[Any, Any, Any], work: Awaitable[T]) -> T:
    """`work`'s result; a 401 from it is counted against the client's address first (a 429 once it failed too
    often)."""
    try:
        return await work
    except Unauthorized:
        runtime = runtime_of(request)
        await count_failed_authentication(request, runtime)
        raise


def _optional_text(
    payload: dict[str, Any],
    key: str,
    errors: list[FieldError],
    *,
    choices: tuple[str, ...] | None,
    max_length: int = moderation.NOTE_MAX,
) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append(FieldError(key, "must be a string"))
    elif choices is not None and value not in choices:
        errors.append(FieldError(key, f"must be one of {', '.join(choices)}"))
    elif len(value) > max_length:
        errors.append(FieldError(key, f"must be at most {max_length} characters"))
    else:
        return value
    return None


def parse_decision(payload: dict[str, Any]) -> moderation.Decision:
    errors: list[FieldError] = []
    action = payload.get("action")
    if action not in moderation.ACTIONS:
        errors.append(FieldError("action", "must be approve or reject"))
    reason = _optional_text(payload, "reason", errors, choices=moderation.REJECT_REASONS)
    note = _optional_text(payload, "note", errors, choices=None)
    expected = _optional_text(payload, "expected_status", errors, choices=STATUSES)
    if action == "reject" and reason is None and "reason" not in {e.field for e in errors}:
        errors.append(FieldError("reason", "is required to reject: spam, abuse, off_topic or other"))
    if action == "approve" and reason is not None:
        errors.append(FieldError("reason", "is only for reject"))
    if errors:
        raise InvalidInput("Invalid decision", errors=errors)
    return moderation.Decision(action=str(action), reason=reason, note=note, expected_status=expected)


@get("/api/v1/moderation/queue", summary="The review queue, oldest first")
async def review_queue(
    request: Request[Any, Any, Any],
    runtime: NamedDependency[Runtime],
    status: Annotated[Status, QueryParameter()] = "pending",
    article_id: Annotated[str | None, QueryParameter(max_length=128)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    language: Annotated[
        str | None,
        QueryParameter(
            pattern=LANGUAGE_PATTERN, description="Only replies detected in this language (ISO 639-1, such as de)"
        ),
    ] = None,
) -> Response[QueuePage]:
    if article_id is not None:
        check_article_id(article_id)
    reads, db = runtime.moderator_reads, runtime.db
    header = request.headers.get("authorization")

    def read_page(authorize: moderation.Authorize | None = None) -> Awaitable[QueuePage]:
        return moderation.queue(
            db, status=status, article_id=article_id, cursor=cursor, limit=limit, language=language, authorize=authorize
        )

    if not reads.queue_pages.enabled:
        # Nothing is kept (REPLYGUARD_MODERATION_CACHE_SECONDS=0): the token is checked in the queue's own read
        # (moderation.Authorize says why); the answers are the `moderator` dependency's (401, 403, 429).
        page = await _counting_failures(request, read_page(lambda conn: authenticate(conn, header)))
        return _json(msgspec.json.encode(page))
    # Kept for a moment, each looked up by one request for all that ask at once (RecentReads.read).
    (await current_moderator(request, runtime)).require("moderator")

    async def encoded_page() -> bytes:
        return msgspec.json.encode(await read_page())

    return _json(await reads.queue_pages.read((status, article_id, limit, cursor, language), encoded_page))


def _json(body: bytes) -> Response[QueuePage]:
    # Sent as the bytes encoded once; the route's annotation is what the schema documents.
    return cast("Response[QueuePage]", EncodedResponse(body, media_type=MediaType.JSON))


@get("/api/v1/moderation/comments/{comment_id:uuid}", summary="One comment with its full decision history")
async def comment_detail(
    comment_id: Annotated[uuid.UUID, PathParameter()],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
) -> ItemDetail:
    moderator.require("moderator")
    return await moderation.item_detail(db, comment_id)


@post(
    "/api/v1/moderation/comments/{comment_id:uuid}/decision",
    status_code=200,
    operation_class=DecisionOperation,
    summary="Approve or reject a comment",
)
async def decide(
    request: Request[Any, Any, Any],
    comment_id: Annotated[uuid.UUID, PathParameter()],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
) -> ItemDetail:
    moderator.require("moderator")
    payload, _ = await read_payload(request, allow_form=False)
    decision = parse_decision(payload)
    mail = runtime_of(request).replies.options.mail  # set when email is configured
    return await moderation.decide_comment(db, comment_id, decision, moderator=moderator, mail=mail)


ROUTES = [review_queue, comment_detail, decide]
