"""replyguard's own export: JSON lines, a header, then every article, then every reply with its decisions.

    {"type": "replyguard-export", "version": 1, "exported_at": "..."}
    {"type": "article", "id": "budget-vote", "status": "open", "title": "...", "url": "...", "created_at": "..."}
    {"type": "comment", "id": "0190...", "article_id": "budget-vote", "parent_id": null, "name": "Ana",
     "email": "ana@example.org", "website": null, "body": "...", "status": "published", "created_at": "...",
     "edited_at": null, "deleted_at": null, "language": "en", "decisions": [{"actor": "model", ...}]}

Everything a site owns, emails included: an export is the operator's, written by a command, never served. A reply
comes after its parent (replies are written in time order), and `replyguard import replyguard FILE` reads it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import msgspec

from service.formats import article_ids
from service.formats.cleaning import clean_body, clean_email, clean_name, clean_website, utc
from service.formats.records import IMPORT_STATUSES, MalformedSource, SourceArticle, SourceComment, SourceItem

HEADER_TYPE = "replyguard-export"
VERSION = 1

_encoder = msgspec.json.Encoder()


def header_line(exported_at: datetime) -> bytes:
    return _line({"type": HEADER_TYPE, "version": VERSION, "exported_at": exported_at.isoformat()})


def article_line(article: dict[str, Any]) -> bytes:
    return _line({"type": "article", **article})


def comment_line(comment: dict[str, Any]) -> bytes:
    return _line({"type": "comment", **comment})


def _line(value: dict[str, Any]) -> bytes:
    return _encoder.encode(value) + b"\n"


def read(stream: IO[bytes]) -> Iterator[SourceItem]:
    """The articles and replies of an export, in file order; MalformedSource names the line."""
    decoder = msgspec.json.Decoder()
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            item = decoder.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise MalformedSource(f"line {number}", f"not JSON ({exc})") from exc
        if not isinstance(item, dict):
            raise MalformedSource(f"line {number}", "not a JSON object")
        kind = item.get("type")
        try:
            if kind == HEADER_TYPE:
                if item.get("version") != VERSION:
                    raise ValueError(f"version {item.get('version')!r} is not {VERSION}")
            elif kind == "article":
                yield _article(item)
            elif kind == "comment":
                yield _comment(item)
            else:
                raise ValueError(f"type {kind!r} is not one of {HEADER_TYPE}, article, comment")
        except (KeyError, TypeError, ValueError) as exc:
            what = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
            raise MalformedSource(f"line {number}", what) from exc


def _text(item: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _article(item: dict[str, Any]) -> SourceArticle:
    article_id = _text(item, "id", required=True)
    assert article_id is not None
    if not article_ids.is_article_id(article_id):
        raise ValueError("id is not an article id")
    return SourceArticle(
        source_id=article_id,
        article_id=article_id,
        title=_text(item, "title"),
        url=_text(item, "url"),
        closed=item.get("status") == "closed",
    )


def _comment(item: dict[str, Any]) -> SourceComment:
    status = _text(item, "status", required=True)
    if status not in IMPORT_STATUSES:
        raise ValueError(f"status must be one of {', '.join(IMPORT_STATUSES)}")
    created = _text(item, "created_at", required=True)
    assert created is not None
    reason = None
    if status == "rejected":
        reasons = [d.get("reason") for d in item.get("decisions") or [] if isinstance(d, dict)]
        reason = next((r for r in reversed(reasons) if isinstance(r, str)), "other")
    deleted = item.get("deleted_at") is not None
    return SourceComment(
        source_id=_text(item, "id", required=True) or "",
        article_source_id=_text(item, "article_id", required=True) or "",
        parent_source_id=_text(item, "parent_id"),
        name=clean_name(_text(item, "name")),
        email=clean_email(_text(item, "email")),
        website=clean_website(_text(item, "website")),
        body=clean_body(_text(item, "body", required=True) or ""),
        created_at=utc(datetime.fromisoformat(created)),
        # A reply its author deleted is no one's to read again: it comes back rejected, as "deleted".
        status="rejected" if deleted else status,
        reason="deleted" if deleted else reason,
    )
