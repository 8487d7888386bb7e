"""The model the service scores with: the active scorer, the thresholds its replies are judged by, promotion."""

from __future__ import annotations

from dataclasses import dataclass

from classifier import Scorer, Thresholds
from service.rules.policy import Overrides, decision_thresholds


@dataclass(slots=True)
class ActiveModel:
    """The active scorer, or why there is none (`problem`, shown by /ready)."""

    scorer: Scorer | None
    overrides: Overrides
    problem: str | None = None

    def use(self, scorer: Scorer) -> None:
        """Score with `scorer` from now on (a promoted model)."""
        self.scorer, self.problem = scorer, None

    @property
    def version(self) -> str | None:
        return self.scorer.version if self.scorer is not None else None

    def thresholds_of(self, scorer: Scorer) -> Thresholds:
        """The card's thresholds for the configured policy with the operator's overrides; ValueError when they do
        not fit together."""
        return decision_thresholds(scorer.card, self.overrides)

    @property
    def thresholds(self) -> Thresholds | None:
        if self.scorer is None:
            return None
        try:
            return self.thresholds_of(self.scorer)
        except ValueError as exc:
            # The operator's overrides do not fit this model's card (say a hold above its reject): nothing can be
            # decided automatically, so replies wait for a person and /ready says why, rather than failing.
            self.problem = f"threshold settings do not fit model {self.scorer.version}: {exc}"
            return None
