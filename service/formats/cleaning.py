"""A source's fields made into what replyguard stores: names, emails and websites under the submit path's rules,
bodies from HTML or Markdown to the plain text replyguard stores and renders escaped, times in UTC. Imports keep what
they can rather than refuse a reply for a field a submission would be refused for: a site's history is not lost for
an over-long name."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime
from html.parser import HTMLParser

from service.rules.validation import NAME_MAX, WEBSITE_MAX, is_http_url, normalised_email, without_controls

ANONYMOUS = "Anonymous"
_SPACES = re.compile(r"\s+")


def clean_name(raw: str | None) -> str:
    """Trimmed, one line, no control or invisible characters, at most NAME_MAX characters; "Anonymous" when empty."""
    name = _SPACES.sub(" ", without_controls(unicodedata.normalize("NFC", raw or ""), body=False)).strip()
    return name[:NAME_MAX].strip() or ANONYMOUS


def clean_email(raw: str | None) -> str | None:
    """The validator's normalised address, or None for none or one that is not valid (never kept as given)."""
    if not raw or not raw.strip():
        return None
    return normalised_email(raw)


def clean_website(raw: str | None) -> str | None:
    """An http(s) URL of at most WEBSITE_MAX characters, or None."""
    url = (raw or "").strip()
    return url if url and len(url) <= WEBSITE_MAX and is_http_url(url) else None


def clean_body(text: str) -> str:
    """NFC text without control characters (tabs and newlines kept), trimmed at both ends."""
    return without_controls(unicodedata.normalize("NFC", text), body=True).strip()


class _TextOfHtml(HTMLParser):
    """HTML to the text a reader saw: paragraphs and line breaks as newlines, a link as its text and its address."""

    _BLOCKS = frozenset({"p", "div", "blockquote", "li", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})
    _SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._links: list[tuple[str | None, int]] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCKS:
            self._block_break()
        elif tag == "a":
            self._links.append((dict(attrs).get("href"), len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self._block_break()
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            shown = "".join(self.parts[start:]).strip()
            if href and href.strip() and href.strip() != shown and href.startswith(("http://", "https://")):
                # The address is what a spam label is about: keep it beside the words it hid behind.
                self.parts.append(f" ({href.strip()})" if shown else href.strip())

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)

    def _block_break(self) -> None:
        if self.parts and not "".join(self.parts[-2:]).endswith("\n\n"):
            self.parts.append("\n\n")


_MANY_NEWLINES = re.compile(r"\n{3,}")
_LINE_END_SPACES = re.compile(r"[ \t]+\n")


def text_of_html(markup: str) -> str:
    """The plain text of an HTML fragment (WordPress, Disqus and Remark42 bodies), entities decoded. Text without tags
    keeps its own line breaks and spaces (WordPress stores comments as text with line breaks); with tags, the layout
    comes from them and the source's indentation goes."""
    if "<" not in markup:
        return clean_body(html.unescape(markup))
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    text = _LINE_END_SPACES.sub("\n", "".join(parser.parts))
    return clean_body(_MANY_NEWLINES.sub("\n\n", text))


def text_of_plain(markup: str) -> str:
    """A body that is already text (Isso's Markdown source), entities left as written."""
    return clean_body(markup)


def unescape(value: str | None) -> str | None:
    return None if value is None else html.unescape(value)


def utc(moment: datetime) -> datetime:
    """A time as UTC; a naive one is taken to be UTC already (every format here writes UTC or says its offset)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
