"""Remark42's backup (`backup-{site}-{date}.gz`, or the admin export), read for `replyguard import remark42`.

The file (gzip-compressed or not: the command looks at its first bytes) is a stream of JSON values, one per line:
first the site's meta (`version` 0 or 1; `users` that are blocked or verified, with the only copy of their email in
`details.email`; `posts` that are read-only), then one comment per value: `id`, `pid` (its parent, `""` at the top
level), `text` (sanitised HTML), `user` (`name`, `id`; `ip` is a hash and is never read), `locator.url` (the page:
the article), `time` (RFC 3339), `title` (the page's title, on some comments), `delete`.

Remark42 has no pending or spam state. A deleted comment is rejected ("deleted"); a comment of a user blocked now is
rejected ("author_blocked"), as Remark42 hides it from readers; the rest is published. A read-only post is a closed
article. Article ids come from the page URL's path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

from service.formats import article_ids
from service.formats.cleaning import clean_email, clean_name, text_of_html, utc
from service.formats.records import MalformedSource, SourceArticle, SourceComment, SourceItem

VERSIONS = (0, 1)
CHUNK = 1 << 16


def values(stream: IO[bytes]) -> Iterator[tuple[int, Any]]:
    """Each JSON value of a stream of concatenated values, with the line it starts on; lines may be indented."""
    decoder = json.JSONDecoder()
    buffer = ""
    line = 1
    position = 0
    ended = False
    pending = b""
    while True:
        while position < len(buffer) and buffer[position].isspace():
            line += buffer[position] == "\n"
            position += 1
        if position == len(buffer):
            if ended:
                return
            buffer, position = "", 0
        try:
            value, end = decoder.raw_decode(buffer, position)
        except json.JSONDecodeError as exc:
            if ended:
                raise MalformedSource(f"line {line}", f"not JSON ({exc.msg})") from exc
            chunk = stream.read(CHUNK)
            ended = not chunk
            try:
                text = (pending + chunk).decode("utf-8")
                pending = b""
            except UnicodeDecodeError as exc:
                if exc.start < len(pending + chunk) - 4:  # not just a character cut at the chunk's end
                    raise MalformedSource(f"line {line}", "is not UTF-8 text") from exc
                text, pending = (pending + chunk)[: exc.start].decode("utf-8"), (pending + chunk)[exc.start :]
            buffer = buffer[position:] + text
            position = 0
            continue
        yield line, value
        line += buffer.count("\n", position, end)
        position = end


def read(stream: IO[bytes]) -> Iterator[SourceItem]:
    emails: dict[str, str] = {}
    blocked: set[str] = set()
    read_only: set[str] = set()
    articles_seen: set[str] = set()  # one per page: far fewer than comments
    first = True
    for line, value in values(stream):
        where = f"line {line}"
        if not isinstance(value, dict):
            raise MalformedSource(where, "is not a JSON object")
        if first:
            first = False
            if "locator" not in value:  # the meta line
                _read_meta(value, where, emails, blocked, read_only)
                continue
        comment, article = _comment(value, where, emails, blocked, read_only)
        if article.source_id not in articles_seen:
            articles_seen.add(article.source_id)
            yield article
        yield comment


def _read_meta(
    meta: dict[str, Any], where: str, emails: dict[str, str], blocked: set[str], read_only: set[str]
) -> None:
    version = meta.get("version", 0)
    if version not in VERSIONS:
        raise MalformedSource(where, f"backup version {version!r} is not 0 or 1")
    for user in meta.get("users") or []:
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise MalformedSource(where, "a user of the meta line has no id")
        details = user.get("details") or {}
        email = clean_email(details.get("email") if isinstance(details, dict) else None)
        if email:
            emails[user["id"]] = email
        if isinstance(user.get("blocked"), dict) and user["blocked"].get("status") is True:
            blocked.add(user["id"])
    for post in meta.get("posts") or []:
        if isinstance(post, dict) and post.get("read_only") is True and isinstance(post.get("url"), str):
            read_only.add(post["url"])


def _comment(
    value: dict[str, Any], where: str, emails: dict[str, str], blocked: set[str], read_only: set[str]
) -> tuple[SourceComment, SourceArticle]:
    comment_id = value.get("id")
    locator = value.get("locator")
    url = locator.get("url") if isinstance(locator, dict) else None
    if not isinstance(comment_id, str) or not comment_id:
        raise MalformedSource(where, "a comment without an id")
    where = f"{where} (comment {comment_id})"
    if not isinstance(url, str) or not url:
        raise MalformedSource(where, "has no locator.url")
    moment = value.get("time")
    try:
        created = utc(datetime.fromisoformat(str(moment).replace("Z", "+00:00")))
    except ValueError as exc:
        raise MalformedSource(where, f"time {moment!r} is not an RFC 3339 time") from exc
    user: dict[str, Any] = value["user"] if isinstance(value.get("user"), dict) else {}
    user_id: str = user["id"] if isinstance(user.get("id"), str) else ""
    if value.get("delete") is True:
        status, reason = "rejected", "deleted"
    elif user_id in blocked or user.get("block") is True:
        status, reason = "rejected", "author_blocked"
    else:
        status, reason = "published", None
    title = value.get("title")
    article = SourceArticle(
        source_id=url,
        article_id=article_ids.from_path(url),
        title=title.strip() or None if isinstance(title, str) else None,
        url=url if url.startswith(("http://", "https://")) else None,
        closed=url in read_only,
    )
    parent = value.get("pid")
    comment = SourceComment(
        source_id=comment_id,
        article_source_id=url,
        parent_source_id=parent if isinstance(parent, str) and parent else None,
        name=clean_name(user.get("name") if isinstance(user.get("name"), str) else None),
        email=clean_email(emails.get(user_id)),
        website=None,
        body=text_of_html(value["text"] if isinstance(value.get("text"), str) else ""),
        created_at=created,
        status=status,
        reason=reason,
    )
    return comment, article
