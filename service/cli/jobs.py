"""One database job for one command: the engines opened, the action run to its end, the engines disposed of."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from service.settings import Settings
from service.storage.database import Database, opened

T = TypeVar("T")


def run_on_database(settings: Settings, action: Callable[[Database], Awaitable[T]]) -> T:
    """Run `action` on the configured database in an event loop of its own; what it returns is returned."""
    return asyncio.run(_with_database(settings, action))


async def _with_database(settings: Settings, action: Callable[[Database], Awaitable[T]]) -> T:
    async with opened(settings) as db:
        return await action(db)
