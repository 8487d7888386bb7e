"""The loaded model the service scores with, and what happens when there is none or it fails."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from classifier import Scorer, Scores, Submission, Thresholds
from service.policy import Overrides, effective_thresholds

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
        """The scores, or None when no model is loaded or scoring raised (logged without the text)."""
        if self.scorer is None:
            return None
        try:
            return self.scorer.score(submission)
        except Exception:
            log.exception("scoring failed; the reply will wait for a person")
            return None
