"""What moderators and readers see of readers' reports: a reader's answer, the reported folder (each reply with its
open reports, counts by reason, whether a contact was given: never an email), and a decision's outcome."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Row

from service.rules.report_input import REASONS


class ReportAnswer(msgspec.Struct):
    """What a reader hears: the report is in (the same answer for a repeated one)."""

    comment_id: uuid.UUID
    received: bool = True


class ReportView(msgspec.Struct):
    id: uuid.UUID
    reason: str
    explanation: str | None
    has_contact: bool  # a contact email was given; the address itself is not listed
    created_at: datetime


class ReportedItem(msgspec.Struct):
    """A reply in the reported folder with its open reports. No email of its author, none of the reporters'."""

    comment_id: uuid.UUID
    article_id: str
    name: str
    body: str
    status: str  # published (still shown) or pending (hidden for illegal content)
    created_at: datetime
    report_count: int
    reasons: dict[str, int]
    first_reported_at: datetime
    reports: list[ReportView]


class ReportedFolder(msgspec.Struct):
    items: list[ReportedItem]


class ReportDecision(msgspec.Struct):
    comment_id: uuid.UUID
    action: str
    status: str
    reports_closed: int
    decision_id: uuid.UUID


def folder_view(rows: Sequence[Row[Any]], found: Sequence[Row[Any]]) -> ReportedFolder:
    """The folder from its replies (storage/reports.reported_page) and their open reports (open_reports_of)."""
    by_comment: dict[uuid.UUID, list[ReportView]] = {}
    for report in found:
        view = ReportView(id=report.id, reason=report.reason, explanation=report.explanation,
                          has_contact=bool(report.has_contact), created_at=report.created_at)  # fmt: skip
        by_comment.setdefault(report.comment_id, []).append(view)
    items = []
    for row in rows:
        listed = by_comment.get(row.id, [])
        reasons = {reason: sum(1 for r in listed if r.reason == reason) for reason in REASONS}
        items.append(
            ReportedItem(
                comment_id=row.id,
                article_id=row.article_id,
                name=row.name,
                body=row.body,
                status=row.status,
                created_at=row.created_at,
                report_count=int(row.report_count),
                reasons={reason: n for reason, n in reasons.items() if n},
                first_reported_at=row.first_reported_at,
                reports=listed,
            )
        )
    return ReportedFolder(items=items)
