"""The service's scoring, as routes and use cases see it: one object composed of the active model
(service/scoring/model.py), the batcher (batcher.py), the child-process supervisor (supervisor.py) and the model's
health (health.py). Submissions are never lost for lack of a model: they wait for a person."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any

from classifier import Scorer, Submission, Thresholds
from service.rules.policy import Overrides
from service.scoring.batcher import Batcher
from service.scoring.child_process import ScoringProcess
from service.scoring.health import CANARY, Health
from service.scoring.model import ActiveModel
from service.scoring.scored import Scored
from service.scoring.supervisor import ChildSupervisor


class ScoringState:
    """The active scorer, or why there is none; batches of concurrent submissions scored together, in a child
    process once `start_process` gave one; and whether all of it is ready for traffic."""

    __slots__ = ("batcher", "child", "health", "model")

    def __init__(self, scorer: Scorer | None, overrides: Overrides, problem: str | None = None) -> None:
        self.model = ActiveModel(scorer, overrides, problem)
        self.health = Health()
        self.child = ChildSupervisor()
        self.batcher = Batcher(self.model, self.health, self.child)

    def score(self, submission: Submission) -> Coroutine[Any, Any, Scored]:
        """The submission's scores, batched with the concurrent ones (Batcher.score; awaited by the caller)."""
        return self.batcher.score(submission)

    def score_now(self, submissions: Sequence[Submission]) -> list[Scored]:
        """Score on the calling thread (Batcher.score_now)."""
        return self.batcher.score_now(submissions)

    async def start_process(self, process: ScoringProcess) -> None:
        """Start scoring batches in `process`, with the active model loaded there first (at start-up)."""
        scorer = self.model.scorer
        await self.child.start(process, scorer.source if scorer is not None else None)

    def use(self, scorer: Scorer) -> None:
        """Score with `scorer` from now on (a promoted model)."""
        self.model.use(scorer)
        self.health.scored()

    @property
    def ready(self) -> bool:
        return (
            self.model.scorer is not None
            and self.child.problem is None
            and not self.health.failing
            and self.model.thresholds is not None
        )

    def probe(self) -> bool:
        """Readiness, re-checked: a model failing replies in a row gets one trial reply, and is ready again if it
        scores it. Without this, a replica taken out of traffic for failing could never show it had recovered."""
        if self.model.scorer is not None and self.health.failing:
            self.batcher.score_now([CANARY])
        return self.ready

    @property
    def scorer(self) -> Scorer | None:
        return self.model.scorer

    @property
    def version(self) -> str | None:
        return self.model.version

    @property
    def thresholds(self) -> Thresholds | None:
        return self.model.thresholds

    @property
    def problem(self) -> str | None:
        return self.model.problem

    @problem.setter
    def problem(self, why: str | None) -> None:
        self.model.problem = why

    @property
    def process(self) -> ScoringProcess | None:
        return self.child.process

    @property
    def process_problem(self) -> str | None:
        return self.child.problem

    @property
    def failures(self) -> int:
        return self.health.failures
