"""Perspective-compatible routes: comments:analyze and comments:suggestscore, key in `?key=` as Google's clients send.

Every refusal here, ours or the framework's, answers in Google's error shape, which Perspective clients parse.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import MediaType, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.types import ExceptionHandlersMap

from classifier import Scores, Submission
from service.errors import RETRY_AFTER_SECONDS, ErrorBody
from service.integrations import perspective
from service.integrations.feedback import store_feedback
from service.integrations.keys import ApiKey
from service.integrations.model_scores import score_submission
from service.integrations.perspective_errors import PerspectiveError, bad_key, from_status, missing_key
from service.web.callers import active_api_key
from service.web.error_mapping import EXCEPTION_HANDLERS, answer_for
from service.web.openapi import AnalyzeOperation, SuggestOperation
from service.web.payloads import read_payload
from service.web.runtime import Runtime

ApiKeyParameter = Annotated[
    str | None, QueryParameter(description="The API key (`replyguard apikey add`), as Perspective clients send it")
]


def google_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Every error of these routes in Google's shape: ours as they are, any other as the service's error mapping
    answers it (status, message and headers such as Retry-After), reworded."""
    if not isinstance(exc, PerspectiveError):
        answer = answer_for(request, exc)
        detail = answer.content.detail if isinstance(answer.content, ErrorBody) else "Internal server error"
        exc = from_status(answer.status_code or 500, detail, dict(answer.headers))
    return Response(exc.body(), status_code=exc.code, headers=exc.headers, media_type=MediaType.JSON)


# Every class the service's mapping knows, not just Exception: Litestar picks a handler by the error's nearest class,
# and the app's own handler for that class would otherwise win over a route's handler for Exception.
GOOGLE_ERRORS: ExceptionHandlersMap = {
    PerspectiveError: google_error,
    **dict.fromkeys(EXCEPTION_HANDLERS, google_error),
}


async def _authorised(request: Request[Any, Any, Any], runtime: Runtime, key: str | None) -> ApiKey:
    # Google's clients also send the key as a header; both are accepted.
    key = key or request.headers.get("x-goog-api-key")
    found = await active_api_key(request, runtime, key)  # past too many failures a 429, reworded by google_error
    if found is None:
        raise missing_key() if not key else bad_key()
    return found


async def _payload(request: Request[Any, Any, Any]) -> dict[str, Any]:
    payload, _ = await read_payload(request, allow_form=False)  # its refusals are reworded by google_error
    return payload


async def _scored(runtime: Runtime, text: str) -> Scores:
    scores, _ = await score_submission(runtime.scoring, Submission(body=text))
    if scores is None:
        raise from_status(503, "The model is not available; try again shortly.", {"Retry-After": RETRY_AFTER_SECONDS})
    return scores


@post(
    "/v1alpha1/comments:analyze",
    operation_class=AnalyzeOperation,
    status_code=200,
    summary="Perspective: score a comment",
    exception_handlers=GOOGLE_ERRORS,
)
async def analyze(
    request: Request[Any, Any, Any], runtime: NamedDependency[Runtime], key: ApiKeyParameter = None
) -> Response[dict[str, Any]]:
    """Stores nothing, whatever doNotStore says."""
    await _authorised(request, runtime, key)
    parsed = perspective.parse_analyze(await _payload(request))
    if not parsed.thresholds:  # every attribute dropped (dropUnsupportedAttributes): nothing to score
        return Response(perspective.analyze_response(parsed, _EMPTY, []))
    summary = await _scored(runtime, parsed.text)
    spans = []
    if parsed.span_annotations:
        bounds = perspective.sentence_spans(parsed.text)
        # Gathered, the sentences are scored as one batch (service/scoring/batcher.py).
        scored = await asyncio.gather(*(_scored(runtime, parsed.text[b:e]) for b, e in bounds))
        spans = [(b, e, scores) for (b, e), scores in zip(bounds, scored, strict=True)]
    return Response(perspective.analyze_response(parsed, summary, spans))


_EMPTY = Scores(spam_score=0.0, abuse_score=0.0, contributions=(), model_version="")


@post(
    "/v1alpha1/comments:suggestscore",
    operation_class=SuggestOperation,
    status_code=200,
    summary="Perspective: suggest a score (a training label)",
    exception_handlers=GOOGLE_ERRORS,
)
async def suggest_score(
    request: Request[Any, Any, Any], runtime: NamedDependency[Runtime], key: ApiKeyParameter = None
) -> Response[dict[str, Any]]:
    """Stores the suggestion as a training label, unless doNotStore is true."""
    found = await _authorised(request, runtime, key)
    parsed = perspective.parse_suggest(await _payload(request))
    label = parsed.feedback
    if label is not None and not parsed.do_not_store:
        await runtime.db.run_write(lambda conn: store_feedback(conn, label, api_key_id=found.id))
    return Response(perspective.suggest_response(parsed))


ROUTES = [analyze, suggest_score]
