"""A response whose body is already rendered, sent with a head built in one pass.

Litestar turns a `Response` into an `ASGIResponse` by adding each header to a header mapping (a scan of the list per
name), then `content-type` and `content-length` with `setdefault` (two more scans), and sends it through its generic
start and body path: about a fifth of the CPU a reader's page served from memory took inside the app (issue 19,
docs/performance.md). `to_asgi_response` is the hook Litestar gives a response class of one's own: this one builds
the raw header list once and sends the two ASGI messages itself. What it does not handle (headers or cookies set on
the route, a background task, a HEAD response, a status without a body) goes Litestar's usual way.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.types import Receive, Scope, Send
from litestar.utils.helpers import get_enum_string_value

NO_BODY = frozenset({204, 304})


class _Encoded:
    """The ASGI app of one answer: a start message with these raw headers, then the whole body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class EncodedResponse(Response[Any]):
    """`Response(content)` for content that is the final text or bytes (nothing is serialised here): the same status,
    headers, `content-type` (text types with their charset, as Litestar writes them) and `content-length`."""

    def to_asgi_response(  # Litestar's keywords, passed on unchanged where not handled
        self, app: Any, request: Request[Any, Any, Any], **options: Any
    ) -> Any:
        status = self.status_code or options.get("status_code") or 200
        passed_on = options.get("headers") or options.get("cookies") or options.get("background")
        if passed_on or self.cookies or self.background or options.get("is_head_response") or status in NO_BODY:
            return super().to_asgi_response(app, request, **options)
        content = self.content
        body = content.encode(self.encoding) if isinstance(content, str) else content
        media_type = get_enum_string_value(self.media_type or options.get("media_type") or "application/json")
        if media_type.startswith("text/"):
            media_type = f"{media_type}; charset={self.encoding}"
        headers = [
            (name.lower().encode("latin-1"), str(value).encode("latin-1")) for name, value in self.headers.items()
        ]
        headers.append((b"content-type", media_type.encode("latin-1")))
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        return _Encoded(status, headers, body)
