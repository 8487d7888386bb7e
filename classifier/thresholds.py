"""Per-head decision thresholds: the value type, and how they are chosen from held-out scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

# Reject automatically only where almost every rejected reply really is spam or abuse.
REJECT_PRECISION: Final = 0.97
# Hold at most this share of ordinary replies; aim to catch this share of positives.
HOLD_MAX_FALSE_RATE: Final = 0.03
HOLD_RECALL: Final = 0.90
# Never reject automatically a reply the model finds more likely fine than not.
REJECT_FLOOR: Final = 0.5
# Scores are calibrated probabilities; keep thresholds away from 0 and 1 where a handful of rows decide.
LOWEST: Final = 0.05
HIGHEST: Final = 0.99
MIN_GAP: Final = 0.02


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score bounds per head: a score >= *_hold waits for a person, a score >= *_reject is rejected outright."""

    spam_hold: float
    spam_reject: float
    abuse_hold: float
    abuse_reject: float

    def __post_init__(self) -> None:
        for head in ("spam", "abuse"):
            hold, reject = getattr(self, f"{head}_hold"), getattr(self, f"{head}_reject")
            if not 0.0 < hold < reject < 1.0:
                raise ValueError(f"{head} thresholds must satisfy 0 < hold < reject < 1, got {hold} and {reject}")


def _quantile_threshold(scores: NDArray[np.float64], share: float) -> float:
    # The smallest score t such that at most `share` of `scores` lie at or above t.
    ordered = np.sort(scores)[::-1]
    allowed = int(np.floor(share * len(ordered)))
    return float(ordered[allowed]) + 1e-9 if allowed < len(ordered) else 0.0


def choose_head_thresholds(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> tuple[float, float]:
    """Return (hold, reject) for one head from held-out labels and calibrated scores.

    reject: the lowest score at which precision of "score >= t" reaches REJECT_PRECISION, and at least
    REJECT_FLOOR.
    hold: at most HOLD_MAX_FALSE_RATE of negatives may reach it. When a range of thresholds also catches
    HOLD_RECALL of positives, take its middle, so that neither kind of error sits right at the edge of a
    small held-out sample; otherwise ordinary replies win and recall is what it is.
    """
    positives, negatives = scores[labels == 1], scores[labels == 0]
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(labels[order] == 1)
    precision = hits / np.arange(1, len(order) + 1)
    # Walk from the top score down; the reject threshold is the last point still at the target precision.
    meets = np.flatnonzero(precision >= REJECT_PRECISION)
    reject = float(scores[order][meets[-1]]) if len(meets) else HIGHEST
    by_recall = float(np.quantile(positives, 1.0 - HOLD_RECALL)) if len(positives) else HIGHEST
    by_false_rate = _quantile_threshold(negatives, HOLD_MAX_FALSE_RATE) if len(negatives) else LOWEST
    hold = (by_false_rate + by_recall) / 2 if by_false_rate <= by_recall else by_false_rate
    hold = min(max(hold, LOWEST), HIGHEST - MIN_GAP)
    reject = min(max(reject, hold + MIN_GAP, REJECT_FLOOR), HIGHEST)
    return round(hold, 4), round(reject, 4)
