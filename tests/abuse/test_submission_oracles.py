"""A submission's answer says nothing about anyone else's email: neither the duplicate rule, nor the spam-run rule,
nor the rate limits can confirm that a guessed address sent a reply (issue 20, findings 1 and 2).

Over real HTTP on loopback, with the limits on as a fresh clone has them: the victim posts from 127.0.0.1, the
prober from 127.0.0.2 (Linux routes all of 127/8 to loopback), first with the victim's address, then with a wrong one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service.settings import Settings
from tests.replies import POLITE, reply

VICTIM = "victim.person@example.org"
WRONG_GUESS = "not.the.victim@example.org"
# A stock phrase (under the 8 words that make a text distinctive): copies of it on other articles are no duplicate.
SHORT = "Thanks, lovely photos."
# Texts a spam run would spin: each `who` gives a near-copy (numbers fold to one word), never an exact one.
SPUN = [
    "I read every word of this and honestly it changed how I think about the {n} harbour project, thank you {who}",
    "My neighbours and I walked the new riverside path on day {n} and we loved every bench, cheers {who}",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The fresh clone's limits (20 per client address, 5 per email a minute), with room for this module's posts.
    return settings.with_overrides(rate_limit_enabled=True, submit_limit_per_address=100)


@pytest.fixture
def victim(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client


@pytest.fixture
def prober(live_server: str) -> Iterator[httpx.Client]:
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=live_server, transport=transport, timeout=30) as client:
        yield client


def _url(article_id: str) -> str:
    return f"/api/v1/articles/{article_id}/comments"


def _post(client: httpx.Client, article_id: str, body: str, email: str) -> dict[str, Any]:
    response = client.post(_url(article_id), json=reply(body, email=email))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _reasons(client: httpx.Client, comment_id: str, headers: dict[str, str]) -> set[str]:
    detail = client.get(f"/api/v1/moderation/comments/{comment_id}", headers=headers).json()
    return {reason["code"] for reason in detail["reasons"]}


def test_a_copy_of_a_published_reply_is_answered_alike_whatever_the_email(
    victim: httpx.Client, prober: httpx.Client, moderator_headers: dict[str, str]
) -> None:
    long_reply, short_reply = POLITE[3], SHORT
    assert _post(victim, "oracle-original", long_reply, VICTIM)["status"] == "published"
    assert _post(victim, "oracle-original", short_reply, VICTIM)["status"] == "published"

    # Each probe on an article of its own, so one probe's copy cannot decide another's answer.
    probes = {
        (body, email): _post(prober, f"oracle-probe-{n}", body, email)
        for n, (body, email) in enumerate(
            [(long_reply, VICTIM), (long_reply, WRONG_GUESS), (short_reply, VICTIM), (short_reply, WRONG_GUESS)]
        )
    }
    statuses = {probe: answer["status"] for probe, answer in probes.items()}
    assert statuses[(long_reply, VICTIM)] == statuses[(long_reply, WRONG_GUESS)] == "pending", statuses
    assert statuses[(short_reply, VICTIM)] == statuses[(short_reply, WRONG_GUESS)] == "published", statuses
    # The held copies say why, to moderators only.
    for email in (VICTIM, WRONG_GUESS):
        assert "duplicate" in _reasons(victim, probes[(long_reply, email)]["id"], moderator_headers)


def test_a_real_repeat_poster_is_still_held(victim: httpx.Client, moderator_headers: dict[str, str]) -> None:
    assert _post(victim, "oracle-repeat", SHORT, VICTIM)["status"] == "published"
    again = _post(victim, "oracle-repeat", SHORT, VICTIM)  # a double post, however short
    assert again["status"] == "pending"
    assert "duplicate" in _reasons(victim, again["id"], moderator_headers)
    elsewhere = _post(victim, "oracle-repeat-elsewhere", POLITE[4], VICTIM)
    pasted = _post(victim, "oracle-repeat-pasted", POLITE[4], VICTIM)  # one distinctive text pasted around
    assert elsewhere["status"] == "published" and pasted["status"] == "pending"
    assert "duplicate" in _reasons(victim, pasted["id"], moderator_headers)


def test_the_email_limit_does_not_tell_a_stranger_about_the_victim(victim: httpx.Client, prober: httpx.Client) -> None:
    def codes(client: httpx.Client, email: str, tag: str, times: int) -> list[int]:
        return [
            client.post(_url("oracle-limit"), json=reply(f"{POLITE[n % 5]} ({tag} {n})", email=email)).status_code
            for n in range(times)
        ]

    assert codes(victim, VICTIM, "victim", 4) == [201] * 4  # the victim is active this minute
    # The prober gets the same allowance with the victim's address as with any other: 5, then 429.
    assert codes(prober, VICTIM, "probe", 6) == [201] * 5 + [429]
    assert codes(prober, WRONG_GUESS, "control", 6) == [201] * 5 + [429]
    # ...and has not used up the victim's own: their fifth still goes through, their sixth does not.
    assert codes(victim, VICTIM, "victim again", 2) == [201, 429]


def test_a_near_copy_is_answered_alike_whatever_the_email(victim: httpx.Client, prober: httpx.Client) -> None:
    """The spam-run rule counts senders of near-copies (3 make a run). Counted by email alone, the victim's address
    added no sender: a prober who brought a text's count to 2 got `published` with the right guess and `pending`
    with any other. Each guess gets a text of its own, so the two probes start from the same count."""
    statuses = {}
    for n, (text, guess) in enumerate(zip(SPUN, (VICTIM, WRONG_GUESS), strict=True)):
        assert _post(victim, f"run-original-{n}", text.format(n=1, who="ana"), VICTIM)["status"] == "published"
        helper = _post(prober, f"run-helper-{n}", text.format(n=2, who="bo"), f"helper{n}@example.org")
        assert helper["status"] == "published"  # two senders: no run yet
        statuses[guess] = _post(prober, f"run-probe-{n}", text.format(n=3, who="cy"), guess)["status"]
    assert statuses == {VICTIM: "pending", WRONG_GUESS: "pending"}
