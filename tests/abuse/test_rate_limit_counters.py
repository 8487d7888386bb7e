"""The rate-limit counters: in-process and Redis agree on the rules; a Redis outage lets replies through."""

from __future__ import annotations

import asyncio

import pytest
from redis import Redis

from service.abuse.rate_limits import HitCounter, MemoryCounter, RedisCounter, SubmissionLimiter, TooManyRequests


def _limiter(counter: HitCounter) -> SubmissionLimiter:
    return SubmissionLimiter(counter=counter, per_address=3, per_email=2, window_seconds=60)


async def _admitted(limiter: SubmissionLimiter, emails: list[str], *, addresses: list[str] | None = None) -> list[bool]:
    outcomes = []
    for email, address in zip(emails, addresses or ["192.0.2.1"] * len(emails), strict=True):
        try:
            await limiter.check_email(address, email)
            outcomes.append(True)
        except TooManyRequests as exc:
            assert 1 <= int(exc.headers["Retry-After"]) <= 61
            outcomes.append(False)
    await limiter.counter.close()
    return outcomes


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_each_email_gets_its_own_allowance(kind: str, request: pytest.FixtureRequest) -> None:
    emails = ["a@example.org", "A@example.org", "b@example.org", "a@example.org", "b@example.org", "b@example.org"]

    async def scenario() -> list[bool]:
        counter: HitCounter = MemoryCounter()
        if kind == "redis":
            counter = RedisCounter.from_url(request.getfixturevalue("redis_db"))
        return await _admitted(_limiter(counter), emails)

    # Addresses are compared case-insensitively: "A@" is the second use of "a@".
    assert asyncio.run(scenario()) == [True, True, True, False, True, False]


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_an_email_is_counted_per_client_address(kind: str, request: pytest.FixtureRequest) -> None:
    """A stranger sending someone's email from another client address neither reads nor uses up their allowance."""
    emails = ["victim@example.org"] * 5
    addresses = ["192.0.2.1", "192.0.2.1", "198.51.100.7", "198.51.100.7", "198.51.100.7"]

    async def scenario() -> list[bool]:
        counter: HitCounter = MemoryCounter()
        if kind == "redis":
            counter = RedisCounter.from_url(request.getfixturevalue("redis_db"))
        return await _admitted(_limiter(counter), emails, addresses=addresses)

    # The stranger's allowance starts full after the victim used theirs; the stranger's own third is refused.
    assert asyncio.run(scenario()) == [True, True, True, True, False]


def test_redis_keys_expire_and_hold_no_address(redis_db: str) -> None:
    asyncio.run(_admitted(_limiter(RedisCounter.from_url(redis_db)), ["secret.person@example.org"]))
    with Redis.from_url(redis_db) as client:
        keys = [key.decode() for key in client.keys("*")]
        assert len(keys) == 1 and "secret" not in keys[0] and "example" not in keys[0]
        assert 0 < int(client.ttl(keys[0])) <= 120


def test_a_redis_outage_lets_submissions_through() -> None:
    gone = RedisCounter.from_url("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert asyncio.run(_admitted(_limiter(gone), ["a@example.org"] * 4)) == [True] * 4


def test_the_in_process_store_keeps_at_most_max_keys_dropping_the_oldest() -> None:
    counter = MemoryCounter(max_keys=100)

    async def flood() -> list[int]:
        for n in range(1_000):
            await counter.hit(f"k{n}", 60)
            await counter.distinct_many([f"s{n}"], "sender", 60)
        return [await counter.hit("k999", 60), await counter.hit("k0", 60)]

    # The newest key kept its count; the oldest was dropped and starts again.
    assert asyncio.run(flood()) == [2, 1]
    assert len(counter._counts) <= 100 and len(counter._sets) <= 100


def test_the_in_process_sets_stop_growing_at_the_size_the_caller_asks_about() -> None:
    counter = MemoryCounter()

    async def new_senders() -> list[int]:
        return [(await counter.distinct_many(["run"], f"sender-{n}", 60, at_most=3))[0] for n in range(1_000)]

    sizes = asyncio.run(new_senders())
    assert sizes[:4] == [1, 2, 3, 3] and set(sizes[3:]) == {3}
    assert len(counter._sets["run"][0]) == 3  # a flood of senders costs three entries, not a thousand
