"""replyguard article ids for what other systems call a post, a thread or a page.

An article id is 1-128 characters of `A-Z a-z 0-9 . _ ~ -` (docs/api.md). A source's own identifier that already is
one is kept as it is (a Disqus identifier such as `post-42`), so the embed can keep naming articles the same way.
Otherwise the id is made from the URL's path (`https://example.org/2024/05/talks/` -> `2024-05-talks`), which is
what a site's page knows about itself; a path too long for an id, or empty (the home page), is named by a hash of it.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote, urlsplit

from service.rules.validation import ARTICLE_ID

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._~-]+")
MAX = 128


def is_article_id(value: str) -> bool:
    return bool(ARTICLE_ID.fullmatch(value))


def from_path(url_or_path: str) -> str:
    """The article id for a page: its path's characters that ids allow, runs of others as one `-`."""
    parts = urlsplit(url_or_path.strip())
    path = unquote(parts.path if parts.scheme or parts.netloc else url_or_path.strip().split("?")[0].split("#")[0])
    slug = _NOT_ALLOWED.sub("-", path).strip("-.")
    if slug and len(slug) <= MAX and is_article_id(slug):
        return slug
    digest = hashlib.sha256(url_or_path.strip().encode()).hexdigest()[:16]
    return f"page-{digest}" if not slug else f"{slug[: MAX - 17].rstrip('-.')}-{digest}"


def from_identifier(identifier: str | None, url: str | None) -> str:
    """A source's identifier when it is a valid article id, else one made from its URL (or the identifier's text)."""
    if identifier and is_article_id(identifier.strip()):
        return identifier.strip()
    return from_path(url or identifier or "")
