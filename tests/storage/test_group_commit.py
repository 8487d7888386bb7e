"""Group commit: concurrent replies share transactions, yet each answer is its own, and one bad reply spoils nothing.

These run through a real server process-in-thread (live_server) so requests truly overlap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import httpx
import pytest
from sqlalchemy.exc import IntegrityError

from service.storage.group_commit import GroupCommit
from tests.replies import POLITE, reply

URL = "/api/v1/articles/group/comments"


async def _burst(base_url: str, requests: Sequence[tuple[dict[str, object], dict[str, str]]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        return list(await asyncio.gather(*(http.post(URL, json=body, headers=headers) for body, headers in requests)))


def test_a_burst_is_stored_whole_with_every_answer_its_own(live_server: str) -> None:
    bodies = [reply(f"{POLITE[n % 5]} (burst {n})", email=f"reader{n}@example.org") for n in range(48)]
    answers = asyncio.run(_burst(live_server, [(body, {}) for body in bodies]))
    assert [answer.status_code for answer in answers] == [201] * 48
    assert [answer.json()["body"] for answer in answers] == [body["body"] for body in bodies]
    assert len({answer.json()["id"] for answer in answers}) == 48
    published = sum(answer.json()["status"] == "published" for answer in answers)
    count = httpx.get(f"{live_server}{URL}/count").json()["count"]
    assert count == published  # the batch's published replies were counted once each


def test_one_idempotency_key_in_a_burst_stores_one_reply(live_server: str) -> None:
    same = reply(POLITE[3])
    answers = asyncio.run(_burst(live_server, [(same, {"Idempotency-Key": "burst-key"})] * 16))
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert httpx.get(f"{live_server}{URL}/count").json()["count"] == 1


def test_a_bad_parent_in_a_burst_fails_alone(live_server: str) -> None:
    requests: list[tuple[dict[str, object], dict[str, str]]] = [
        (reply(f"{POLITE[n % 5]} (mixed {n})", email=f"mixed{n}@example.org"), {}) for n in range(12)
    ]
    requests[5] = (reply(POLITE[0], parent_id="0190aaaa-0000-7000-8000-000000000000"), {})
    answers = asyncio.run(_burst(live_server, requests))
    assert [answer.status_code for answer in answers] == [201] * 5 + [422] + [201] * 6
    assert answers[5].json()["errors"][0]["field"] == "parent_id"


def test_a_repeat_inside_one_burst_is_held_as_a_duplicate(live_server: str) -> None:
    same = reply("I wrote this once and my browser sent it twice, sorry about that.")
    answers = asyncio.run(_burst(live_server, [(same, {})] * 2))
    statuses = sorted(answer.json()["status"] for answer in answers)
    assert statuses == ["pending", "published"]


# The mechanism itself, without a database: how batches form and how failures are shared out.


def test_batches_form_only_while_a_transaction_runs() -> None:
    sizes: list[int] = []

    async def run_batch(items: Sequence[int]) -> list[int | Exception]:
        sizes.append(len(items))
        await asyncio.sleep(0.01)  # the transaction
        return [item * 2 for item in items]

    async def scenario() -> tuple[int, list[int]]:
        group: GroupCommit[int, int] = GroupCommit(run_batch, max_batch=8)
        alone = await group.run(1)
        together = await asyncio.gather(*(group.run(n) for n in range(20)))
        return alone, list(together)

    alone, together = asyncio.run(scenario())
    assert alone == 2 and together == [n * 2 for n in range(20)]
    assert sizes[0] == 1  # an idle service commits a request alone, without waiting for company
    assert max(sizes) == 8 and sum(sizes) == 21


def test_a_constraint_error_reruns_the_batch_item_by_item() -> None:
    async def run_batch(items: Sequence[int]) -> list[int | Exception]:
        if 13 in items:
            raise IntegrityError("insert", {}, Exception("duplicate key"))
        return list(items)

    async def scenario() -> list[int | BaseException]:
        group: GroupCommit[int, int] = GroupCommit(run_batch)
        return list(await asyncio.gather(*(group.run(n) for n in (11, 12, 13, 14)), return_exceptions=True))

    outcomes = asyncio.run(scenario())
    assert outcomes[0] == 11 and outcomes[1] in (12,) and outcomes[3] == 14
    assert isinstance(outcomes[2], IntegrityError)


def test_any_other_failure_is_every_items_answer_and_nothing_is_retried() -> None:
    calls: list[int] = []

    async def run_batch(items: Sequence[int]) -> list[int | Exception]:
        calls.append(len(items))
        await asyncio.sleep(0)
        raise ConnectionError("database went away")

    async def scenario() -> list[int | BaseException]:
        group: GroupCommit[int, int] = GroupCommit(run_batch)
        first = asyncio.ensure_future(group.run(0))
        await asyncio.sleep(0)  # the first batch is running; the next three queue behind it
        rest = await asyncio.gather(*(group.run(n) for n in (1, 2, 3)), return_exceptions=True)
        (head,) = await asyncio.gather(first, return_exceptions=True)
        return [head, *rest]

    outcomes = asyncio.run(scenario())
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert calls == [1, 3]


def test_a_caller_that_goes_away_does_not_lose_its_item() -> None:
    written: list[int] = []

    async def run_batch(items: Sequence[int]) -> list[int | Exception]:
        await asyncio.sleep(0.01)
        written.extend(items)
        return list(items)

    async def scenario() -> None:
        group: GroupCommit[int, int] = GroupCommit(run_batch)
        task = asyncio.ensure_future(group.run(7))
        await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await group.drain()

    asyncio.run(scenario())
    assert written == [7]


def test_an_item_queued_as_the_writer_finishes_is_still_written() -> None:
    # The late caller wakes in the very loop turn the writer sees its queue empty, before the writer's done callback
    # runs: it must not count the finished writer as one still working and wait forever.
    async def scenario() -> list[int]:
        gate = asyncio.Event()
        group: GroupCommit[int, int] = GroupCommit(lambda items: _open_gate(gate, items))
        late = asyncio.ensure_future(_after(gate, group.run, 2))
        first = await group.run(1)
        return [first, await asyncio.wait_for(late, timeout=5)]

    assert asyncio.run(scenario()) == [1, 2]


async def _open_gate(gate: asyncio.Event, items: Sequence[int]) -> list[int | Exception]:
    gate.set()  # wakes the late caller; the writer goes on to find its queue empty without yielding
    return list(items)


async def _after(gate: asyncio.Event, run: Callable[[int], Awaitable[int]], item: int) -> int:
    await gate.wait()
    return await run(item)


@pytest.mark.parametrize("answer", [[], [1], None], ids=["none", "too few", "not a list"])
def test_a_batch_answered_with_the_wrong_number_of_outcomes_still_answers_every_caller(answer: object) -> None:
    # A runner bug must surface as an error for each caller, not as requests that wait forever.
    async def run_batch(items: Sequence[int]) -> list[int | Exception]:
        await asyncio.sleep(0)
        return answer if len(items) > 1 else list(items)  # type: ignore[return-value]

    async def scenario() -> list[int | BaseException]:
        group: GroupCommit[int, int] = GroupCommit(run_batch)
        first = asyncio.ensure_future(group.run(0))
        await asyncio.sleep(0)  # the first batch is running; the next two queue behind it as one batch
        rest = asyncio.gather(*(group.run(n) for n in (1, 2)), return_exceptions=True)
        return [await first, *await asyncio.wait_for(rest, timeout=5)]

    outcomes = asyncio.run(scenario())
    assert outcomes[0] == 0
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes[1:])
