"""Per-head decision thresholds: the value type, what they do to a reply's scores, and how they are chosen from
validation scores.

The rule: a bad reply (spam or abuse) is published when it scores below its head's hold threshold, and a good
reply is rejected unseen when either head scores it at or above its reject threshold. Thresholds are placed
at the error targets (BAD_PUBLISHED_MAX, GOOD_REJECTED_MAX) and no further, so the band between them, what
people must review, is as narrow as the targets allow. A head with too few validation rows to place a 1% or
0.5% quantile falls back to the small-sample rule (choose_small_sample_thresholds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

# At most this share of a head's positives may score below its hold threshold (and so be published).
BAD_PUBLISHED_MAX: Final = 0.01
# At most this share of ordinary replies may be rejected unseen. Either head can reject, so each head gets half.
GOOD_REJECTED_MAX: Final = 0.005
PER_HEAD_GOOD_REJECTED_MAX: Final = GOOD_REJECTED_MAX / 2
# People review at most this share of the realistic mix. When the 1% bad-published target would need more,
# the target is relaxed step by step (BAD_PUBLISHED_STEPS) until review fits, and the card says so.
REVIEW_BUDGET: Final = 0.15
BAD_PUBLISHED_STEPS: Final = tuple(round(0.01 + 0.005 * step, 3) for step in range(59))  # 1% to 30%
# How hold thresholds are placed (reject thresholds always meet GOOD_REJECTED_MAX):
# - "error-targets": at BAD_PUBLISHED_MAX, whatever share of replies that sends to people;
# - "review-budget": the tightest BAD_PUBLISHED_STEPS value whose review rate fits REVIEW_BUDGET.
# Training places both; the card's own `thresholds` are the DEFAULT_POLICY's and the service may pick the other.
POLICIES: Final = ("review-budget", "error-targets")
DEFAULT_POLICY: Final = "review-budget"
# Fewer validation rows than these cannot place those quantiles: 1% of 100 positives is one reply.
MIN_POSITIVES: Final = 100
MIN_ORDINARY: Final = 200
# Small-sample rule: reject automatically only where almost every rejected reply really is spam or abuse.
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


Outcome = Literal["publish", "review", "reject"]
# What scores do to a reply, from the mildest: published, held for a person to review, rejected unseen.
OUTCOMES: Final[tuple[Outcome, ...]] = ("publish", "review", "reject")


def head_outcome(score: float, *, hold: float, reject: float) -> Outcome:
    """One head's say on a reply: "reject" at or above its reject threshold, else "review" at or above its hold
    threshold, else "publish"."""
    return OUTCOMES[(score >= hold) + (score >= reject)]


def outcome(spam_score: float, abuse_score: float, thresholds: Thresholds) -> Outcome:
    """What the scores do to a reply: the sterner of the two heads' outcomes (either head can hold or reject it).
    The service's policy (service/rules/policy.py) adds its own rules on top; the evaluation uses outcomes()."""
    spam = head_outcome(spam_score, hold=thresholds.spam_hold, reject=thresholds.spam_reject)
    abuse = head_outcome(abuse_score, hold=thresholds.abuse_hold, reject=thresholds.abuse_reject)
    return max(spam, abuse, key=OUTCOMES.index)


def _steps(scores: NDArray[np.float64], hold: float, reject: float) -> NDArray[np.int64]:
    # An index into OUTCOMES per score: how many of the two thresholds it reaches (hold < reject, so 0, 1 or 2).
    return (scores >= hold).astype(np.int64) + (scores >= reject).astype(np.int64)


def head_outcomes(scores: NDArray[np.float64], *, hold: float, reject: float) -> NDArray[np.str_]:
    """head_outcome() for many scores at once."""
    return np.array(OUTCOMES)[_steps(scores, hold, reject)]


def outcomes(spam: NDArray[np.float64], abuse: NDArray[np.float64], thresholds: Thresholds) -> NDArray[np.str_]:
    """outcome() for many replies at once."""
    steps = np.maximum(
        _steps(spam, thresholds.spam_hold, thresholds.spam_reject),
        _steps(abuse, thresholds.abuse_hold, thresholds.abuse_reject),
    )
    return np.array(OUTCOMES)[steps]


def quantile_threshold(scores: NDArray[np.float64], share: float) -> float:
    # The smallest score t such that at most `share` of `scores` lie at or above t.
    ordered = np.sort(scores)[::-1]
    allowed = int(np.floor(share * len(ordered)))
    return float(ordered[allowed]) + 1e-9 if allowed < len(ordered) else 0.0


def has_enough_rows(positive_scores: NDArray[np.float64], ordinary_scores: NDArray[np.float64]) -> bool:
    """Whether the targets' quantiles can be placed from this many rows."""
    return len(positive_scores) >= MIN_POSITIVES and len(ordinary_scores) >= MIN_ORDINARY


def choose_target_thresholds(
    positive_scores: NDArray[np.float64],
    ordinary_scores: NDArray[np.float64],
    *,
    bad_published: float = BAD_PUBLISHED_MAX,
) -> tuple[float, float]:
    """Return (hold, reject) for one head: hold as high as `bad_published` of positives allows, reject as low
    as PER_HEAD_GOOD_REJECTED_MAX of ordinary replies allows.

    When the classes separate so well that hold would reach reject, nothing needs review and both meet in the
    middle, MIN_GAP apart. Reject never goes below REJECT_FLOOR (a reply the model finds more likely fine than
    not is never rejected unseen), and both stay inside [LOWEST, HIGHEST].
    """
    ordered = np.sort(positive_scores)
    hold = float(ordered[int(np.floor(bad_published * len(ordered)))])
    reject = quantile_threshold(ordinary_scores, PER_HEAD_GOOD_REJECTED_MAX)
    if hold > reject - MIN_GAP:
        middle = (hold + reject) / 2
        hold, reject = middle - MIN_GAP / 2, middle + MIN_GAP / 2
    hold = min(max(hold, LOWEST), HIGHEST - MIN_GAP)
    reject = min(max(reject, hold + MIN_GAP, REJECT_FLOOR), HIGHEST)
    # Round towards review: a lower hold and a higher reject only ever send more replies to people.
    return math.floor(hold * 1e4) / 1e4, math.ceil(reject * 1e4) / 1e4


def choose_small_sample_thresholds(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> tuple[float, float]:
    """Return (hold, reject) for one head from few held-out labels and calibrated scores (the seed alone).

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
    by_false_rate = quantile_threshold(negatives, HOLD_MAX_FALSE_RATE) if len(negatives) else LOWEST
    hold = (by_false_rate + by_recall) / 2 if by_false_rate <= by_recall else by_false_rate
    hold = min(max(hold, LOWEST), HIGHEST - MIN_GAP)
    reject = min(max(reject, hold + MIN_GAP, REJECT_FLOOR), HIGHEST)
    return round(hold, 4), round(reject, 4)
