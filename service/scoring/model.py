"""The model the service scores with: the active scorer, the thresholds its replies are judged by, promotion."""

from __future__ import annotations

from dataclasses import dataclass, field

from classifier import Scorer, Thresholds
from service.rules.policy import Overrides, decision_thresholds


@dataclass(slots=True)
class ActiveModel:
    """The active scorer, or why there is none (`problem`, shown by /ready)."""

    scorer: Scorer | None
    overrides: Overrides
    problem: str | None = None
    # The last answer of thresholds_of and what it was for: every batch of replies asks, twice, and working them out
    # (the card's policy set, the overrides, the checks of Thresholds) was ~2% of the event loop's time under load.
    _known: tuple[Scorer, Overrides, Thresholds] | None = field(default=None, repr=False, compare=False)

    def use(self, scorer: Scorer) -> None:
        """Score with `scorer` from now on (a promoted model)."""
        self.scorer, self.problem = scorer, None

    @property
    def version(self) -> str | None:
        return self.scorer.version if self.scorer is not None else None

    def thresholds_of(self, scorer: Scorer) -> Thresholds:
        """The card's thresholds for the configured policy with the operator's overrides; ValueError when they do
        not fit together."""
        known = self._known
        if known is not None and known[0] is scorer and known[1] is self.overrides:
            return known[2]
        thresholds = decision_thresholds(scorer.card, self.overrides)  # raises before anything is remembered
        self._known = (scorer, self.overrides, thresholds)
        return thresholds

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
