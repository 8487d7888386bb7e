"""Training labels from the service: moderators' decisions first, then the feedback client sites sent, newest first."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from classifier import LabelledRow
from service.storage.tables import comments, decisions, feedback_labels

# What a decision teaches each head; None leaves that head untaught. "off_topic" and "other" say nothing certain
# about spam or abuse, so they teach neither.
LABELS: dict[tuple[str, str | None], tuple[int | None, int | None]] = {
    ("published", None): (0, 0),
    ("rejected", "spam"): (1, None),
    ("rejected", "abuse"): (None, 1),
}
MAX_LABELS = 200_000


async def moderator_labels(conn: AsyncConnection, *, limit: int = MAX_LABELS) -> list[LabelledRow]:
    """One row per comment a person decided, labelled by that person's latest decision, newest first."""
    query = (
        select(
            decisions.c.comment_id,
            decisions.c.to_status,
            decisions.c.reason,
            comments.c.body,
            comments.c.name,
            comments.c.website,
            comments.c.article_id,
        )
        .join(comments, comments.c.id == decisions.c.comment_id)
        .where(decisions.c.actor == "moderator")
        .order_by(decisions.c.created_at.desc(), decisions.c.id.desc())
        .limit(limit)
    )
    seen: set[object] = set()
    rows: list[LabelledRow] = []
    records = (await conn.execute(query)).all()
    for record in records:
        if record.comment_id in seen:
            continue  # an older decision, overruled by the one already taken
        seen.add(record.comment_id)
        reason = None if record.to_status == "published" else record.reason
        spam, abuse = LABELS.get((record.to_status, reason), (None, None))
        if spam is None and abuse is None:
            continue
        rows.append(
            LabelledRow(
                text=record.body,
                name=record.name,
                website=record.website,
                spam=spam,
                abuse=abuse,
                source="moderators",
                group=f"article-{record.article_id}",
            )
        )
    return with_recency_weights(rows)


def with_recency_weights(rows: list[LabelledRow]) -> list[LabelledRow]:
    """Newest first, weighted from 1.0 (newest) down to 0.5 (oldest): what moderators decide now counts most."""
    if len(rows) < 2:
        return rows
    last = len(rows) - 1
    return [dataclasses.replace(row, weight=1.0 - 0.5 * index / last) for index, row in enumerate(rows)]


async def feedback_labels_rows(conn: AsyncConnection, *, limit: int = MAX_LABELS) -> list[LabelledRow]:
    """The labels client sites sent (Akismet submit-spam/ham, Perspective suggestscore), newest first, weighted by
    recency like moderators' decisions. Each is its own group: a site's feedback names no article to group by."""
    query = (
        select(feedback_labels).order_by(feedback_labels.c.created_at.desc(), feedback_labels.c.id.desc()).limit(limit)
    )
    rows = [
        LabelledRow(
            text=record.text,
            name=record.name,
            website=record.website,
            spam=record.spam,
            abuse=record.abuse,
            source=record.source,
            group=f"feedback-{record.id}",
        )
        for record in (await conn.execute(query)).all()
        if record.spam is not None or record.abuse is not None
    ]
    return with_recency_weights(rows)
