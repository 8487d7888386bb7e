"""Routes for an author's own reply: edit it (PATCH) or delete it (DELETE) with its edit token, within the window."""

from __future__ import annotations

import uuid
from copy import copy
from typing import Annotated, Any

from litestar import Request, delete, patch
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import PathParameter

from service.domain import author_edits
from service.domain.views import EditedComment
from service.errors import EditTokenMissing
from service.rules.validation import check_article_id, validate_edit
from service.settings import Settings
from service.web.callers import client_address
from service.web.openapi import DeleteOperation, edit_operation
from service.web.payloads import header, read_payload
from service.web.runtime import Runtime

ArticleId = Annotated[str, PathParameter(description="The site's id for the article: 1-128 of A-Z a-z 0-9 . _ ~ -")]
CommentId = Annotated[uuid.UUID, PathParameter(description="The reply's id, from the submit answer")]
PATH = "/api/v1/articles/{article_id:str}/comments/{comment_id:uuid}"
TOKEN_MAX = 200  # a token_urlsafe(32) is 43 characters; anything far longer is not one


def _edit_token(request: Request[Any, Any, Any]) -> str:
    """The token from `Authorization: Bearer <token>` (read here, not as a parameter: see payloads.header)."""
    scheme, _, token = (header(request, b"authorization") or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > TOKEN_MAX:
        raise EditTokenMissing("Send the reply's edit token as Authorization: Bearer <edit_token>")
    return token


# Its OpenAPI operation (edit_operation) states the service's own body limit, so routes() sets it per service.
@patch(PATH, summary="Edit your own reply (within the edit window, with its edit token)", responses={})
async def edit(
    request: Request[Any, Any, Any],
    article_id: ArticleId,
    comment_id: CommentId,
    runtime: NamedDependency[Runtime],
) -> EditedComment:
    check_article_id(article_id)
    token = _edit_token(request)
    address = client_address(request)
    # An edit costs what a submission costs (scoring, a write): the same per-address limit.
    await runtime.limiter.check_address(address)
    payload, _ = await read_payload(request, allow_form=False)
    body = validate_edit(payload, body_max_chars=runtime.settings.body_max_chars)
    return await author_edits.edit_reply(
        runtime.replies,
        runtime.scoring,
        article_id=article_id,
        comment_id=comment_id,
        token=token,
        body=body,
        client_address=address,
        spam_runs=runtime.spam_runs,
        relevance=runtime.relevance,
    )


@delete(
    PATH,
    status_code=204,
    summary="Delete your own reply (within the edit window, with its edit token)",
    operation_class=DeleteOperation,
)
async def remove(
    request: Request[Any, Any, Any],
    article_id: ArticleId,
    comment_id: CommentId,
    runtime: NamedDependency[Runtime],
) -> None:
    check_article_id(article_id)
    token = _edit_token(request)
    await author_edits.delete_reply(
        runtime.db,
        article_id=article_id,
        comment_id=comment_id,
        token=token,
        window=runtime.replies.options.edit_window,
    )


def routes(settings: Settings) -> list[HTTPRouteHandler]:
    """The author's routes, the edit's schema stating this service's body limit (REPLYGUARD_BODY_MAX_CHARS)."""
    edit_here = copy(edit)
    edit_here.operation_class = edit_operation(settings.body_max_chars)
    return [edit_here, remove]
