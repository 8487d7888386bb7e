"""Spam runs: near-copies of one text from many email addresses wait for a person; ordinary replies are left alone."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from redis import Redis

from service.abuse.rate_limits import HitCounter, MemoryCounter, RedisCounter
from service.abuse.spam_runs import SpamRunDetector, band_keys, text_words
from tests.replies import ENGLISH_POLITE, POLITE, reply

URL = "/api/v1/articles/runs/comments"
SEED = Path(__file__).parents[2] / "classifier" / "seed" / "seed_corpus.jsonl"
RUN = "I read every word of this and honestly it changed how I think about the {n} harbour project, thank you {who}"
# The same text as a run spins it: look-alike letters, a zero-width space, leetspeak, other numbers and links.
SPUN = [
    "I read every word of this and honestly it changed how I think about the 2024 harbour project, thanks all",
    "i read EVERY word of this and honestly it changed how i think about the 1999 harbour project, thanks all",
    "I r\u0435ad every w\u200bord of this and h0nestly it changed how I think about the 7 harbour project, thanks all",
    "I read every word of this and honestly it changed how I think about the 12 harbour project http://a.example",
]


def _shared_bands(first: str, second: str) -> int:
    return len(set(band_keys(text_words(first))) & set(band_keys(text_words(second))))


def test_spun_copies_share_a_band_with_the_original() -> None:
    for copy in SPUN[1:]:
        assert _shared_bands(SPUN[0], copy) >= 1, copy


def _seed_ordinary_texts() -> list[str]:
    rows = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["body"] for row in rows if not row["spam"] and not row["abuse"] and len(text_words(row["body"])) >= 8]


def test_different_ordinary_replies_never_share_a_band() -> None:
    texts = _seed_ordinary_texts() + POLITE
    assert len(texts) > 200
    collisions = [(a, b) for a, b in itertools.combinations(texts, 2) if _shared_bands(a, b)]
    assert collisions == []


def _detector(counter: HitCounter, threshold: int = 3) -> SpamRunDetector:
    return SpamRunDetector(counter=counter, threshold=threshold, window_seconds=3600)


def _observe_all(detector: SpamRunDetector, sightings: list[tuple[str, str]]) -> list[bool]:
    async def run() -> list[bool]:
        outcomes = [await detector.observe(text, sender) for text, sender in sightings]
        await detector.counter.close()
        return outcomes

    return asyncio.run(run())


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_run_is_counted_in_distinct_senders(kind: str, request: pytest.FixtureRequest) -> None:
    counter: HitCounter = MemoryCounter()
    if kind == "redis":
        counter = RedisCounter.from_url(request.getfixturevalue("redis_db"))
    sightings = [
        (SPUN[0], "a@example.org"),
        (SPUN[1], "A@example.org"),  # the same sender again (addresses compare case-insensitively): not a run
        (SPUN[2], "b@example.org"),
        (SPUN[3], "c@example.org"),  # the third sender
        (POLITE[0], "d@example.org"),  # another text entirely
        ("Great article, thank you!", "e@example.org"),
    ]
    assert _observe_all(_detector(counter), sightings) == [False, False, False, True, False, False]


def test_short_texts_and_a_threshold_of_zero_are_never_runs() -> None:
    short = [("Great article, thank you so much!", f"{n}@example.org") for n in range(10)]
    assert _observe_all(_detector(MemoryCounter()), short) == [False] * 10
    copies = [(SPUN[0], f"{n}@example.org") for n in range(5)]
    assert _observe_all(_detector(MemoryCounter(), threshold=0), copies) == [False] * 5


def test_redis_sets_hold_no_address_and_expire(redis_db: str) -> None:
    _observe_all(_detector(RedisCounter.from_url(redis_db)), [(SPUN[0], "secret.person@example.org")])
    with Redis.from_url(redis_db) as client:
        keys = client.keys("replyguard:run:*")
        assert len(keys) == 10
        for key in keys:
            assert 0 < int(client.ttl(key)) <= 3600
            members = [member.decode() for member in client.smembers(key)]
            assert all("secret" not in member and "example" not in member for member in members)


def test_a_redis_outage_lets_replies_through() -> None:
    gone = RedisCounter.from_url("redis://127.0.0.1:1/0")
    assert _observe_all(_detector(gone, threshold=1), [(SPUN[0], "a@example.org")]) == [False]


def test_a_run_through_the_api_waits_for_a_person(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    answers = [
        client.post(URL, json=reply(RUN.format(n=n, who=who), name=who, email=f"{who}@mail{n}.example")).json()
        for n, who in enumerate(["ana", "bo", "cy", "di"])
    ]
    assert [answer["status"] for answer in answers] == ["published", "published", "pending", "pending"]
    for answer in answers[2:]:
        detail = client.get(f"/api/v1/moderation/comments/{answer['id']}", headers=moderator_headers).json()
        assert "spam_run" in {reason["code"] for reason in detail["reasons"]}
    # Ordinary replies from many readers at the same time are not a run.
    others = [
        client.post(URL, json=reply(text, email=f"r{n}@example.org")).json() for n, text in enumerate(ENGLISH_POLITE)
    ]
    assert {answer["status"] for answer in others} == {"published"}
