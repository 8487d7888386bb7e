"""Training labels from the service: moderators' decisions first, then the feedback client sites sent, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from classifier import LabelledRow
from classifier.site import with_recency_weights
from service.storage import comments as comment_store
from service.storage import feedback as feedback_store
from service.storage import imported as imported_store

# What a decision teaches each head; None leaves that head untaught. "off_topic" and "other" say nothing certain
# about spam or abuse, so they teach neither.
LABELS: dict[tuple[str, str | None], tuple[int | None, int | None]] = {
    ("published", None): (0, 0),
    ("rejected", "spam"): (1, None),
    ("rejected", "abuse"): (None, 1),
}
MAX_LABELS = 200_000
# The reason of a take-down on readers' reports (service/domain/reports.py): its label is the reason the moderator
# confirmed, if any; reports nobody confirmed teach nothing.
READER_REPORT = "reader_report"


async def moderator_labels(conn: AsyncConnection, *, limit: int = MAX_LABELS) -> list[LabelledRow]:
    """One row per comment a person decided, labelled by that person's latest decision, then the imported history
    given as labels, newest first."""
    return with_recency_weights([row for row, _ in await site_labels(conn, limit=limit)])


async def dated_moderator_labels(
    conn: AsyncConnection, *, limit: int = MAX_LABELS
) -> list[tuple[LabelledRow, datetime]]:
    """moderator_labels' rows before recency weighting, each with when its decision was made, newest first."""
    seen: set[object] = set()
    rows: list[tuple[LabelledRow, datetime]] = []
    for record in await comment_store.moderator_decisions(conn, limit=limit):
        if record.comment_id in seen:
            continue  # an older decision, overruled by the one already taken
        seen.add(record.comment_id)
        reason = None if record.to_status == "published" else record.reason
        if reason == READER_REPORT:
            # A take-down on readers' reports teaches what the moderator confirmed of them, and only that.
            reason = record.confirmed_reason
        row = _labelled(record, reason, source="moderators")
        if row is not None:
            rows.append((row, record.created_at))
    return rows


def _labelled(record: Any, reason: str | None, *, source: str) -> LabelledRow | None:
    """The training row a decided reply makes (what its decision teaches: LABELS), or None when it teaches nothing."""
    spam, abuse = LABELS.get((record.to_status, reason), (None, None))
    if spam is None and abuse is None:
        return None
    return LabelledRow(
        text=record.body,
        name=record.name,
        website=record.website,
        spam=spam,
        abuse=abuse,
        source=source,
        group=f"article-{record.article_id}",
    )


# A site's moderated history brought in with `replyguard import --as-labels`: its own standard from day one. Marked as
# imported (the source); training treats it as the site's, like moderators' decisions.
IMPORTED_SOURCE = "imported"


async def dated_imported_labels(
    conn: AsyncConnection, *, limit: int = MAX_LABELS
) -> list[tuple[LabelledRow, datetime]]:
    """Imported replies given as labels, labelled by the status they came with (published: neither spam nor abuse;
    rejected as spam: spam; deleted, blocked or pending: nothing), newest first, with when they were written."""
    rows: list[tuple[LabelledRow, datetime]] = []
    for record in await imported_store.imported_labels(conn, limit=limit):
        row = _labelled(record, record.reason, source=IMPORTED_SOURCE)
        if row is not None:
            rows.append((row, record.created_at))
    return rows


async def site_labels(conn: AsyncConnection, *, limit: int = MAX_LABELS) -> list[tuple[LabelledRow, datetime]]:
    """Moderators' decisions and imported history together, newest first: what the site itself has said."""
    dated = await dated_moderator_labels(conn, limit=limit) + await dated_imported_labels(conn, limit=limit)
    dated.sort(key=lambda pair: pair[1], reverse=True)
    return dated[:limit]


async def feedback_labels_rows(conn: AsyncConnection, *, limit: int = MAX_LABELS) -> list[LabelledRow]:
    """The labels client sites sent (Akismet submit-spam/ham, Perspective suggestscore), newest first, weighted by
    recency like moderators' decisions. Each is its own group: a site's feedback names no article to group by."""
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
        for record in await feedback_store.latest_labels(conn, limit=limit)
        if record.spam is not None or record.abuse is not None
    ]
    return with_recency_weights(rows)
