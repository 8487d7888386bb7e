"""EncodedResponse sends what Litestar's own Response would for the same arguments: status, headers and body, the
security headers of the app's before-send hook included; what it does not handle itself goes Litestar's way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar, MediaType, Response, get
from litestar.datastructures import Cookie, ResponseHeader
from litestar.testing import TestClient

from service.web.encoded_response import EncodedResponse
from service.web.security_headers import add_security_headers

CASES: dict[str, dict[str, Any]] = {
    "json page with validators": {
        "content": b'{"items":[],"total":0}',
        "media_type": MediaType.JSON,
        "headers": {"ETag": 'W/"3-abc"', "Cache-Control": "public, max-age=10"},
    },
    "created, with a location": {
        "content": b'{"id":"x"}',
        "status_code": 201,
        "headers": {"Location": "/api/v1/articles/a/comments/x"},
    },
    "html text with its own content security policy": {
        "content": "<p>Résumé ✓</p>",
        "media_type": MediaType.HTML,
        "headers": {"Content-Security-Policy": "default-src 'self'", "Cache-Control": "no-store"},
    },
    "plain text in another encoding": {"content": "café", "media_type": MediaType.TEXT, "encoding": "latin-1"},
    "no headers, default media type": {"content": b"[]"},
    "not modified (Litestar's path)": {"content": None, "status_code": 304, "headers": {"ETag": '"1"'}},
    "with a cookie (Litestar's path)": {"content": b"{}", "cookies": [Cookie(key="k", value="v")]},
}


def _app(make: Callable[..., Response[Any]], arguments: dict[str, Any], **route: Any) -> Litestar:
    @get("/", **route)
    async def handler() -> Response[Any]:
        return make(**arguments)

    return Litestar([handler], before_send=[add_security_headers])


def _answer(app: Litestar) -> tuple[int, list[tuple[str, str]], bytes]:
    with TestClient(app) as client:
        response = client.get("/")
        return response.status_code, sorted(response.headers.multi_items()), response.content


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_answer_is_litestars_own(case: str) -> None:
    arguments = CASES[case]
    ours = _answer(_app(EncodedResponse, arguments))
    assert ours == _answer(_app(Response, arguments))
    status, headers, body = ours
    assert ("x-content-type-options", "nosniff") in headers  # the app's hook still sees the answer
    if status != 304:
        assert ("content-length", str(len(body))) in headers


def test_headers_set_on_the_route_go_litestars_way_and_are_kept() -> None:
    arguments = {"content": b"{}", "headers": {"ETag": '"2"'}}
    route = {"response_headers": [ResponseHeader(name="X-Route", value="yes")]}
    ours = _answer(_app(EncodedResponse, arguments, **route))
    assert ours == _answer(_app(Response, arguments, **route))
    assert ("x-route", "yes") in ours[1]
