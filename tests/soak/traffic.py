"""The soak run's load driver: a fixed number of asyncio clients sending a weighted mix of real traffic.

Each request declares the statuses it may get; anything else (every 5xx included) is recorded as unexpected, and a
transport error is recorded apart. 409s from racing moderators and replayed Idempotency-Keys are expected outcomes.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.replies import ABUSIVE, POLITE, SPAM, reply

ARTICLES = [f"soak-{n}" for n in range(4)]
# Every reply to this one waits for a person, so the moderators always have a queue to work (the model alone holds
# too few of these replies for that).
PREMODERATED = ARTICLES[-1]
PAGE_LIMIT = 5
MAX_PAGES = 3  # a reader rarely goes past the third page; bounded so reads stay comparable over the run


@dataclass
class Tally:
    """What all clients saw, shared by them (one event loop, so no locks)."""

    statuses: defaultdict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    invalid: Counter[str] = field(default_factory=Counter)  # invalid payloads sent, by case
    acknowledged: dict[str, str] = field(default_factory=dict)  # comment id -> article_id, from every 201
    published: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # parents to reply to
    unexpected: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for counts in self.statuses.values() for status, n in counts.items() if status >= 500)


@dataclass
class Client:
    http: httpx.AsyncClient
    tally: Tally
    rng: random.Random
    moderator: dict[str, str]
    name: str
    sent: int = 0

    async def call(self, kind: str, method: str, url: str, expected: set[int], **kwargs: Any) -> httpx.Response | None:
        """One request, timed and tallied under `kind`; None after a transport error."""
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            self.tally.transport_errors.append(f"{kind} {method} {url}: {error!r}")
            return None
        self.tally.latencies[kind].append(time.perf_counter() - started)
        self.tally.statuses[kind][response.status_code] += 1
        if response.status_code not in expected:
            self.tally.unexpected.append(f"{kind} {method} {url}: {response.status_code} {response.text[:200]}")
        return response

    def submission(self, body: str) -> dict[str, object]:
        self.sent += 1
        # Distinct bodies and a few dozen authors, as on a busy site (same body + email would be held as a duplicate).
        return reply(f"{body} ({self.name}-{self.sent})", email=f"reader{self.rng.randrange(40)}@example.org")

    def acknowledge(self, article: str, response: httpx.Response | None) -> None:
        if response is not None and response.status_code == 201:
            created = response.json()
            self.tally.acknowledged[created["id"]] = article
            if created["status"] == "published":
                self.tally.published[article].append(created["id"])


def _comments(article: str) -> str:
    return f"/api/v1/articles/{article}/comments"


async def submit(client: Client, kind: str, bodies: list[str]) -> None:
    article = client.rng.choice(ARTICLES)
    payload = client.submission(client.rng.choice(bodies))
    client.acknowledge(article, await client.call(kind, "POST", _comments(article), {201}, json=payload))


async def submit_polite(client: Client) -> None:
    await submit(client, "submit_polite", POLITE)  # English, French, German, Spanish, Japanese, Arabic


async def submit_spam(client: Client) -> None:
    await submit(client, "submit_spam", SPAM)


async def submit_abusive(client: Client) -> None:
    await submit(client, "submit_abusive", ABUSIVE)


async def submit_reply(client: Client) -> None:
    """A reply to a comment the run saw published (moderators here never take one down, so it stays a parent)."""
    article = client.rng.choice(ARTICLES)
    if not client.tally.published[article]:
        return await submit_polite(client)
    payload = {
        **client.submission(client.rng.choice(POLITE)),
        "parent_id": client.rng.choice(client.tally.published[article]),
    }
    client.acknowledge(article, await client.call("submit_reply", "POST", _comments(article), {201}, json=payload))


async def retry_with_idempotency_key(client: Client) -> None:
    """A double-clicked submit: the retry answers the first 201 and stores nothing new."""
    article = client.rng.choice(ARTICLES)
    payload, headers = client.submission(client.rng.choice(POLITE)), {"Idempotency-Key": str(uuid.uuid4())}
    first = await client.call("idempotent_first", "POST", _comments(article), {201}, json=payload, headers=headers)
    retry = await client.call("idempotent_retry", "POST", _comments(article), {201}, json=payload, headers=headers)
    client.acknowledge(article, first)
    if first is not None and retry is not None and retry.status_code == 201 and retry.json() != first.json():
        client.tally.unexpected.append(f"idempotent_retry: a different answer {retry.text[:200]}")


def _invalid_cases() -> dict[str, tuple[int, dict[str, Any]]]:
    """Invalid submissions and the one status each must get."""
    good = reply(POLITE[0])
    return {
        "malformed_json": (400, {"content": b'{"name": "Ana", ', "headers": {"Content-Type": "application/json"}}),
        "not_an_object": (400, {"content": b"[1, 2]", "headers": {"Content-Type": "application/json"}}),
        "missing_email": (422, {"json": {"name": "Ana", "body": POLITE[1]}}),
        "bad_email": (422, {"json": reply(POLITE[1], email="ana@@example")}),
        "body_too_long": (422, {"json": reply("x" * 5001)}),
        "control_character": (422, {"json": reply("nul \x00 byte")}),
        "bad_website": (422, {"json": reply(POLITE[2], website="javascript:alert(1)")}),
        "unknown_parent": (422, {"json": reply(POLITE[3], parent_id=str(uuid.uuid4()))}),
        "wrong_media_type": (415, {"content": json.dumps(good).encode(), "headers": {"Content-Type": "text/plain"}}),
        "oversized": (413, {"json": reply("y" * 70_000)}),
    }


INVALID_CASES = _invalid_cases()


async def submit_invalid(client: Client) -> None:
    case = client.rng.choice(sorted([*INVALID_CASES, "bad_article_id", "idempotency_conflict"]))
    client.tally.invalid[case] += 1
    if case == "bad_article_id":
        await client.call("submit_invalid", "POST", "/api/v1/articles/bad%20id!/comments", {422}, json=reply("ok"))
    elif case == "idempotency_conflict":
        await idempotency_conflict(client)
    else:
        status, request = INVALID_CASES[case]
        await client.call("submit_invalid", "POST", _comments(client.rng.choice(ARTICLES)), {status}, **request)


async def idempotency_conflict(client: Client) -> None:
    """The same key with a different payload is 409 and stores nothing new."""
    article, headers = client.rng.choice(ARTICLES), {"Idempotency-Key": str(uuid.uuid4())}
    first = await client.call(
        "idempotent_first", "POST", _comments(article), {201}, json=client.submission(POLITE[4]), headers=headers
    )
    client.acknowledge(article, first)
    changed = client.submission(POLITE[5])
    await client.call("submit_invalid", "POST", _comments(article), {409}, json=changed, headers=headers)


async def read_pages(client: Client) -> None:
    """A reader paging through an article's thread by cursor."""
    params: dict[str, Any] = {"limit": PAGE_LIMIT, "order": client.rng.choice(["oldest", "newest"])}
    url = _comments(client.rng.choice(ARTICLES))
    for _ in range(MAX_PAGES):
        response = await client.call("read_page", "GET", url, {200}, params=params)
        cursor = response.json()["next_cursor"] if response is not None and response.status_code == 200 else None
        if cursor is None:
            return
        params["cursor"] = cursor


async def read_count(client: Client) -> None:
    await client.call("read_count", "GET", f"{_comments(client.rng.choice(ARTICLES))}/count", {200})


async def moderate(client: Client) -> None:
    """A moderator takes an item off the pending queue; another may have decided it first (409)."""
    queue = await client.call(
        "moderate_queue", "GET", "/api/v1/moderation/queue", {200}, params={"limit": 10}, headers=client.moderator
    )
    items = queue.json()["items"] if queue is not None and queue.status_code == 200 else []
    if not items:
        return
    item = client.rng.choice(items)
    approve = client.rng.random() < 0.5
    decision = {"action": "approve"} if approve else {"action": "reject", "reason": "spam"}
    url = f"/api/v1/moderation/comments/{item['id']}/decision"
    response = await client.call(
        "moderate_decide",
        "POST",
        url,
        {200, 409},
        json={**decision, "expected_status": "pending"},
        headers=client.moderator,
    )
    if response is not None and response.status_code == 200 and approve:
        client.tally.published[item["article_id"]].append(item["id"])


Action = Callable[[Client], Awaitable[None]]
# Weights: mostly readers and ordinary replies, as on a news site; enough of the rest to exercise every path.
MIX: list[tuple[Action, int]] = [
    (submit_polite, 24),
    (submit_reply, 10),
    (submit_spam, 6),
    (submit_abusive, 4),
    (submit_invalid, 8),
    (retry_with_idempotency_key, 5),
    (read_pages, 22),
    (read_count, 12),
    (moderate, 9),
]


async def drive(client: Client, *, until: float) -> None:
    """Send actions from the mix, one at a time, until the monotonic clock passes `until`."""
    actions, weights = zip(*MIX, strict=True)
    while time.monotonic() < until:
        await client.rng.choices(actions, weights)[0](client)
