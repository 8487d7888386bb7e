"""The loaded model the service scores with, and what happens when there is none or it fails."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from classifier import Scorer, Scores, Submission, Thresholds
from service.policy import Overrides, effective_thresholds, needs_explaining

log = logging.getLogger(__name__)

# A model that fails this many replies in a row is broken, not unlucky: /ready says so, and an orchestrator stops
# sending traffic here until a working model is promoted. One odd reply that trips the model is not a reason to.
FAILING_AFTER = 5
# What the readiness probe scores to find out whether a failing model has recovered.
_CANARY = Submission(body="Thank you for the article.", name="Reader", website=None, email_domain="example.org")


@dataclass(slots=True)
class ScoringState:
    """The active scorer, or why there is none. Submissions are never lost for lack of a model: they wait."""

    scorer: Scorer | None
    overrides: Overrides
    problem: str | None = None
    failures: int = 0  # replies the loaded model failed to score, since start-up
    failures_in_a_row: int = 0

    @property
    def ready(self) -> bool:
        return self.scorer is not None and self.failures_in_a_row < FAILING_AFTER and self.thresholds is not None

    def probe(self) -> bool:
        """Readiness, re-checked: a model failing replies in a row gets one trial reply, and is ready again if it
        scores it. Without this, a replica taken out of traffic for failing could never show it had recovered."""
        if self.scorer is not None and self.failures_in_a_row >= FAILING_AFTER:
            self.score(_CANARY)
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
            return effective_thresholds(self.scorer.thresholds, self.overrides)
        except ValueError as exc:
            # The operator's overrides do not fit this model's card (say a hold above its reject): nothing can be
            # decided automatically, so replies wait for a person and /ready says why, rather than failing.
            self.problem = f"threshold settings do not fit model {self.scorer.version}: {exc}"
            return None

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
            scores = scorer.score(submission) if needs_explaining(quick, self.thresholds) else quick
        except Exception:
            log.exception("scoring failed; the reply will wait for a person")
            self.failures += 1
            self.failures_in_a_row += 1
            if self.failures_in_a_row >= FAILING_AFTER:
                self.problem = f"model {scorer.version} failed the last {self.failures_in_a_row} replies"
            return None
        self.failures_in_a_row = 0
        return scores
