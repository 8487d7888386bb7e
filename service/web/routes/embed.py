"""The reader embed: GET /embed.js and the stylesheet it loads into its shadow root, GET /embed.css."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from service.settings import Settings
from service.web.assets import CACHE_CONTROL, CSS, JAVASCRIPT, Asset, make_asset, read_text
from service.web.conditional import not_modified
from service.web.embed_messages import script_locales

# The line of embed.js that carries the server's settings; replaced with the operator's values at start-up.
SERVER_LINE = 'var SERVER = {"honeypotField": "homepage", "bodyMaxChars": 5000};'
# The line that carries the message catalogues (service/web/locales/*.po), written in at start-up.
LOCALES_LINE = "var LOCALES = {};"


@lru_cache(maxsize=8)
def embed_script(honeypot_field: str, body_max_chars: int) -> Asset:
    """embed.js with this service's honeypot field name and body length, so client checks mirror the server's, and
    every message catalogue, so the embed speaks the reader's language without a second request."""
    source = read_text("static", "embed.js")
    if source.count(SERVER_LINE) != 1 or source.count(LOCALES_LINE) != 1:
        raise RuntimeError("service/web/static/embed.js lost its SERVER or LOCALES line")
    values = json.dumps({"honeypotField": honeypot_field, "bodyMaxChars": body_max_chars})
    source = source.replace(SERVER_LINE, f"var SERVER = {values};")
    return make_asset(source.replace(LOCALES_LINE, f"var LOCALES = {script_locales()};"), JAVASCRIPT)


@lru_cache(maxsize=1)
def embed_stylesheet() -> Asset:
    return make_asset(read_text("static", "embed.css"), CSS)


def asset_response(request: Request[Any, Any, Any], asset: Asset) -> Response[Any]:
    """The asset, or a 304 when the client already holds this version. Any site may load it (CORP cross-origin)."""
    headers = {
        "ETag": asset.etag,
        "Cache-Control": CACHE_CONTROL,
        # Sites that isolate themselves (Cross-Origin-Embedder-Policy) may still load the embed from this origin.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if (unchanged := not_modified(request, asset.etag, headers)) is not None:
        return unchanged
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@get("/embed.js", include_in_schema=False, cache=False)
async def embed_js(request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Response[Any]:
    return asset_response(request, embed_script(settings.honeypot_field, settings.body_max_chars))


@get("/embed.css", include_in_schema=False, cache=False)
async def embed_css(request: Request[Any, Any, Any]) -> Response[Any]:
    return asset_response(request, embed_stylesheet())


ROUTES = [embed_js, embed_css]
