"""Submission rate limits per client address and per email address: fixed windows counted in a Litestar Store.

The store is in-process by default; give every worker and replica the same shared store (Redis) so they count
together. Keys hold a hash of the email, never the address itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field

from litestar.stores.base import Store

from service.errors import ReplyguardError


@dataclass
class TooManyRequests(ReplyguardError):
    """429; `headers` carries Retry-After in seconds."""

    status_code = 429


@dataclass
class SubmissionLimiter:
    store: Store
    per_address: int
    per_email: int
    window_seconds: int
    enabled: bool = True
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def _count(self, kind: str, identity: str, limit: int) -> None:
        now = time.time()
        window = int(now // self.window_seconds)
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        key = f"submit:{kind}:{digest}:{window}"
        # One lock per process keeps the read-increment-write of each key whole; a shared store across processes
        # may let a burst overshoot by the number of processes, which is acceptable for abuse control.
        async with self._lock:
            raw = await self.store.get(key)
            count = int(raw or 0)
            if count >= limit:
                retry_after = max(1, int((window + 1) * self.window_seconds - now) + 1)
                raise TooManyRequests(
                    f"Too many submissions from this {kind}; try again later",
                    headers={"Retry-After": str(retry_after)},
                )
            await self.store.set(key, str(count + 1), expires_in=self.window_seconds * 2)

    async def check_address(self, address: str) -> None:
        """Count one submission from `address`; 429 once the window's allowance is used up."""
        if self.enabled:
            await self._count("address", address, self.per_address)

    async def check_email(self, email: str) -> None:
        if self.enabled:
            await self._count("email", email.lower(), self.per_email)
