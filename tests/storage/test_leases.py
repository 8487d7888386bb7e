"""Leases: one holder at a time across processes, free again when released or expired, spaced by acquisition."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from service.settings import Settings
from service.storage import leases
from service.storage.database import opened

START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_one_holder_at_a_time_until_released_or_expired(database_url: str) -> None:
    settings = Settings(database_url=database_url, data_dir=None)

    async def scenario() -> list[bool]:
        async with opened(settings) as db:
            results = []

            async def take(holder: str, at: datetime, spacing: timedelta = timedelta(0)) -> None:
                async with db.write() as conn:
                    results.append(
                        await leases.acquire(
                            conn, "job", holder=holder, now=at, hold_for=timedelta(minutes=10), spacing=spacing
                        )
                    )

            await take("a", START)  # free: taken
            await take("b", START + timedelta(minutes=1))  # a holds it
            async with db.write() as conn:
                results.append(await leases.renew(conn, "job", holder="a", now=START + timedelta(minutes=5),
                                                  hold_for=timedelta(minutes=10)))  # fmt: skip
                results.append(await leases.renew(conn, "job", holder="b", now=START, hold_for=timedelta(minutes=10)))
            await take("b", START + timedelta(minutes=12))  # renewed until 15 past: still a's
            await take("b", START + timedelta(minutes=16))  # a died: expired, b takes it
            async with db.write() as conn:
                await leases.release(conn, "job", holder="b")
            await take("c", START + timedelta(minutes=17), spacing=HOUR)  # released, but b took it 1 minute ago
            await take("c", START + timedelta(minutes=17))  # without spacing: free
            return results

    assert asyncio.run(scenario()) == [True, False, True, False, False, True, False, True]
