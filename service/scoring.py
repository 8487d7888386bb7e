"""The loaded model the service scores with, and what happens when there is none or it fails."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from classifier import Scorer, Scores, Submission, Thresholds
from service.policy import Overrides, effective_thresholds, needs_explaining

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ScoringState:
    """The active scorer, or why there is none. Submissions are never lost for lack of a model: they wait."""

    scorer: Scorer | None
    overrides: Overrides
    problem: str | None = None

    @property
    def ready(self) -> bool:
        return self.scorer is not None

    @property
    def version(self) -> str | None:
        return self.scorer.version if self.scorer is not None else None

    @property
    def thresholds(self) -> Thresholds | None:
        if self.scorer is None:
            return None
        return effective_thresholds(self.scorer.thresholds, self.overrides)

    def score(self, submission: Submission) -> Scores | None:
        """The scores, or None when no model is loaded or scoring raised (logged without the text).

        The terms behind a score are traced only when it is high enough to hold the reply, where moderators read
        them; most replies are clean and skip that half of the cost.
        """
        scorer = self.scorer
        if scorer is None:
            return None
        try:
            quick = scorer.score(submission, explain=False)
            if needs_explaining(quick, effective_thresholds(scorer.thresholds, self.overrides)):
                return scorer.score(submission)
            return quick
        except Exception:
            log.exception("scoring failed; the reply will wait for a person")
            return None
