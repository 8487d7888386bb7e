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
    # The author's secret for editing and deleting this reply (docs/api.md, "Editing and deleting"), and until when
    # it works; an Idempotency-Key replay gives the same (derived again: only its hash is stored). None when editing
    # is off.
    edit_token: str | None = None
    editable_until: datetime | None = None


class EditedComment(msgspec.Struct):
    """The answer to an author's edit: as a submission's, `rejected` reads `pending` (a shadow-banned author's edit
    answers exactly as a held one)."""

    id: uuid.UUID
    article_id: str
    parent_id: uuid.UUID | None
    name: str
    body: str
    status: str
    created_at: datetime
    edited_at: datetime
    editable_until: datetime


class PublicComment(msgspec.Struct):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    body: str
    created_at: datetime
    replies: list[PublicComment] = msgspec.field(default_factory=list)
    # True: its author deleted it; name and body are empty, it stays only to hold the replies under it in place.
    deleted: bool = False


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
    edited_at: datetime | None = None  # its author's last edit (the earlier texts are on the item: ItemDetail)


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


class RevisionView(msgspec.Struct):
    """A text the reply had before its author edited (`kind` edit) or deleted (`kind` delete) it."""

    kind: str
    body: str
    status: str
    spam_score: float | None
    abuse_score: float | None
    model_version: str | None
    reasons: list[Reason]
    created_at: datetime  # when it was replaced


class ItemDetail(QueueItem):
    decisions: list[DecisionView] = msgspec.field(default_factory=list)
    deleted_at: datetime | None = None  # deleted by its author: `body` is empty, the text is in `revisions`
    revisions: list[RevisionView] = msgspec.field(default_factory=list)


def answered_status(status: str) -> str:
    """What an author is told: a rejection reads `pending` (spammers are not told what was caught)."""
    return "published" if status == "published" else "pending"


def created_view(
    row: dict[str, Any], *, edit_token: str | None = None, editable_until: datetime | None = None
) -> CreatedComment:
    return CreatedComment(
        id=row["id"],
        article_id=row["article_id"],
        parent_id=row["parent_id"],
        name=row["name"],
        body=row["body"],
        status=answered_status(row["status"]),
        created_at=row["created_at"],
        edit_token=edit_token,
        editable_until=editable_until,
    )


def shown_to_readers(row: Row[Any]) -> bool:
    """Published, and no ancestor taken down or waiting: the rule of storage/comments.SHOWN for one row. A reply its
    author deleted is still shown in this sense (as a placeholder while replies hang under it)."""
    return bool(row.status == "published" and row.hidden_ancestors == 0)


def public_view(row: Row[Any]) -> PublicComment:
    if getattr(row, "deleted_at", None) is not None:
        return PublicComment(
            id=row.id, parent_id=row.parent_id, name="", body="", created_at=row.created_at, deleted=True
        )
    return PublicComment(id=row.id, parent_id=row.parent_id, name=row.name, body=row.body, created_at=row.created_at)


def without_empty_placeholders(items: list[PublicComment]) -> list[PublicComment]:
    """Drop deleted replies with nothing shown under them, deepest first, so a thread keeps a placeholder only where
    it holds replies in place. Recursion is bounded: pages nest at most REPLYGUARD_MAX_THREAD_DEPTH levels."""
    kept = []
    for item in items:
        if item.replies:
            item.replies = without_empty_placeholders(item.replies)
        if not (item.deleted and not item.replies):
            kept.append(item)
    return kept


def revision_view(row: Row[Any]) -> RevisionView:
    return RevisionView(
        kind=row.kind,
        body=row.body,
        status=row.status,
        spam_score=row.spam_score,
        abuse_score=row.abuse_score,
        model_version=row.model_version,
        reasons=reasons_of(row.reasons),
        created_at=row.created_at,
    )


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
        edited_at=row.edited_at,
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
