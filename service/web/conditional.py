"""Conditional GETs: whether a request's If-None-Match names the version about to be sent, and the 304 that says so.

One rule for every cached answer (the reader API, the embed, the demo page's files), as RFC 9110 13.1.2 puts it: the
field is "*" or a list of entity tags, possibly over several header lines; a GET compares them weakly, so W/"x" and "x"
name the same version whichever side is weak, and "*" names any current version.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response

# One list member and the comma after it: "*", an entity tag ([W/]"opaque", whose opaque part may hold a comma), or
# anything else, which names no version.
_MEMBER = re.compile(r'\s*(?:(\*)|((?:W/)?"[^"]*")|[^,]*)\s*(?:,|$)')


def names_version(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match field value names the version whose ETag is `etag` (weak comparison)."""
    ours = etag.removeprefix("W/")
    return any(star or tag.removeprefix("W/") == ours for star, tag in _MEMBER.findall(if_none_match))


def not_modified(request: Request[Any, Any, Any], etag: str, headers: dict[str, str]) -> Response[Any] | None:
    """A 304 with `headers` and no body when the request already holds this version; None when the answer is due."""
    # Every If-None-Match line counts (a list may be split over several), read from the raw headers as ASGI lists them.
    field = ", ".join(
        bytes(value).decode("latin-1") for name, value in request.scope["headers"] if name == b"if-none-match"
    )
    if field and names_version(field, etag):
        return Response(content=None, status_code=304, headers=headers)
    return None
