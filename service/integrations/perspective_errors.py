"""Perspective's (Google APIs') error shape: {"error": {"code", "message", "status", "details"}}.

PerspectiveError (any code)              rendered by the Perspective routes only, never by the domain error mapping
├── invalid_argument() 400 INVALID_ARGUMENT   a request Perspective would refuse; names the field or attribute
├── missing_key() 403 PERMISSION_DENIED       no API key
├── bad_key() 400 INVALID_ARGUMENT            unknown, expired or revoked key (Google: 400, API_KEY_INVALID)
└── from_status(code) UNAVAILABLE, RESOURCE_EXHAUSTED, ...   our own refusals (no model, rate limit, body limits)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR_TYPE = "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    415: "INVALID_ARGUMENT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


@dataclass
class PerspectiveError(Exception):
    code: int
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return STATUS_NAMES.get(self.code, "INTERNAL" if self.code >= 500 else "FAILED_PRECONDITION")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid_argument(
    message: str, *, error_type: str = "INVALID_REQUEST", field_name: str | None = None, **extra: Any
) -> PerspectiveError:
    """A 400 as Perspective words it: its ErrorType enum in a commentanalyzer Error, plus the offending field."""
    details: list[dict[str, Any]] = [{"@type": ERROR_TYPE, "errorType": error_type, **extra}]
    if field_name is not None:
        details.append({"@type": BAD_REQUEST_TYPE, "fieldViolations": [{"field": field_name, "description": message}]})
    return PerspectiveError(400, message, details)


def unknown_attribute(name: str, *, scored: tuple[str, ...], field_prefix: str) -> PerspectiveError:
    # Perspective's own wording first ("Unknown requested attribute: X"), so clients that match on it still do.
    return invalid_argument(
        f"Unknown requested attribute: {name} (this replyguard server scores {', '.join(scored)})",
        field_name=f"{field_prefix}[{name}]",
        attribute=name,
    )


def missing_key() -> PerspectiveError:
    return PerspectiveError(403, "The request is missing a valid API key.")


def bad_key() -> PerspectiveError:
    return PerspectiveError(
        400,
        "API key not valid. Please pass a valid API key.",
        [{"@type": ERROR_INFO_TYPE, "reason": "API_KEY_INVALID", "domain": "replyguard"}],
    )


def from_status(code: int, message: str, headers: dict[str, str] | None = None) -> PerspectiveError:
    return PerspectiveError(code, message, headers=dict(headers or {}))
