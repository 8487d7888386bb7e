"""The console's folder counts: exact up to a cap, then only "more than the cap", so a page view costs the same at
10k comments as at 1M (a count of the whole published folder walks most of the table)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.domain import moderation
from service.settings import Settings
from service.storage import comments as comment_store
from service.storage.database import opened
from service.storage.tables import articles, comments

FOLDERS = ("pending", "published", "rejected")


def _row(article_id: str, number: int, *, status: str, language: str) -> dict[str, Any]:
    created = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=number)
    return {
        "id": uuid.uuid4(), "article_id": article_id, "parent_id": None, "root_id": None, "depth": 0,
        "hidden_ancestors": 0, "name": f"Reader {number}", "email": f"r{number}@example.org", "website": None,
        "body": f"Reply number {number}", "status": status, "created_at": created, "updated_at": created,
        "language": language, "reasons": [],
    }  # fmt: skip


async def _seed(settings: Settings) -> None:
    now = datetime.now(UTC)
    rows = [_row("a", n, status="pending", language="en") for n in range(5)]
    rows += [_row("a", 10 + n, status="published", language="de") for n in range(3)]
    rows += [_row("b", 20 + n, status="pending", language="de") for n in range(2)]
    async with opened(settings) as db, db.write() as conn:
        for article_id in ("a", "b"):
            await conn.execute(
                articles.insert(),
                {"id": article_id, "status": "open", "created_at": now, "updated_at": now,
                 "published_count": 0, "revision": 1},
            )  # fmt: skip
        await conn.execute(comments.insert(), rows)


async def _counts(settings: Settings, **filters: Any) -> dict[str, int]:
    async with opened(settings) as db, db.read() as conn:
        return await comment_store.folder_counts(conn, statuses=FOLDERS, **filters)


@pytest.fixture
def seeded(settings: Settings) -> Settings:
    asyncio.run(_seed(settings))
    return settings


def test_counts_are_exact_below_the_cap_and_stop_one_past_it(seeded: Settings) -> None:
    assert asyncio.run(_counts(seeded, article_id=None, language=None, cap=100)) == {
        "pending": 7, "published": 3, "rejected": 0,
    }  # fmt: skip
    # Past the cap a folder answers cap + 1 ("more than the cap"), whatever its real size.
    assert asyncio.run(_counts(seeded, article_id=None, language=None, cap=4)) == {
        "pending": 5, "published": 3, "rejected": 0,
    }  # fmt: skip


def test_counts_follow_the_article_and_language_filters(seeded: Settings) -> None:
    assert asyncio.run(_counts(seeded, article_id="a", language=None, cap=100))["pending"] == 5
    assert asyncio.run(_counts(seeded, article_id=None, language="de", cap=100)) == {
        "pending": 2, "published": 3, "rejected": 0,
    }  # fmt: skip
    assert asyncio.run(_counts(seeded, article_id="b", language="en", cap=100))["pending"] == 0


def test_the_console_shows_a_full_folder_as_more_than_the_cap(
    seeded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moderation, "FOLDER_COUNT_CAP", 4)

    async def shown() -> dict[str, str]:
        async with opened(seeded) as db:
            return await moderation.folder_counts(db, article_id=None, language=None)

    assert asyncio.run(shown()) == {"pending": "4+", "published": "3", "rejected": "0"}
