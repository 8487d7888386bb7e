"""What moderators read most, kept for a moment (service/storage/recent_reads.py): who a bearer token or a console
session belongs to, and rendered pages of the review queue.

A moderator's queue was the costliest request the service answers (docs/performance.md, issue 19): a token lookup,
a page of 20 with reasons and the authors' histories, encoded to JSON, for every click and every poll, while the
queue itself changes only when a reply is held or decided. Only successful lookups are kept: a wrong token is
checked (and counted against its client) every time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from service.domain.auth import Moderator
from service.storage.database import Database
from service.storage.recent_reads import RecentReads
from service.web.console.sessions import ConsoleSession


@dataclass(frozen=True, slots=True)
class ModeratorReads:
    moderators: RecentReads[Moderator]
    sessions: RecentReads[ConsoleSession]
    queue_pages: RecentReads[bytes]
    # The console's queue page before it is rendered: (items, next cursor or offset, folder counts).
    console_queues: RecentReads[tuple[Any, ...]]
    # The console's queue page rendered, per session (it carries the session's CSRF token) and folder.
    console_pages: RecentReads[str]

    @classmethod
    def of(cls, db: Database, *, freshness_seconds: float) -> ModeratorReads:
        def writes() -> int:
            return db.writes

        return cls(
            moderators=RecentReads(writes, freshness_seconds=freshness_seconds, max_entries=1024),
            sessions=RecentReads(writes, freshness_seconds=freshness_seconds, max_entries=1024),
            queue_pages=RecentReads(writes, freshness_seconds=freshness_seconds, max_entries=256),
            console_queues=RecentReads(writes, freshness_seconds=freshness_seconds, max_entries=256),
            console_pages=RecentReads(writes, freshness_seconds=freshness_seconds, max_entries=256),
        )

    async def moderator(self, credential: str | None, look_up: Callable[[], Awaitable[Moderator]]) -> Moderator:
        """The credential's moderator: kept, or `look_up()` (whose 401 propagates, and nothing is kept)."""
        return await self.moderators.read(_digest(credential), look_up)

    async def session(
        self, cookie: str | None, look_up: Callable[[], Awaitable[ConsoleSession | None]]
    ) -> ConsoleSession | None:
        """The console session behind a cookie: kept, or `look_up()`; no session (None) is never kept."""

        async def found() -> ConsoleSession:
            session = await look_up()
            if session is None:
                raise _NoSession
            return session

        try:
            return await self.sessions.read(_digest(cookie), found)
        except _NoSession:
            return None


class _NoSession(Exception):
    """No live session behind the cookie: nothing to keep."""


def _digest(credential: str | None) -> bytes:
    # Kept under a digest, so the credentials themselves are not held in memory longer than their request.
    return hashlib.sha256((credential or "").encode()).digest()
