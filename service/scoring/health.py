"""Whether the loaded model still scores: replies it failed, in a row and in all, and the canary /ready scores."""

from __future__ import annotations

from dataclasses import dataclass

from classifier import Submission

# A model that fails this many replies in a row is broken, not unlucky: /ready says so, and an orchestrator stops
# sending traffic here until a working model is promoted. One odd reply that trips the model is not a reason to.
FAILING_AFTER = 5
# What the readiness probe scores to find out whether a failing model has recovered.
CANARY = Submission(body="Thank you for the article.", name="Reader", website=None, email_domain="example.org")


@dataclass(slots=True)
class Health:
    failures: int = 0  # replies the loaded model failed to score, since start-up
    failures_in_a_row: int = 0

    @property
    def failing(self) -> bool:
        return self.failures_in_a_row >= FAILING_AFTER

    def failed(self) -> None:
        """Count a reply the model could not score."""
        self.failures += 1
        self.failures_in_a_row += 1

    def scored(self) -> None:
        """The model scored a batch: it works again, whatever it failed before."""
        self.failures_in_a_row = 0
