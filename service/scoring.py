"""The loaded model the service scores with, and what happens when there is none or it fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from classifier import Scorer, Scores, Submission, Thresholds
from service.policy import Overrides, effective_thresholds, needs_explaining

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Scored:
    """A submission's scores (None without a model or when scoring failed) with the thresholds of the model that
    gave them, taken together so a promotion between the two cannot split them."""

    scores: Scores | None
    thresholds: Thresholds | None


@dataclass(slots=True)
class ScoringState:
    """The active scorer, or why there is none. Submissions are never lost for lack of a model: they wait."""

    scorer: Scorer | None
    overrides: Overrides
    problem: str | None = None
    _waiting: list[tuple[Submission, asyncio.Future[Scored]]] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.scorer is not None

    @property
    def version(self) -> str | None:
        return self.scorer.version if self.scorer is not None else None

    async def score(self, submission: Submission) -> Scored:
        """Score a submission together with those of the other requests that get here in the same turn of the
        event loop: one sparse pass over a batch costs far less per reply than one per reply. An idle service
        scores a reply alone, one loop turn later."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Scored] = loop.create_future()
        self._waiting.append((submission, future))
        if len(self._waiting) == 1:
            loop.call_soon(self._score_waiting)
        return await future

    def _score_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        for (_, future), scored in zip(batch, self.score_now([item for item, _ in batch]), strict=True):
            if not future.done():  # its request may have been cancelled meanwhile
                future.set_result(scored)

    def score_now(self, submissions: Sequence[Submission]) -> list[Scored]:
        """Score on the calling thread; a reply whose scoring raised gets None (logged without the text).

        The effective thresholds are worked out once per batch. The terms behind a score are traced only when it
        is high enough to hold the reply, where moderators read them.
        """
        scorer = self.scorer
        if scorer is None:
            return [Scored(None, None) for _ in submissions]
        thresholds = effective_thresholds(scorer.thresholds, self.overrides)
        try:
            scores = scorer.score_many(submissions, explain=lambda scores: needs_explaining(scores, thresholds))
        except Exception:
            if len(submissions) > 1:  # find the one that fails; the others still get their scores
                return [scored for submission in submissions for scored in self.score_now([submission])]
            log.exception("scoring failed; the reply will wait for a person")
            return [Scored(None, thresholds)]
        return [Scored(item, thresholds) for item in scores]
