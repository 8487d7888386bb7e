"""The loaded model the service scores with, and what happens when there is none or it fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier import Scorer, Scores, Submission, Thresholds
from service.abuse.spam_runs import signature
from service.rules.policy import Overrides, decision_thresholds, needs_explaining
from service.scoring.child_process import ScoringProcess, ScoringProcessDied

log = logging.getLogger(__name__)

# A model that fails this many replies in a row is broken, not unlucky: /ready says so, and an orchestrator stops
# sending traffic here until a working model is promoted. One odd reply that trips the model is not a reason to.
FAILING_AFTER = 5
# What the readiness probe scores to find out whether a failing model has recovered.
_CANARY = Submission(body="Thank you for the article.", name="Reader", website=None, email_domain="example.org")

Waiting = list[tuple[Submission, "asyncio.Future[Scored]"]]


@dataclass(frozen=True, slots=True)
class Scored:
    """A submission's scores (None without a model or when scoring failed) with the thresholds of the model that
    gave them, taken together so a promotion between the two cannot split them."""

    scores: Scores | None
    thresholds: Thresholds | None
    # The text's spam-run signature (service/abuse/spam_runs.py; None when too short to count), computed with the scores
    # so that in the scoring process it costs the event loop nothing. Present whether or not scoring worked.
    run_signature: list[str] | None = None


@dataclass(slots=True)
class ScoringState:
    """The active scorer, or why there is none. Submissions are never lost for lack of a model: they wait.

    With a `process`, batches of concurrent submissions are scored there (service/scoring/child_process.py); a lone
    submission on an idle service is still scored here, which is quicker than a round trip.
    """

    scorer: Scorer | None
    overrides: Overrides
    problem: str | None = None
    process: ScoringProcess | None = None
    process_problem: str | None = None  # set while the scoring process is being replaced after it died
    failures: int = 0  # replies the loaded model failed to score, since start-up
    failures_in_a_row: int = 0
    _waiting: Waiting = field(default_factory=list)
    _in_process: bool = False  # a batch is being scored in the process
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def ready(self) -> bool:
        return (
            self.scorer is not None
            and self.process_problem is None
            and self.failures_in_a_row < FAILING_AFTER
            and self.thresholds is not None
        )

    def probe(self) -> bool:
        """Readiness, re-checked: a model failing replies in a row gets one trial reply, and is ready again if it
        scores it. Without this, a replica taken out of traffic for failing could never show it had recovered."""
        if self.scorer is not None and self.failures_in_a_row >= FAILING_AFTER:
            self.score_now([_CANARY])
        return self.ready

    def use(self, scorer: Scorer) -> None:
        """Score with `scorer` from now on (a promoted model)."""
        self.scorer, self.problem, self.failures_in_a_row = scorer, None, 0

    @property
    def version(self) -> str | None:
        return self.scorer.version if self.scorer is not None else None

    @property
    def thresholds(self) -> Thresholds | None:
        if self.scorer is None:
            return None
        try:
            return decision_thresholds(self.scorer.card, self.overrides)
        except ValueError as exc:
            # The operator's overrides do not fit this model's card (say a hold above its reject): nothing can be
            # decided automatically, so replies wait for a person and /ready says why, rather than failing.
            self.problem = f"threshold settings do not fit model {self.scorer.version}: {exc}"
            return None

    async def score(self, submission: Submission) -> Scored:
        """Score a submission together with those of the other requests waiting for scores: the ones that get here
        in the same turn of the event loop, and, with a process, those that came while it scored the last batch.
        One pass over a batch costs far less per reply than one per reply."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Scored] = loop.create_future()
        self._waiting.append((submission, future))
        if len(self._waiting) == 1 and not self._in_process:
            loop.call_soon(self._score_waiting)
        return await future

    def _score_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        scorer = self.scorer
        local = self.process is None or scorer is None or scorer.source is None or self.thresholds is None
        if local or len(batch) == 1:
            _settle(batch, self.score_now([item for item, _ in batch]))
            return
        assert scorer is not None  # not `local`
        self._in_process = True
        self._keep(self._score_in_process(scorer, batch))

    async def start_process(self, process: ScoringProcess) -> None:
        """Start scoring batches in `process`, with the active model loaded there first (at start-up)."""
        process.start()
        self.process = process
        if self.scorer is not None and self.scorer.source is not None:
            await self._load_in_process(self.scorer.source)

    async def _load_in_process(self, model_dir: Path) -> None:
        assert self.process is not None
        try:
            pid = await self.process.load(model_dir)
            log.info("scoring process ready", extra={"pid": pid, "model_dir": str(model_dir)})
            self.process_problem = None
        except Exception as exc:
            log.exception("the scoring process cannot load the model")
            self.process_problem = f"the scoring process cannot load the model: {type(exc).__name__}"

    def _keep(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    async def _score_in_process(self, scorer: Scorer, batch: Waiting) -> None:
        assert self.process is not None and scorer.source is not None
        # They fit: _score_waiting checked.
        thresholds = decision_thresholds(scorer.card, self.overrides)
        try:
            scores, signatures = await self.process.score(scorer.source, [item for item, _ in batch], thresholds)
            self.process_problem = None
            _settle(batch, [Scored(item, thresholds, sign) for item, sign in zip(scores, signatures, strict=True)])
        except ScoringProcessDied as exc:
            log.error("scoring process died; %d replies will wait for a person", len(batch))
            self.process_problem = str(exc)
            _settle(batch, [Scored(None, thresholds, signature(item.body)) for item, _ in batch])
            self._keep(self._load_in_process(scorer.source))  # ready again once the new child has the model
        except Exception:
            # What scoring raised in the child: score here instead, which isolates the reply that fails.
            _settle(batch, self.score_now([item for item, _ in batch]))
        finally:
            self._in_process = False
            if self._waiting:
                asyncio.get_running_loop().call_soon(self._score_waiting)

    def score_now(self, submissions: Sequence[Submission]) -> list[Scored]:
        """Score on the calling thread; a reply whose scoring raised gets None (logged without the text).

        The effective thresholds are worked out once per batch. The terms behind a score are traced only when it
        is high enough to hold the reply, where moderators read them.
        """
        scorer, thresholds = self.scorer, self.thresholds
        if scorer is None or thresholds is None:
            return [Scored(None, None, signature(item.body)) for item in submissions]
        try:
            scores = scorer.score_many(submissions, explain=lambda scores: needs_explaining(scores, thresholds))
        except Exception:
            if len(submissions) > 1:  # find the one that fails; the others still get their scores
                return [scored for submission in submissions for scored in self.score_now([submission])]
            log.exception("scoring failed; the reply will wait for a person")
            self.failures += 1
            self.failures_in_a_row += 1
            if self.failures_in_a_row >= FAILING_AFTER:
                self.problem = f"model {scorer.version} failed the last {self.failures_in_a_row} replies"
            return [Scored(None, thresholds, signature(submissions[0].body))]
        self.failures_in_a_row = 0
        return [Scored(item, thresholds, signature(sub.body)) for item, sub in zip(scores, submissions, strict=True)]


def _settle(batch: Waiting, results: Sequence[Scored]) -> None:
    for (_, future), scored in zip(batch, results, strict=True):
        if not future.done():  # its request may have been cancelled meanwhile
            future.set_result(scored)
