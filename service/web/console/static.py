"""The console's script and stylesheet: GET /console/static/console.js and /console/static/console.css.

Served like the embed (service/web/assets.py): read once from the package, with a content-hash ETag and 304s. Two
named routes rather than a folder router: any other path under /console/static is the plain 404 of an unknown route,
whatever it holds (a NUL byte, `..`, `.`), and no answer names a file or folder of the server.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from litestar import Request, Response, get

from service.web.assets import CSS, JAVASCRIPT, Asset, make_asset, read_text
from service.web.routes.embed import asset_response


@lru_cache(maxsize=2)
def console_asset(name: str, media_type: str) -> Asset:
    return make_asset(read_text("static", f"console/{name}"), media_type)


@get("/console/static/console.js", include_in_schema=False, cache=False)
async def console_js(request: Request[Any, Any, Any]) -> Response[Any]:
    return asset_response(request, console_asset("console.js", JAVASCRIPT))


@get("/console/static/console.css", include_in_schema=False, cache=False)
async def console_css(request: Request[Any, Any, Any]) -> Response[Any]:
    return asset_response(request, console_asset("console.css", CSS))


ROUTES = [console_js, console_css]
