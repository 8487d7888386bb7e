"""Reading request bodies: JSON or an HTML form, with clear 400/415 errors instead of framework defaults."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.exceptions import InternalServerException

from service.errors import BadRequest, RequestTimeout, UnsupportedMediaType

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MAX_JSON_DEPTH = 8


def header(request: Request[Any, Any, Any], name: bytes) -> str | None:
    """The first value of one header, by lower-case name (ASGI servers lower-case them), read from the raw list.

    request.headers and header parameters first build a dict of every header: on the submit path, which needs two,
    that was ~6% of the event loop's time under load.
    """
    for key, value in request.scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def media_type(request: Request[Any, Any, Any]) -> str:
    return (header(request, b"content-type") or "").split(";")[0].strip().lower()


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


async def read_body(request: Request[Any, Any, Any]) -> bytes:
    """The raw body bytes (RequestTimeout when the client stopped sending)."""
    try:
        return await request.body()
    except InternalServerException as exc:
        # Litestar reports a client that disconnected mid-body (or was cut off by the read timeout of
        # service/web/http_protocol.py) as a server error; it is the client's, and nobody is left to answer.
        raise RequestTimeout("The request body did not arrive") from exc


async def read_payload(request: Request[Any, Any, Any], *, allow_form: bool) -> tuple[dict[str, Any], bool]:
    """The body as a dict and whether it came from a form; 415 for other media types, 400 for unreadable bodies."""
    kind = media_type(request)
    if kind == FORM and allow_form:
        raw = await read_body(request)
        try:
            text = raw.decode("utf-8")
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest("The form body is not valid UTF-8 form data") from exc
        return dict(pairs), True
    if kind != JSON and not kind.endswith("+json"):
        accepted = f"{JSON} or {FORM}" if allow_form else JSON
        raise UnsupportedMediaType(f"Send {accepted}")
    raw = await read_body(request)
    try:
        value = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise BadRequest("The body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise BadRequest("The body must be a JSON object")
    if _depth(value) > MAX_JSON_DEPTH:
        raise BadRequest("The JSON body is nested too deeply")
    return value, False
