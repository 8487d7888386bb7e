"""Files the service serves as they are (the reader embed, its stylesheet, the demo page): read once, with an ETag.

The console's files go through Litestar's static files router instead (service/app.py), and neither side can take the
other's: the router serves a folder's files unchanged with an mtime ETag it does not answer with a 304, so it could not
write the operator's settings into embed.js nor give the embed its content-hash revalidation, while moving the console
here would change its answers (ETag, 304s) and drop the router's Last-Modified, Content-Disposition and HEAD.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

JAVASCRIPT = "text/javascript"  # Litestar adds "; charset=utf-8" to text/* types
CSS = "text/css"
HTML = "text/html"
# Short enough that a new release reaches readers within minutes; the ETag makes the revalidation cheap.
CACHE_CONTROL = "public, max-age=300"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def read_text(folder: str, name: str) -> str:
    """A file shipped inside the package (service/web/static, service/web/templates), from a checkout or a wheel."""
    return resources.files("service.web").joinpath(folder, name).read_text(encoding="utf-8")


def make_asset(text: str, media_type: str) -> Asset:
    body = text.encode("utf-8")
    return Asset(body=body, media_type=media_type, etag=f'"{hashlib.sha256(body).hexdigest()[:20]}"')
