"""Files the service serves as they are (the reader embed, its stylesheet, the demo page, the console's script and
stylesheet): read once from the package, with a content-hash ETag.

Each file has a named route (service/web/routes/embed.py, service/web/console/static.py) rather than a folder
router: a folder router answered 500 to a path holding a NUL byte and 404s naming the server's folder, while here a
path nobody named is the plain 404 of an unknown route.
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
