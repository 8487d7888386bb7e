"""Each process's copy of the site's rules: loaded whole into memory, reloaded when their generation moves.

The submit path asks for the current RuleSet on every reply; at most once a second (`check_every`) that costs one
primary-key read of the generation, and a reload only after a change. A change made in this process is seen at once
(`forget`); one made in another worker or replica within `check_every`. A reply already past this point keeps the
rules it was given, so a change never stalls or loses a submission in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Row

from service.rules.site_rules import Entry, RuleSet, Sanction
from service.storage import site_rules as rule_store
from service.storage.database import Database


def build_rules(
    generation: int,
    modes: Sequence[Row[Any]],
    entries: Sequence[Row[Any]],
    sanctions: Sequence[Row[Any]],
    settings: Sequence[Row[Any]] = (),
) -> RuleSet:
    lists: dict[str, dict[str, Entry]] = {}
    for row in entries:
        lists.setdefault(row.list, {})[row.key] = Entry(value=row.value, action=row.action, expires_at=row.expires_at)
    return RuleSet(
        generation=generation,
        modes={row.scope: row.mode for row in modes},
        entries=lists,
        sanctions={row.email_key: Sanction(kind=row.kind, expires_at=row.expires_at) for row in sanctions},
        settings={row.name: row.value for row in settings},
    )


class RuleBook:
    def __init__(self, *, check_every: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.check_every = check_every
        self._clock = clock
        self._rules = RuleSet()
        self._checked = float("-inf")
        self._loading = asyncio.Lock()

    async def current(self, db: Database) -> RuleSet:
        """The rules to decide with now. While another request reloads them, the copy in hand (at most
        `check_every` old, or older by the reload's own time) is answered rather than waited for."""
        if self._clock() - self._checked < self.check_every or self._loading.locked():
            return self._rules
        async with self._loading:
            self._checked = self._clock()
            latest = await db.run_read(rule_store.generation)
            if latest != self._rules.generation:
                self._rules = build_rules(*await db.run_read(rule_store.all_rules))
        return self._rules

    def forget(self) -> None:
        """This process changed the rules: the next request checks the generation."""
        self._checked = float("-inf")
