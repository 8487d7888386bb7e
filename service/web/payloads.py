"""Reading request bodies, the one way every route does: JSON or an HTML form, refused with a 4xx when unreadable.

Whatever a client sends is a 400, 408, 413 or 415 here, never a decoder's exception: JSON nested deeper than a route
allows is refused before any decoder sees it (msgspec recurses once per level and raises RecursionError past about
a thousand), and bytes that are not UTF-8 (msgspec raises UnicodeDecodeError for them, not a DecodeError) are a 400.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from service.errors import BadRequest, RequestTimeout, UnsupportedMediaType

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MAX_JSON_DEPTH = 8
# What the JSON text looks like with its strings taken out: escapes first (after that no quote is escaped, so a
# string is plain "..."), then strings, then everything but brackets, with { } written [ ] (depth is the same; a
# mismatched pair is the decoder's to refuse). Each step is one linear pass in C.
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Errors a decoder raises for input it cannot read (UnicodeDecodeError is a ValueError).
UNREADABLE = (msgspec.DecodeError, RecursionError, ValueError)


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


def is_json(kind: str) -> bool:
    return kind == JSON or kind.endswith("+json")


def check_json_nesting(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """BadRequest when JSON text nests arrays and objects more than `max_depth` deep, found without parsing it.

    Each round removes the innermost pairs of brackets; text at most `max_depth` deep is empty after that many
    rounds. Linear passes in C: about a millisecond for 64 KiB of brackets, ~10 µs for an ordinary reply.
    """
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", raw)).translate(_BRACKETS, _NOT_BRACKETS)
    if brackets.count(b"[") <= max_depth:
        return  # the usual case: too few brackets to nest deeper (unbalanced ones are the decoder's to refuse)
    if b"[" * (max_depth + 1) in brackets:
        raise BadRequest(f"The JSON body is nested too deeply (at most {max_depth} levels)")  # openers in a row
    for _ in range(max_depth):
        shorter = brackets.replace(b"[]", b"")
        if not shorter:
            return
        if len(shorter) == len(brackets):
            raise BadRequest("The body is not valid JSON")  # no pair left to take out: unbalanced
        brackets = shorter
    raise BadRequest(f"The JSON body is nested too deeply (at most {max_depth} levels)")


def decode_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of `raw`; BadRequest (400) for anything that is not JSON within `max_depth` levels."""
    check_json_nesting(raw, max_depth=max_depth)
    try:
        return msgspec.json.decode(raw)
    except UNREADABLE as exc:
        raise BadRequest("The body is not valid JSON") from exc


async def read_body(request: Request[Any, Any, Any]) -> bytes:
    """The raw body bytes: 413 past the app's request_max_body_size, RequestTimeout when the client stopped sending.

    Read from the ASGI messages here rather than by `request.body()`, which goes through an async generator and
    builds the dict of every header for the content length: ~5% of the event loop's time on the submit path. The
    same limit as Litestar's (on the bytes received, as Litestar counts them); routes read a body only here, once.
    """
    limit = request.route_handler.resolve_request_max_body_size() or math.inf
    announced = header(request, b"content-length")
    if announced is not None and announced.isdigit() and int(announced) > limit:
        raise RequestEntityTooLarge  # refused before a byte of it is read
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await request.receive()
        if message["type"] != "http.request":
            # A client that disconnected mid-body (or was cut off by the read timeout of
            # service/web/http_protocol.py): it is the client's doing, and nobody is left to answer.
            raise RequestTimeout("The request body did not arrive")
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            raise RequestEntityTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _form_pairs(raw: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, errors="strict")
    except ValueError as exc:  # UnicodeDecodeError included: raw bytes or %-escapes that are not UTF-8
        raise BadRequest("The form body is not valid UTF-8 form data") from exc


async def read_form(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    """An HTML form's fields, each with all its values in order; 415 for another media type, 400 if unreadable."""
    if media_type(request) != FORM:
        raise UnsupportedMediaType(f"Send {FORM}")
    fields: dict[str, list[str]] = {}
    for name, value in _form_pairs(await read_body(request)):
        fields.setdefault(name, []).append(value)
    return fields


async def read_payload(request: Request[Any, Any, Any], *, allow_form: bool) -> tuple[dict[str, Any], bool]:
    """The body as a dict and whether it came from a form; 415 for other media types, 400 for unreadable bodies."""
    kind = media_type(request)
    if kind == FORM and allow_form:
        return dict(_form_pairs(await read_body(request))), True
    if not is_json(kind):
        accepted = f"{JSON} or {FORM}" if allow_form else JSON
        raise UnsupportedMediaType(f"Send {accepted}")
    value = decode_json(await read_body(request))
    if not isinstance(value, dict):
        raise BadRequest("The body must be a JSON object")
    return value, False
