"""Scoring in a child process: the same answers as in-process, started and stopped with the app, and a child that
dies costs its batch a person's look (replies wait as pending) while /ready says so, until a new child is ready."""

from __future__ import annotations

import asyncio
import gc
import os
import pickle
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from classifier import Scorer, load_scorer
from service.app import create_app
from service.rules.policy import Overrides
from service.scoring.child_process import ScoringProcess, ScoringProcessDied
from service.scoring.scored import Scored
from service.scoring.state import ScoringState
from service.settings import Settings
from tests.classifier.examples import ABUSE, POLITE, SPAM

SUBMISSIONS = POLITE + SPAM + ABUSE


@pytest.fixture(scope="module")
def scorer(model_dir: Path) -> Scorer:
    return load_scorer(model_dir)


async def _score_all(state: ScoringState) -> list[Scored]:
    return list(await asyncio.gather(*(state.score(submission) for submission in SUBMISSIONS)))


def _ready(state: ScoringState) -> bool:
    return state.ready


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_batch_scored_in_the_child_equals_scoring_in_process(scorer: Scorer) -> None:
    async def scenario() -> tuple[list[Scored], list[Scored]]:
        state = ScoringState(scorer=scorer, overrides=Overrides())
        await state.start_process(ScoringProcess())
        assert state.process is not None
        try:
            return await _score_all(state), state.score_now(SUBMISSIONS)
        finally:
            await asyncio.to_thread(state.process.stop)

    in_child, here = asyncio.run(scenario())
    assert in_child == here
    assert any(scored.scores and scored.scores.contributions for scored in in_child)


def test_requests_sent_before_any_answer_are_answered_in_order_to_their_senders(scorer: Scorer) -> None:
    # Batches larger than the socket's buffers (written and read in pieces), sent back to back before the child has
    # answered the first, and a sender that gave up: each answer reaches the sender it belongs to.
    large = [replace(submission, body=submission.body + " " + "words " * 400) for submission in SUBMISSIONS * 60]
    small = SUBMISSIONS[:2]
    assert scorer.source is not None and scorer.card.thresholds is not None
    model, thresholds = scorer.source, scorer.card.thresholds

    async def scenario() -> list[Any]:
        process = ScoringProcess()
        process.start()
        try:
            answers: list[Any] = []
            pid = await process.load(model)
            gave_up = asyncio.ensure_future(process.load(model))
            await asyncio.sleep(0)  # its request is written: the answer comes back to no one
            gave_up.cancel()
            for batch in (large, small, large):
                process.score_soon(model, batch, thresholds, lambda ok, value: answers.append((ok, value)))
            answers.append(await process.load(model) == pid)
            return answers
        finally:
            await asyncio.to_thread(process.stop)

    answers = asyncio.run(scenario())
    assert answers[-1] is True and len(answers) == 4
    for (succeeded, (scores, signatures, languages)), batch in zip(answers[:3], (large, small, large), strict=True):
        assert succeeded and len(scores) == len(signatures) == len(languages) == len(batch)
        assert [s.abuse_score for s in scores] == pytest.approx(
            [s.abuse_score for s in scorer.score_many(batch)], abs=1e-9
        )


def test_a_dead_child_leaves_its_batch_pending_and_not_ready_until_a_new_child_loaded_the_model(
    scorer: Scorer,
) -> None:
    async def scenario() -> dict[str, Any]:
        process = ScoringProcess()
        state = ScoringState(scorer=scorer, overrides=Overrides())
        await state.start_process(process)
        assert state.ready
        os.kill(await process.load(scorer.source or Path()), signal.SIGKILL)
        lost = await _score_all(state)
        seen = {"lost": lost, "ready_after_death": state.ready, "problem": state.process_problem}
        deadline = time.monotonic() + 60
        while not _ready(state) and time.monotonic() < deadline:  # noqa: ASYNC110 (polls what /ready reads)
            await asyncio.sleep(0.1)
        seen["ready_again"] = _ready(state)
        seen["rescored"] = await _score_all(state)
        await asyncio.to_thread(process.stop)
        return seen

    seen = asyncio.run(scenario())
    assert all(scored.scores is None and scored.thresholds is not None for scored in seen["lost"])
    assert seen["ready_after_death"] is False and "died" in seen["problem"]
    assert seen["ready_again"] is True
    assert all(scored.scores is not None for scored in seen["rescored"])


def test_the_app_starts_the_child_with_the_model_and_ends_it_on_shutdown(settings: Settings) -> None:
    app = create_app(replace(settings, scoring_process=True))  # as `replyguard serve` builds it: heap freeze and all
    with TestClient(app) as client:
        assert client.get("/ready").status_code == 200
        assert gc.get_freeze_count() > 0  # the start-up heap is out of the collector's sight while it serves
        state: ScoringState = app.state.scoring
        assert state.process is not None and state.scorer is not None and state.scorer.source is not None
        with client.portal() as portal:
            pid = portal.call(state.process.load, state.scorer.source)
        assert _alive(pid)
        reply = {"name": "Ann", "email": "ann@example.org", "body": "Thanks for the clear report on the vote."}
        created = client.post("/api/v1/articles/a-1/comments", json=reply)
        assert created.status_code == 201
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert gc.get_freeze_count() == 0  # and collectable again once it has shut down


def test_what_crosses_to_the_child_and_back_pickles_to_equal_values(scorer: Scorer) -> None:
    scores = scorer.score_many(SUBMISSIONS)
    assert pickle.loads(pickle.dumps(SUBMISSIONS)) == SUBMISSIONS
    assert pickle.loads(pickle.dumps(scores)) == scores


PARENT = """
import asyncio, os, signal, sys
from pathlib import Path
from service.scoring.child_process import ScoringProcess

async def main() -> None:
    process = ScoringProcess()
    process.start()
    print(await process.load(Path(sys.argv[1])), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no shutdown: as when the server is killed outright

asyncio.run(main())
"""


def test_a_server_killed_outright_takes_its_scoring_process_with_it(model_dir: Path) -> None:
    parent = subprocess.run(
        [sys.executable, "-c", PARENT, str(model_dir)], capture_output=True, text=True, timeout=60, check=False
    )
    assert parent.returncode == -signal.SIGKILL, parent.stderr
    child = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_a_child_that_stops_answering_is_replaced_and_what_waited_is_answered(scorer: Scorer) -> None:
    # A stuck child (a loop, a pathological input) would otherwise hold every later submission forever.
    assert scorer.source is not None
    model = scorer.source

    async def scenario() -> dict[str, Any]:
        process = ScoringProcess()  # the default timeout while the child starts and loads the model
        process.start()
        try:
            first_pid = await process.load(model)
            process.answer_timeout = 1.0
            answers: list[tuple[bool, Any]] = []
            started = time.monotonic()
            process.send(lambda ok, value: answers.append((ok, value)), time.sleep, 120)  # never answers in time
            process.send(lambda ok, value: answers.append((ok, value)), time.sleep, 0)  # queued behind it
            while len(answers) < 2 and time.monotonic() - started < 30:  # noqa: ASYNC110 (waits for the watchdog)
                await asyncio.sleep(0.05)
            waited = time.monotonic() - started
            process.answer_timeout = 60.0  # the new child starts and loads the model
            second_pid = await process.load(model)
            return {"answers": answers, "waited": waited, "first": first_pid, "second": second_pid}
        finally:
            await asyncio.to_thread(process.stop)

    seen = asyncio.run(scenario())
    assert [ok for ok, _ in seen["answers"]] == [False, False]
    assert all(isinstance(value, ScoringProcessDied) for _, value in seen["answers"])
    assert 1.0 <= seen["waited"] < 10
    assert seen["second"] != seen["first"] and not _alive(seen["first"])


def test_a_slow_child_that_keeps_answering_is_not_replaced(scorer: Scorer) -> None:
    # The timeout counts from the last answer: a queue of batches each under it, together well over it, is fine.
    assert scorer.source is not None
    model = scorer.source

    async def scenario() -> tuple[list[tuple[bool, Any]], int, int]:
        process = ScoringProcess()
        process.start()
        try:
            first_pid = await process.load(model)
            process.answer_timeout = 1.0
            answers: list[tuple[bool, Any]] = []
            for _ in range(4):
                process.send(lambda ok, value: answers.append((ok, value)), time.sleep, 0.5)
            deadline = time.monotonic() + 30
            while len(answers) < 4 and time.monotonic() < deadline:  # noqa: ASYNC110 (waits for the answers)
                await asyncio.sleep(0.05)
            process.answer_timeout = 60.0
            return answers, first_pid, await process.load(model)
        finally:
            await asyncio.to_thread(process.stop)

    answers, first_pid, second_pid = asyncio.run(scenario())
    assert answers == [(True, None)] * 4
    assert second_pid == first_pid
