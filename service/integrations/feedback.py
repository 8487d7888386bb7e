"""Labels client sites send back (Akismet submit-spam/ham, Perspective suggestscore), kept for `replyguard train`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from service.storage import feedback as feedback_store

NAME_MAX = 200
WEBSITE_MAX = 200


@dataclass(frozen=True, slots=True)
class Feedback:
    """What training reads of a reply, and what the site says it is; a label of None teaches that head nothing."""

    source: str  # "akismet" | "perspective"
    text: str
    name: str = ""
    website: str | None = None
    spam: int | None = None
    abuse: int | None = None


async def store_feedback(conn: AsyncConnection, feedback: Feedback, *, api_key_id: int) -> None:
    """Insert one label (the caller owns the transaction). Name and website are cut to their columns: they are
    features, and a longer value only adds noise."""
    website = feedback.website if feedback.website and len(feedback.website) <= WEBSITE_MAX else None
    await feedback_store.insert_label(
        conn,
        {
            "id": uuid.uuid4(),
            "source": feedback.source,
            "api_key_id": api_key_id,
            "text": feedback.text,
            "name": feedback.name[:NAME_MAX],
            "website": website,
            "spam": feedback.spam,
            "abuse": feedback.abuse,
            "created_at": datetime.now(UTC),
        },
    )
