"""Development demo: GET /demo/{article_id}, an article page carrying the reader embed (REPLYGUARD_DEMO_PAGES)."""

from __future__ import annotations

import html
from functools import lru_cache
from string import Template
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from service.rules.validation import check_article_id
from service.settings import Settings
from service.web.assets import CSS, HTML, Asset, make_asset, read_text
from service.web.embed_messages import catalogue
from service.web.routes.embed import asset_response

# The page loads only from this service: the embed, both stylesheets and the API. Shadow-root styles come from
# /embed.css (a stylesheet link), so no 'unsafe-inline' is needed.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


# The no-JavaScript form's words, by template placeholder ($t_title...): the embed's own messages.
FORM_WORDS = {
    "title": "Leave a Reply",
    "note": "Your email address will not be published. Required fields are marked *",
    "name": "Name",
    "email": "Email",
    "website": "Website",
    "comment": "Comment",
    "empty": "Leave this field empty",
    "notify": "Notify me of replies to my comment",
    "post": "Post Comment",
    "pending": "Thank you: your reply is awaiting moderation.",
}


@lru_cache(maxsize=1)
def _page_template() -> Template:
    return Template(read_text("templates", "demo.html"))


@lru_cache(maxsize=1)
def demo_stylesheet() -> Asset:
    return make_asset(read_text("static", "demo.css"), CSS)


def is_demo_page(path: str) -> bool:
    """A path this module serves as a page (the form post's 303 may come back to it)."""
    return path.startswith("/demo/")


@get("/demo/{article_id:str}", include_in_schema=False, cache=False)
async def demo_page(
    request: Request[Any, Any, Any],
    article_id: Annotated[str, PathParameter()],
    settings: NamedDependency[Settings],
    lang: Annotated[str, QueryParameter(max_length=35, description="The page's language (its <html lang>)")] = "en",
) -> Response[str]:
    check_article_id(article_id)
    # The page's language, as a site's article page would have it: the embed reads it, and the no-JavaScript form
    # is rendered from the same catalogue.
    words = catalogue(lang)
    parts = urlsplit(str(request.url))
    # The no-JavaScript form comes back here: the page's own address, without query or fragment.
    page_url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    body = _page_template().substitute(
        article_id=html.escape(article_id),
        honeypot_field=html.escape(settings.honeypot_field),
        return_to=html.escape(page_url),
        lang=html.escape(words.language),
        dir=words.direction,
        **{f"t_{key}": html.escape(words.gettext(message)) for key, message in FORM_WORDS.items()},
    )
    return Response(
        body,
        media_type=HTML,
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"},
    )


@get("/demo.css", include_in_schema=False, cache=False)
async def demo_css(request: Request[Any, Any, Any]) -> Response[Any]:
    return asset_response(request, demo_stylesheet())


ROUTES = [demo_page, demo_css]
