"""What each audience sees of a comment: readers never an email, score or unpublished reply; moderators everything."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Row

from service.rules.policy import Reason


class CreatedComment(msgspec.Struct):
    """The answer to a submission. A rejected reply reads `pending`: spammers are not told what was caught."""

    id: uuid.UUID
    article_id: str
    parent_id: uuid.UUID | None
    name: str
    body: str
    status: str
    created_at: datetime


class PublicComment(msgspec.Struct):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    body: str
    created_at: datetime
    replies: list[PublicComment] = msgspec.field(default_factory=list)


class CommentPage(msgspec.Struct):
    items: list[PublicComment]
    next_cursor: str | None
    total: int


class CommentCount(msgspec.Struct):
    count: int


class AuthorHistory(msgspec.Struct):
    published: int = 0
    pending: int = 0
    rejected: int = 0


class QueueItem(msgspec.Struct):
    id: uuid.UUID
    article_id: str
    parent_id: uuid.UUID | None
    name: str
    email: str
    website: str | None
    body: str
    status: str
    created_at: datetime
    spam_score: float | None
    abuse_score: float | None
    model_version: str | None
    reasons: list[Reason]
    author_history: AuthorHistory
    language: str | None = None  # ISO 639-1, found on submit; None when too short to tell (or stored before)


class QueuePage(msgspec.Struct):
    items: list[QueueItem]
    next_cursor: str | None


class DecisionView(msgspec.Struct):
    id: uuid.UUID
    actor: str
    moderator_id: int | None
    from_status: str | None
    to_status: str
    reason: str | None
    note: str | None
    spam_score: float | None
    abuse_score: float | None
    model_version: str | None
    reasons: list[Reason]
    created_at: datetime


class ItemDetail(QueueItem):
    decisions: list[DecisionView] = msgspec.field(default_factory=list)


def created_view(row: dict[str, Any]) -> CreatedComment:
    status = "published" if row["status"] == "published" else "pending"
    return CreatedComment(
        id=row["id"],
        article_id=row["article_id"],
        parent_id=row["parent_id"],
        name=row["name"],
        body=row["body"],
        status=status,
        created_at=row["created_at"],
    )


def shown_to_readers(row: Row[Any]) -> bool:
    """Published, and no ancestor taken down or waiting: the rule of storage/comments.SHOWN for one row."""
    return bool(row.status == "published" and row.hidden_ancestors == 0)


def public_view(row: Row[Any]) -> PublicComment:
    return PublicComment(id=row.id, parent_id=row.parent_id, name=row.name, body=row.body, created_at=row.created_at)


def reasons_of(raw: list[dict[str, Any]] | None) -> list[Reason]:
    return msgspec.convert(raw or [], list[Reason])


def queue_item(row: Row[Any], history: dict[str, int]) -> QueueItem:
    return QueueItem(
        id=row.id,
        article_id=row.article_id,
        parent_id=row.parent_id,
        name=row.name,
        email=row.email,
        website=row.website,
        body=row.body,
        status=row.status,
        created_at=row.created_at,
        spam_score=row.spam_score,
        abuse_score=row.abuse_score,
        model_version=row.model_version,
        reasons=reasons_of(row.reasons),
        author_history=msgspec.convert(history, AuthorHistory),
        language=row.language,
    )


def decision_view(row: Row[Any]) -> DecisionView:
    return DecisionView(
        id=row.id,
        actor=row.actor,
        moderator_id=row.moderator_id,
        from_status=row.from_status,
        to_status=row.to_status,
        reason=row.reason,
        note=row.note,
        spam_score=row.spam_score,
        abuse_score=row.abuse_score,
        model_version=row.model_version,
        reasons=reasons_of(row.reasons),
        created_at=row.created_at,
    )
