"""Disqus's XML export (Admin > Moderation > Export: a gzipped `<disqus>` file), read for `replyguard import disqus`.

The file lists `<category>` elements, then every `<thread>` (a page: `dsq:id`, its `<id>` identifier as the site set
it, `<link>`, `<title>`, `<isClosed>`, `<isDeleted>`), then every `<post>` (`dsq:id`, `<message>` HTML, `<createdAt>`
UTC, `<isDeleted>`, `<isSpam>`, `<author>` with `<name>` and `<email>`, `<thread dsq:id>`, and `<parent dsq:id>` for a
reply). Elements are in the `http://disqus.com` namespace, the ids in `http://disqus.com/disqus-internals`.
`<ipAddress>` is never read.

Statuses: a post marked spam is rejected (spam), a deleted one, or one on a deleted thread, rejected (deleted), a post
with `<isApproved>false` (exports of sites with premoderation) pending, the rest published. A thread's article id is
its identifier when that is a valid article id (what the Disqus embed was told: `this.page.identifier`), else made
from its link's path. A post whose thread is not in the file, and a thread with neither link nor identifier, are
skipped (no page shows them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO
from xml.etree.ElementTree import Element

from service.formats import article_ids, xml_stream
from service.formats.cleaning import clean_email, clean_name, text_of_html, utc
from service.formats.records import MalformedSource, SourceArticle, SourceComment, SourceItem, SourceSkipped

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"


def read(stream: IO[bytes]) -> Iterator[SourceItem]:
    threads = posts = 0
    depth = 0
    # Disqus writes every <thread> before the <post>s: what is known of threads is one small entry per page.
    known_threads: set[str] = set()
    deleted_threads: set[str] = set()
    for event, element in xml_stream.elements(stream, events=("start", "end")):
        # Only the root's children are threads and posts: a post's own <thread dsq:id/> is a reference.
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth != 1:
            continue
        tag = element.tag.removeprefix(NS)
        if tag == "thread":
            threads += 1
            thread = _thread(element, threads)
            if isinstance(thread, SourceArticle):
                known_threads.add(thread.source_id)
                if _flag(element, "isDeleted"):
                    deleted_threads.add(thread.source_id)
            yield thread
        elif tag == "post":
            posts += 1
            yield _post(element, posts, known_threads, deleted_threads)
        element.clear()


def _child(element: Element, name: str) -> Element | None:
    return element.find(NS + name)


def _text(element: Element, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None or child.text is None else child.text.strip()


def _flag(element: Element, name: str) -> bool:
    return (_text(element, name) or "").lower() == "true"


def _time(element: Element, where: str) -> datetime:
    value = _text(element, "createdAt")
    if not value:
        raise MalformedSource(where, "has no <createdAt>")
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError as exc:
        raise MalformedSource(where, f"<createdAt> {value!r} is not an ISO 8601 time") from exc


def _thread(element: Element, number: int) -> SourceArticle | SourceSkipped:
    dsq_id = element.get(DSQ_ID)
    if not dsq_id:
        raise MalformedSource(f"thread {number}", "has no dsq:id")
    link = _text(element, "link")
    if not link and not _text(element, "id"):
        return SourceSkipped("thread with neither a link nor an identifier (no page shows it)")
    return SourceArticle(
        source_id=dsq_id,
        article_id=article_ids.from_identifier(_text(element, "id"), link or dsq_id),
        title=_text(element, "title") or None,
        url=link if link and link.startswith(("http://", "https://")) else None,
        closed=_flag(element, "isClosed"),
    )


def _post(
    element: Element, number: int, known_threads: set[str], deleted_threads: set[str]
) -> SourceComment | SourceSkipped:
    # Some exports name a post by its <id> alone.
    dsq_id = element.get(DSQ_ID) or _text(element, "id")
    where = f"post {number}" + (f" (dsq:id {dsq_id})" if dsq_id else "")
    if not dsq_id:
        raise MalformedSource(where, "has neither a dsq:id nor an <id>")
    thread = _child(element, "thread")
    thread_id = None if thread is None else thread.get(DSQ_ID)
    if not thread_id:
        raise MalformedSource(where, "names no <thread dsq:id>")
    if thread_id not in known_threads:
        return SourceSkipped("post whose thread is not in the file (no page shows it)")
    parent = _child(element, "parent")
    author = _child(element, "author")
    if _flag(element, "isSpam"):
        status, reason = "rejected", "spam"
    elif _flag(element, "isDeleted") or thread_id in deleted_threads:  # a deleted page takes its posts with it
        status, reason = "rejected", "deleted"
    elif (_text(element, "isApproved") or "true").lower() == "false":
        status, reason = "pending", None
    else:
        status, reason = "published", None
    return SourceComment(
        source_id=dsq_id,
        article_source_id=thread_id,
        parent_source_id=None if parent is None else (parent.get(DSQ_ID) or None),
        name=clean_name(None if author is None else (_text(author, "name") or _text(author, "username"))),
        email=clean_email(None if author is None else _text(author, "email")),
        website=None,
        body=text_of_html(_text(element, "message") or ""),
        created_at=_time(element, where),
        status=status,
        reason=reason,
    )
