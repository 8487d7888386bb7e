"""Akismet-compatible routes: verify-key, comment-check, submit-spam, submit-ham (form fields in, plain text out)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, post
from litestar.di import NamedDependency

from service.integrations import akismet
from service.integrations.akismet import Answer
from service.integrations.feedback import store_feedback
from service.integrations.keys import ApiKey
from service.integrations.model_scores import score_submission
from service.web.callers import active_api_key
from service.web.openapi import AkismetOperation
from service.web.payloads import read_payload
from service.web.runtime import Runtime


def _plain(answer: Answer) -> Response[str]:
    return Response(answer.body, status_code=answer.status_code, headers=answer.headers, media_type=MediaType.TEXT)


async def _fields(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The form fields (a JSON object is read the same way); values that are not text are ignored."""
    payload, _ = await read_payload(request, allow_form=True)
    return {name: value for name, value in payload.items() if isinstance(value, str)}


async def _admitted(request: Request[Any, Any, Any], runtime: Runtime) -> tuple[dict[str, str], ApiKey] | Answer:
    """The fields of a comment-check / submit-spam / submit-ham request and its key, or Akismet's refusal: an invalid
    key first (counted against the address), then a missing required field."""
    fields = await _fields(request)
    found = await active_api_key(request, runtime, akismet.key_of(fields))
    if found is None:
        return akismet.INVALID_KEY
    return akismet.missing_field(fields) or (fields, found)


@post("/1.1/verify-key", operation_class=AkismetOperation, status_code=200, summary="Akismet: is this key valid?")
async def verify_key(request: Request[Any, Any, Any], runtime: NamedDependency[Runtime]) -> Response[str]:
    fields = await _fields(request)
    found = await active_api_key(request, runtime, akismet.key_of(fields))
    return _plain(akismet.VALID_KEY if found is not None else akismet.INVALID_KEY)


@post("/1.1/comment-check", operation_class=AkismetOperation, status_code=200, summary="Akismet: is this spam?")
async def comment_check(request: Request[Any, Any, Any], runtime: NamedDependency[Runtime]) -> Response[str]:
    """Nothing is stored: a check is not a label (the site's submit-spam / submit-ham are)."""
    admitted = await _admitted(request, runtime)
    if isinstance(admitted, Answer):
        return _plain(admitted)
    comment = akismet.read_comment(admitted[0])
    fixed = akismet.fixed_verdict(comment)
    if fixed is not None:
        return _plain(akismet.fixed_answer(fixed))
    scores, thresholds = await score_submission(runtime.scoring, akismet.submission(comment))
    if scores is None or thresholds is None:
        # No verdict is better than a guess: Akismet clients hold a comment they could not check.
        return _plain(akismet.NO_MODEL)
    return _plain(akismet.check_answer(scores, thresholds))


async def _submit(request: Request[Any, Any, Any], runtime: Runtime, *, spam: bool) -> Response[str]:
    admitted = await _admitted(request, runtime)
    if isinstance(admitted, Answer):
        return _plain(admitted)
    fields, found = admitted
    label = akismet.feedback(akismet.read_comment(fields), spam=spam)
    if label is not None:
        await runtime.db.run_write(lambda conn: store_feedback(conn, label, api_key_id=found.id))
    return _plain(Answer(akismet.THANKS))


@post("/1.1/submit-spam", operation_class=AkismetOperation, status_code=200, summary="Akismet: this was spam")
async def submit_spam(request: Request[Any, Any, Any], runtime: NamedDependency[Runtime]) -> Response[str]:
    return await _submit(request, runtime, spam=True)


@post("/1.1/submit-ham", operation_class=AkismetOperation, status_code=200, summary="Akismet: this was not spam")
async def submit_ham(request: Request[Any, Any, Any], runtime: NamedDependency[Runtime]) -> Response[str]:
    return await _submit(request, runtime, spam=False)


ROUTES = [verify_key, comment_check, submit_spam, submit_ham]
