"""Domain errors: the tree, each with its HTTP status, and the JSON body they become.

service/web/error_mapping.py is the one place that turns these (and framework errors, database outages, bugs) into
HTTP answers.

ReplyguardError                      base; never a 500
├── InvalidInput (422)               field-level problems: errors=[FieldError(field, message)]
│   └── BadRequest (400)             a request that cannot be read at all (malformed JSON, bad cursor)
├── Unauthorized (401)               no or bad moderator token
│   └── EditTokenMissing (401)       an author's edit without its token (code edit_token_missing)
├── Forbidden (403)                  token without the needed role
│   ├── EditTokenRejected (403)      an edit token that is not this reply's (code edit_token_invalid)
│   └── EditWindowClosed (403)       the reply's edit window has passed (code edit_window_closed)
├── ArticleClosed (403)              replies are closed on this article
├── NotFound (404)
├── DeletedByAuthor (410)            the reply was deleted by its author (code deleted)
├── RequestTimeout (408)             the request body did not arrive in time
├── Conflict (409)                   expected_status moved on; Idempotency-Key reused with another payload
├── UnsupportedMediaType (415)
└── Unavailable (503)                the database does not answer; carries Retry-After
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import msgspec

# How long a client is asked to wait (Retry-After) when the database or the model is briefly unavailable: 503s of the
# API, the Akismet and the Perspective routes alike.
RETRY_AFTER_SECONDS = "5"


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """The JSON body of every 4xx/5xx answer."""

    status_code: int
    detail: str
    errors: list[FieldError] = msgspec.field(default_factory=list)
    # A stable name for the few answers a client acts on (the edit routes'); omitted elsewhere.
    code: str = ""


@dataclass
class ReplyguardError(Exception):
    detail: str
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = ""
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


@dataclass
class InvalidInput(ReplyguardError):
    errors: list[FieldError] = field(default_factory=list)
    status_code: ClassVar[int] = 422


@dataclass
class BadRequest(InvalidInput):
    status_code: ClassVar[int] = 400


@dataclass
class Unauthorized(ReplyguardError):
    status_code: ClassVar[int] = 401


@dataclass
class Forbidden(ReplyguardError):
    status_code: ClassVar[int] = 403


@dataclass
class EditTokenMissing(Unauthorized):
    code: ClassVar[str] = "edit_token_missing"


@dataclass
class EditTokenRejected(Forbidden):
    code: ClassVar[str] = "edit_token_invalid"


@dataclass
class EditWindowClosed(Forbidden):
    code: ClassVar[str] = "edit_window_closed"


@dataclass
class DeletedByAuthor(ReplyguardError):
    status_code: ClassVar[int] = 410
    code: ClassVar[str] = "deleted"


@dataclass
class ArticleClosed(ReplyguardError):
    status_code: ClassVar[int] = 403


@dataclass
class NotFound(ReplyguardError):
    status_code: ClassVar[int] = 404


@dataclass
class Conflict(ReplyguardError):
    status_code: ClassVar[int] = 409


@dataclass
class UnsupportedMediaType(ReplyguardError):
    status_code: ClassVar[int] = 415


@dataclass
class RequestTimeout(ReplyguardError):
    """The client went away (or was cut off as too slow) before its request body arrived."""

    status_code: ClassVar[int] = 408


@dataclass
class Unavailable(ReplyguardError):
    status_code: ClassVar[int] = 503


def invalid(field_name: str, message: str) -> InvalidInput:
    """A 422 naming one field."""
    return InvalidInput("Invalid input", errors=[FieldError(field_name, message)])


def error_body(exc: ReplyguardError) -> ErrorBody:
    errors = exc.errors if isinstance(exc, InvalidInput) else []
    return ErrorBody(status_code=exc.status_code, detail=exc.detail, errors=list(errors), code=exc.code)
