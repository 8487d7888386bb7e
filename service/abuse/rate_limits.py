"""Submission rate limits per client address and per (client address, email): fixed windows of hit counts.

The email's allowance is counted per client address: a shared per-email count would let a stranger read someone
else's recent activity (their address reaches 429 sooner) and use up that person's allowance. Only submissions from
the same address count together, so a 429 tells a sender nothing they did not send themselves (docs/reliability.md).

The counts live in this process by default (the embedded single-worker service). With REPLYGUARD_REDIS_URL set they
live in Redis, so every worker and replica counts together: INCR is atomic, so a burst spread over replicas gets
exactly the allowance, not one allowance per process. Keys hold a hash of the email, never the address itself.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.errors import ReplyguardError

log = logging.getLogger(__name__)


@dataclass
class TooManyRequests(ReplyguardError):
    """429; `headers` carries Retry-After in seconds."""

    status_code = 429


class HitCounter(Protocol):
    async def hit(self, key: str, ttl_seconds: int) -> int:
        """Count one hit on `key` and return its total; the key is dropped `ttl_seconds` after its first hit."""
        ...

    async def distinct_many(
        self, keys: list[str], member: str, ttl_seconds: int, *, at_most: int | None = None
    ) -> list[int]:
        """Add `member` to the set at each key and return each set's size, in one round trip where the store can;
        a set is dropped `ttl_seconds` after its first member. With `at_most`, a store may stop adding to a set of
        that size (the answer is then `at_most`), for callers that only ask whether a size was reached."""
        ...

    async def close(self) -> None: ...


# How often the in-process store drops finished windows, and how many keys each of its tables keeps at most. The cap
# bounds memory under a flood whatever the windows (spam-run sets are ~0.5 kB a key: 100,000 keys ~ 50 MB); past it
# the oldest keys go first, which forgets the oldest counts, never refuses a request. Sites busier than that run
# with Redis, whose keys expire by themselves.
SWEEP_EVERY_SECONDS = 30.0
MAX_KEYS = 100_000


@dataclass
class MemoryCounter:
    """Counts in this process. Nothing here awaits, so on the event loop each update is whole without a lock."""

    max_keys: int = MAX_KEYS
    _counts: dict[str, tuple[int, float]] = field(default_factory=dict)
    _sets: dict[str, tuple[set[str], float]] = field(default_factory=dict)
    _next_sweep: float = 0.0

    def _sweep(self, now: float) -> None:
        if now >= self._next_sweep:
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            self._sets = {k: v for k, v in self._sets.items() if v[1] > now}
            self._next_sweep = now + SWEEP_EVERY_SECONDS
        # Over the cap, the oldest keys go (dicts keep insertion order), a tenth of the cap at a time: deleting one
        # key per new key left dead slots at the front that every next(iter(...)) walked again, O(n) per hit under
        # a flood of new addresses.
        if len(self._counts) > self.max_keys:
            self._counts = dict(islice(self._counts.items(), self._excess(len(self._counts)), None))
        if len(self._sets) > self.max_keys:
            self._sets = dict(islice(self._sets.items(), self._excess(len(self._sets)), None))

    def _excess(self, size: int) -> int:
        return size - self.max_keys + max(self.max_keys // 10, 1)

    async def hit(self, key: str, ttl_seconds: int) -> int:
        now = time.monotonic()
        count, expires = self._counts.get(key, (0, now + ttl_seconds))
        if expires <= now:
            count, expires = 0, now + ttl_seconds
        self._counts[key] = (count + 1, expires)
        self._sweep(now)
        return count + 1

    async def distinct_many(
        self, keys: list[str], member: str, ttl_seconds: int, *, at_most: int | None = None
    ) -> list[int]:
        now = time.monotonic()
        sizes = []
        for key in keys:
            members, expires = self._sets.get(key, (set(), now + ttl_seconds))
            if expires <= now:
                members, expires = set(), now + ttl_seconds
            # Full sets take no more: under a stream of new senders they grew by one entry per reply (~450,000
            # after a minute at 2,000 replies/s), ~0.5 kB a key became megabytes, and every full collection of the
            # garbage collector walked them all (10-14 ms pauses of the event loop, docs/performance.md).
            if at_most is None or len(members) < at_most:
                members.add(member)
            self._sets[key] = (members, expires)
            sizes.append(len(members))
        self._sweep(now)
        return sizes

    async def close(self) -> None:
        self._counts.clear()
        self._sets.clear()


@dataclass
class RedisCounter:
    """Counts in Redis, shared by every worker and replica (INCR, with the expiry set on the first hit only)."""

    client: Redis

    @classmethod
    def from_url(cls, url: str) -> RedisCounter:
        # Short timeouts: a slow Redis must not hold a reader's submission for long (see SubmissionLimiter).
        return cls(Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5))

    async def hit(self, key: str, ttl_seconds: int) -> int:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def distinct_many(
        self, keys: list[str], member: str, ttl_seconds: int, *, at_most: int | None = None
    ) -> list[int]:
        # `at_most` is not applied: a conditional SADD takes a script, and Redis's sets live outside this process's
        # heap and expire with their window.
        async with self.client.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.sadd(key, member)
                pipe.expire(key, ttl_seconds, nx=True)
                pipe.scard(key)
            answers = await pipe.execute()
        return [int(size) for size in answers[2::3]]

    async def close(self) -> None:
        await self.client.aclose()


async def count_hit(
    counter: HitCounter, kind: str, identity: str, *, limit: int, window_seconds: int, refusal: str
) -> None:
    """Count one hit of `kind` from `identity` in the current fixed window; 429 with Retry-After past `limit`."""
    now = time.time()
    window = int(now // window_seconds)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    key = f"replyguard:{kind}:{digest}:{window}"
    try:
        # The key names its window, so it is of no use once that is over: window_seconds after its first hit at most.
        count = await counter.hit(key, window_seconds)
    except (RedisError, OSError):
        # Fail open: an outage of the shared counter must not turn every reader away. It is logged (without
        # the identity) so the operator sees that limits are off.
        log.warning("rate-limit counter unavailable; request allowed without counting", exc_info=True)
        return
    if count > limit:
        retry_after = max(1, int((window + 1) * window_seconds - now) + 1)
        raise TooManyRequests(refusal, headers={"Retry-After": str(retry_after)})


@dataclass
class SubmissionLimiter:
    counter: HitCounter
    per_address: int
    per_email: int
    window_seconds: int
    enabled: bool = True
    # Failed moderator authentications per client address, in their own (longer) window: a token guesser is
    # answered 429 instead of 401 once past the allowance.
    auth_failures: int = 10
    auth_window_seconds: int = 300
    # Readers' reports per client address, in their own window (service/domain/reports.py).
    reports: int = 10
    report_window_seconds: int = 3600

    async def _count(self, kind: str, identity: str, limit: int) -> None:
        refusal = f"Too many submissions from this {kind}; try again later"
        await count_hit(
            self.counter, f"submit:{kind}", identity, limit=limit, window_seconds=self.window_seconds, refusal=refusal
        )

    async def check_address(self, address: str) -> None:
        """Count one submission from `address`; 429 once the window's allowance is used up."""
        if self.enabled:
            await self._count("address", address, self.per_address)

    async def check_email(self, address: str, email: str) -> None:
        """Count one submission of `email` from `address`; 429 once that pair has used up the window's allowance.

        Never per email alone: whatever anyone sends from another address leaves this answer unchanged.
        """
        if self.enabled:
            # NUL cannot appear in an address or a validated email, so no two pairs join to the same identity.
            await self._count("email", f"{address}\x00{email.lower()}", self.per_email)

    async def count_auth_failure(self, address: str) -> None:
        """Count one failed moderator authentication from `address`; 429 past the allowance."""
        if self.enabled:
            await count_hit(
                self.counter,
                "auth:address",
                address,
                limit=self.auth_failures,
                window_seconds=self.auth_window_seconds,
                refusal="Too many failed sign-ins from this address; try again later",
            )

    async def check_report(self, address: str) -> None:
        """Count one report from `address`; 429 past the window's allowance (a repeated report counts too)."""
        if self.enabled:
            await count_hit(
                self.counter,
                "report:address",
                address,
                limit=self.reports,
                window_seconds=self.report_window_seconds,
                refusal="Too many reports from this address; try again later",
            )
