"""WordPress eXtended RSS (WXR), the file of WordPress's Tools > Export: read for `replyguard import wordpress`,
written by `replyguard export --format wxr`.

Read: each `<item>` is a post or page with its `<wp:comment>` elements inside it. WXR 1.0, 1.1 and 1.2 differ only in
the `wp:` namespace's URI (`http://wordpress.org/export/1.N/`), so elements are matched by that prefix. The file is
read as a stream (`iterparse`), each item dropped once read: memory does not grow with the file.
- article id: the `article_prefix` (default `wp-`, what the replyguard plugin for WordPress names posts) and the post
  id; title, permalink (`<link>`), and `wp:comment_status` `closed` as a closed article;
- a comment: `wp:comment_approved` `1` published, `0` pending, `spam` rejected (spam), `trash` and `post-trashed`
  rejected (deleted); pingbacks and trackbacks are not replies and are skipped (counted); `wp:comment_parent` `0` is
  the top level; `wp:comment_date_gmt` is UTC (`wp:comment_date`, the site's local time, only when the GMT one is
  missing or zero); `wp:comment_author_IP` is never read.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from service.formats import article_ids, xml_stream
from service.formats.cleaning import clean_email, clean_name, clean_website, text_of_html
from service.formats.records import MalformedSource, SourceArticle, SourceComment, SourceItem, SourceSkipped

WP_NAMESPACE_PREFIX = "{http://wordpress.org/export/"
DEFAULT_ARTICLE_PREFIX = "wp-"
STATUSES = {
    "1": ("published", None),
    "approve": ("published", None),
    "0": ("pending", None),
    "hold": ("pending", None),
    "spam": ("rejected", "spam"),
    "trash": ("rejected", "deleted"),
    "post-trashed": ("rejected", "deleted"),
}
# Readers' comments (WordPress 5.5+ writes "comment", older versions ""), and WooCommerce's product reviews. Pingbacks,
# trackbacks and plugins' own records (order notes, action logs) are not replies: skipped and counted.
IMPORTED_TYPES = frozenset({"", "comment", "review"})
ARTICLE_TYPES = frozenset({"post", "page"})  # registered as articles even without comments
_NO_DATE = "0000-00-00 00:00:00"
GENERATOR = "replyguard"
# Where the replyguard plugin for WordPress keeps a comment's id in replyguard (deploy/wordpress, META_ID).
PLUGIN_ID_KEY = "replyguard_id"


@lru_cache(maxsize=1024)
def _local(tag: str) -> tuple[str, str]:
    """("wp", name) for the wp: namespace of any WXR version, else (namespace URI or "", name). A file uses a few
    dozen tags, millions of times: cached."""
    if tag.startswith("{"):
        uri, _, name = tag[1:].partition("}")
        return ("wp" if tag.startswith(WP_NAMESPACE_PREFIX) else uri), name
    return "", tag


def _wp_fields(element: Element) -> dict[str, str | None]:
    """The element's wp: children by name, in one pass (the first of a name wins)."""
    fields: dict[str, str | None] = {}
    for child in element:
        space, name = _local(child.tag)
        if space == "wp" and name not in fields:
            fields[name] = child.text
    return fields


def _plain(element: Element, name: str) -> str | None:
    for child in element:
        if child.tag == name:
            return child.text
    return None


def _id_in_link(link: str | None) -> str:
    found = parse_qs(urlsplit((link or "").strip()).query).get("p", [""])[0]
    return found if found.isdigit() else ""


def _time(value: str | None, fallback: str | None, where: str) -> datetime:
    for candidate in (value, fallback):
        if candidate and candidate.strip() and candidate.strip() != _NO_DATE:
            try:
                if len(candidate.strip()) != len("YYYY-MM-DD HH:MM:SS"):
                    raise ValueError(candidate)
                return datetime.fromisoformat(candidate.strip()).replace(tzinfo=UTC)
            except ValueError as exc:
                raise MalformedSource(where, f"date {candidate.strip()!r} is not YYYY-MM-DD HH:MM:SS") from exc
    raise MalformedSource(where, "has no date")


def read(stream: IO[bytes], *, article_prefix: str = DEFAULT_ARTICLE_PREFIX) -> Iterator[SourceItem]:
    """The posts that have comments, and their comments, in file order; MalformedSource names the item and line."""
    items = 0
    ours = False  # a file replyguard wrote names each article by its id in wp:post_name
    for _event, element in xml_stream.elements(stream):
        if element.tag == "generator":
            ours = (element.text or "").strip() == GENERATOR
        if element.tag != "item":
            continue
        items += 1
        yield from _item(element, items, article_prefix, ours=ours)
        element.clear()  # the item is read: keep memory flat


def _item(item: Element, number: int, prefix: str, *, ours: bool) -> Iterator[SourceItem]:
    comments = [child for child in item if _local(child.tag) == ("wp", "comment")]
    fields = _wp_fields(item)
    if not comments and (fields.get("post_type") or "").strip() not in ARTICLE_TYPES:
        return  # attachments, menu items, templates...: no one replies to them
    # Every WordPress export has wp:post_id; trimmed files may carry the id only in a ?p=N link or guid.
    post_id = (
        (fields.get("post_id") or "").strip() or _id_in_link(_plain(item, "link")) or _id_in_link(_plain(item, "guid"))
    )
    where = f"item {number} (<wp:post_id>{post_id}</wp:post_id>)"
    if not post_id:
        raise MalformedSource(f"item {number}", "has no <wp:post_id>")
    slug = (fields.get("post_name") or "").strip()
    named = slug if ours and article_ids.is_article_id(slug) else f"{prefix}{post_id}"
    article_id = article_ids.from_identifier(named, _plain(item, "link"))
    link = (_plain(item, "link") or "").strip() or None
    title = (_plain(item, "title") or "").strip() or None
    yield SourceArticle(
        source_id=post_id,
        article_id=article_id,
        title=title,
        url=link if link and link.startswith(("http://", "https://")) else None,
        closed=(fields.get("comment_status") or "").strip() == "closed",
    )
    for comment in comments:
        yield _comment(comment, post_id, where)


def _comment(comment: Element, post_id: str, where: str) -> SourceComment | SourceSkipped:
    fields = _wp_fields(comment)
    comment_id = (fields.get("comment_id") or "").strip()
    here = f"{where}, comment {comment_id or '?'}"
    if not comment_id:
        raise MalformedSource(here, "has no <wp:comment_id>")
    kind = (fields.get("comment_type") or "").strip() or "comment"
    if kind not in IMPORTED_TYPES:
        return SourceSkipped(f"{kind} (not a reader's reply)")
    # A status a plugin invented waits for a person rather than being published or lost.
    status, reason = STATUSES.get((fields.get("comment_approved") or "").strip(), ("pending", None))
    parent = (fields.get("comment_parent") or "0").strip()
    return SourceComment(
        source_id=comment_id,
        article_source_id=post_id,
        parent_source_id=None if parent in {"", "0"} else parent,
        # WordPress writes the name HTML-escaped ("&laquo;", "&#039;"), CDATA or not.
        name=clean_name(html.unescape(fields.get("comment_author") or "")),
        email=clean_email(fields.get("comment_author_email")),
        website=clean_website(fields.get("comment_author_url")),
        body=text_of_html(fields.get("comment_content") or ""),
        created_at=_time(fields.get("comment_date_gmt"), fields.get("comment_date"), here),
        status=status,
        reason=reason,
        replyguard_id=_meta(comment, PLUGIN_ID_KEY),
    )


def _meta(comment: Element, key: str) -> str | None:
    """The value of the comment's <wp:commentmeta> named `key`, if any."""
    for child in comment:
        if _local(child.tag) == ("wp", "commentmeta"):
            meta = _wp_fields(child)
            if (meta.get("meta_key") or "").strip() == key:
                return (meta.get("meta_value") or "").strip() or None
    return None


# Writing -------------------------------------------------------------------------------------------------------------

WXR_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<!-- Written by replyguard export: import it in WordPress with Tools > Import > WordPress. -->
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
	<title>replyguard export</title>
	<link>{site}</link>
	<description></description>
	<pubDate>{date}</pubDate>
	<language>en</language>
	<generator>{generator}</generator>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>{site}</wp:base_site_url>
	<wp:base_blog_url>{site}</wp:base_blog_url>
"""
WXR_TAIL = "</channel>\n</rss>\n"
# replyguard's status, and a rejection's reason, as WordPress's comment_approved.
APPROVED = {"published": "1", "pending": "0", "rejected": "trash"}


def cdata(text: str | None) -> str:
    """Text as CDATA; `]]>` split across two sections, as WordPress's exporter does."""
    return "<![CDATA[" + (text or "").replace("]]>", "]]]]><![CDATA[>") + "]]>"


def head(site_url: str, exported_at: datetime) -> str:
    return WXR_HEAD.format(
        generator=GENERATOR, site=escape(site_url), date=exported_at.strftime("%a, %d %b %Y %H:%M:%S +0000")
    )


def item_open(post_number: int, article: Any, site_url: str) -> str:
    """An article as a WordPress post: its id in `wp:post_name`, so a re-import by replyguard finds it again."""
    created = _wp_date(article.created_at)
    link = article.url or f"{site_url.rstrip('/')}/?p={post_number}"
    return (
        "\t<item>\n"
        # CDATA, not entities: the importer's fallback (regex) parser does not decode entities outside CDATA.
        f"\t\t<title>{cdata(article.title or article.id)}</title>\n"
        f"\t\t<link>{escape(link)}</link>\n"
        f'\t\t<guid isPermaLink="false">{escape(link)}</guid>\n'
        "\t\t<description></description>\n"
        "\t\t<content:encoded><![CDATA[]]></content:encoded>\n"
        "\t\t<excerpt:encoded><![CDATA[]]></excerpt:encoded>\n"
        f"\t\t<wp:post_id>{post_number}</wp:post_id>\n"
        f"\t\t<wp:post_date>{cdata(created)}</wp:post_date>\n"
        f"\t\t<wp:post_date_gmt>{cdata(created)}</wp:post_date_gmt>\n"
        f"\t\t<wp:comment_status>{cdata('closed' if article.status == 'closed' else 'open')}</wp:comment_status>\n"
        "\t\t<wp:ping_status><![CDATA[closed]]></wp:ping_status>\n"
        f"\t\t<wp:post_name>{cdata(article.id)}</wp:post_name>\n"
        "\t\t<wp:status><![CDATA[publish]]></wp:status>\n"
        "\t\t<wp:post_parent>0</wp:post_parent>\n"
        "\t\t<wp:menu_order>0</wp:menu_order>\n"
        "\t\t<wp:post_type><![CDATA[post]]></wp:post_type>\n"
        "\t\t<wp:post_password><![CDATA[]]></wp:post_password>\n"
        "\t\t<wp:is_sticky>0</wp:is_sticky>\n"
    )


ITEM_CLOSE = "\t</item>\n"


def comment(number: int, parent_number: int, row: Any, reason: str | None) -> str:
    approved = "spam" if row.status == "rejected" and reason == "spam" else APPROVED[row.status]
    date = _wp_date(row.created_at)
    return (
        "\t\t<wp:comment>\n"
        f"\t\t\t<wp:comment_id>{number}</wp:comment_id>\n"
        f"\t\t\t<wp:comment_author>{cdata(escape(row.name))}</wp:comment_author>\n"
        f"\t\t\t<wp:comment_author_email>{cdata(row.email)}</wp:comment_author_email>\n"
        f"\t\t\t<wp:comment_author_url>{cdata(row.website)}</wp:comment_author_url>\n"
        "\t\t\t<wp:comment_author_IP><![CDATA[]]></wp:comment_author_IP>\n"
        f"\t\t\t<wp:comment_date>{cdata(date)}</wp:comment_date>\n"
        f"\t\t\t<wp:comment_date_gmt>{cdata(date)}</wp:comment_date_gmt>\n"
        f"\t\t\t<wp:comment_content>{cdata(xml_text(row.body))}</wp:comment_content>\n"
        f"\t\t\t<wp:comment_approved>{cdata(approved)}</wp:comment_approved>\n"
        "\t\t\t<wp:comment_type><![CDATA[comment]]></wp:comment_type>\n"
        f"\t\t\t<wp:comment_parent>{parent_number}</wp:comment_parent>\n"
        "\t\t\t<wp:comment_user_id>0</wp:comment_user_id>\n"
        "\t\t</wp:comment>\n"
    )


def _wp_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def xml_text(text: str) -> str:
    """A reply's plain text as WordPress comment content (which WordPress reads as HTML): markup characters escaped,
    so what readers saw is what WordPress shows."""
    return escape(text)
