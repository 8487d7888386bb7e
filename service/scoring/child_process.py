"""Scoring in a child process, so the event loop keeps only HTTP and the database and scoring uses another core.

Under load the submit path was CPU-bound in one process; scoring was about a third of the time holding the GIL
(docs/performance.md). The child loads the same model folder with the same skops trusted-type check and runs the
same Scorer.score_many, so the answers are those of scoring in-process. The parent sends a batch at a time: the
submissions queued while the previous batch was scored.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from classifier import Scorer, Scores, Submission, Thresholds, load_scorer
from classifier.language import detect_language, load_detector
from service.abuse.spam_runs import signature
from service.rules.policy import needs_explaining

log = logging.getLogger(__name__)
T = TypeVar("T")

# In the child: the model it scores with, by folder. One is kept; a promotion loads the next on its first batch.
_loaded: dict[Path, Scorer] = {}


def _scorer_for(model_dir: Path) -> Scorer:
    scorer = _loaded.get(model_dir)
    if scorer is None:
        _loaded.clear()
        scorer = _loaded[model_dir] = load_scorer(model_dir)
        gc.freeze()  # as at the app's start-up: full collections then skip the libraries and the model
    return scorer


def _load(model_dir: Path) -> int:
    load_detector()
    _scorer_for(model_dir)
    return os.getpid()


def _score(
    model_dir: Path, submissions: Sequence[Submission], thresholds: Thresholds
) -> tuple[list[Scores], list[list[str] | None], list[str | None]]:
    scores = _scorer_for(model_dir).score_many(submissions, explain=lambda scores: needs_explaining(scores, thresholds))
    bodies = [submission.body for submission in submissions]
    return scores, [signature(body) for body in bodies], [detect_language(body) for body in bodies]


def _exit_with_parent() -> None:
    """In the child, first thing: end when the server process ends, however it ended. A server killed outright skips
    the app's shutdown, and the child would otherwise wait for work forever (it holds its queue's pipe open)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_when_ready, args=(parent.sentinel,), daemon=True).start()


def _exit_when_ready(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # readable once the parent has exited
    os._exit(0)


class ScoringProcessDied(RuntimeError):
    """The child process ended while scoring a batch (killed, out of memory); a new one is started."""


class ScoringProcess:
    """One child process that scores batches; started and stopped with the app (service/web/runtime.py)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        # spawn, not fork: the parent has threads (database, executor) that a forked child would inherit mid-state.
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_exit_with_parent
        )

    async def load(self, model_dir: Path) -> int:
        """Load the model in the child before traffic needs it; returns the child's process id."""
        return await self._run(_load, model_dir)

    async def score(
        self, model_dir: Path, submissions: Sequence[Submission], thresholds: Thresholds
    ) -> tuple[list[Scores], list[list[str] | None], list[str | None]]:
        """The scores of the model in `model_dir` with terms for those that reach a hold threshold, each text's
        spam-run signature (service/abuse/spam_runs.py) and its language (classifier/language.py).

        Raises ScoringProcessDied when the child died on the batch (it is replaced for the next one), or what
        scoring raised in the child.
        """
        return await self._run(_score, model_dir, list(submissions), thresholds)

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        pool = self._pool
        if pool is None:
            raise ScoringProcessDied("the scoring process is not running")
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
        except BrokenProcessPool as exc:
            if self._pool is pool:  # the first to see it starts the next child
                log.error("the scoring process died; starting another")
                pool.shutdown(wait=False, cancel_futures=True)
                self.start()
            raise ScoringProcessDied("the scoring process died while scoring") from exc

    def stop(self) -> None:
        """Wait for the batch in hand, then end the child (at shutdown, after the replies are drained)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
