"""Reading back what the compatible APIs stored: the feedback_labels rows and the training rows made of them."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from classifier import LabelledRow
from service.domain.labels import feedback_labels_rows
from service.settings import Settings
from service.storage.database import opened
from service.storage.tables import feedback_labels


def stored_feedback(settings: Settings) -> list[dict[str, Any]]:
    async def load() -> list[dict[str, Any]]:
        async with opened(settings) as db, db.read() as conn:
            rows = (await conn.execute(select(feedback_labels).order_by(feedback_labels.c.created_at))).all()
            return [dict(row._mapping) for row in rows]

    return asyncio.run(load())


def training_rows(settings: Settings) -> list[LabelledRow]:
    async def load() -> list[LabelledRow]:
        async with opened(settings) as db, db.read() as conn:
            return await feedback_labels_rows(conn)

    return asyncio.run(load())
