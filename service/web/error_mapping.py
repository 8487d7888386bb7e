"""The one mapping from exceptions to HTTP answers: domain errors, framework errors, database outages, bugs."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from service.errors import RETRY_AFTER_SECONDS, ErrorBody, FieldError, ReplyguardError, error_body

log = logging.getLogger(__name__)


def _json(body: ErrorBody, headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    return Response(body, status_code=body.status_code, headers=headers, media_type=MediaType.JSON)


def domain_error(_: Request[Any, Any, Any], exc: ReplyguardError) -> Response[ErrorBody]:
    return _json(error_body(exc), exc.headers)


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorBody]:
    """Litestar's parameter errors (query, path, headers) in our shape: each names its field."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        FieldError(str(item.get("key") or "request"), str(item.get("message") or "is invalid"))
        for item in extra
        if isinstance(item, dict)
    ]
    return _json(ErrorBody(status_code=400, detail="Invalid request parameters", errors=errors))


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    headers = dict(exc.headers or {})
    return _json(ErrorBody(status_code=exc.status_code, detail=str(exc.detail)), headers)


def unreadable_input(_: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """A decoder's error that escaped service/web/payloads.py (bytes that are not UTF-8, nesting past the recursion
    limit, a value msgspec cannot read): the client's input, so a 400, logged with its traceback to be looked at."""
    log.warning("unreadable input reached the error mapping: %s", type(exc).__name__, exc_info=exc)
    return _json(ErrorBody(status_code=400, detail="The request could not be read"))


def database_unavailable(_: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    if (
        isinstance(exc, DBAPIError)
        and not isinstance(exc, (OperationalError, InterfaceError))
        and not exc.connection_invalidated
    ):
        return internal_error(_, exc)
    log.error("database unavailable: %s", type(exc).__name__)
    body = ErrorBody(status_code=503, detail="The database is unavailable; try again shortly")
    return _json(body, {"Retry-After": RETRY_AFTER_SECONDS})


def internal_error(_: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    log.error("unhandled error", exc_info=exc)
    return _json(ErrorBody(status_code=500, detail="Internal server error"))


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ReplyguardError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    DBAPIError: database_unavailable,
    PoolTimeout: database_unavailable,
    ConnectionError: database_unavailable,
    TimeoutError: database_unavailable,
    msgspec.DecodeError: unreadable_input,
    UnicodeError: unreadable_input,
    RecursionError: unreadable_input,
    Exception: internal_error,
}


def answer_for(request: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    """What EXCEPTION_HANDLERS answers for `exc` (the nearest class in its MRO), for routes that reshape the answer."""
    for kind in type(exc).__mro__:
        handler = EXCEPTION_HANDLERS.get(kind)
        if handler is not None:
            return handler(request, exc)
    return internal_error(request, exc)
