"""Thresholds from a site's own decisions: once its moderators have decided enough replies, the hold and reject lines
are placed where their labels put them, and the card says what review rate and bad-published rate that implies.

The corpora place the general thresholds on a mix of other sites' replies. After the site correction
(classifier/site.py) the scores are calibrated to this site's decisions, so lines placed on the corpora's quantiles
no longer mean the error rates they were placed for. The same rule as training's (thresholds.choose_target_thresholds:
reject where at most 0.25% of ordinary replies per head would be rejected unseen, hold as tight as the review budget
allows) is applied to the decisions' out-of-fold scores instead, and the rates are those of the decisions themselves.

What the decisions are is also their limit: a site's moderators mostly decide what the model held, so its decided
replies are harder and more often bad than its stream. The rates implied are rates on replies like the decided
ones; docs/model.md compares them with what the same lines do on the learning curves' unseen replies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from classifier.operating import reply_kind
from classifier.rows import LabelledRow
from classifier.thresholds import (
    BAD_PUBLISHED_STEPS,
    DEFAULT_POLICY,
    REVIEW_BUDGET,
    Thresholds,
    choose_target_thresholds,
    outcomes,
)

# From this many decided replies a site's thresholds are its own (issue 14 suggested 300).
MIN_SITE_DECISIONS: Final = 300
# A head's lines move to the site's only with this many decisions of each kind for that head: with fewer bad ones,
# the quantiles that place the hold line are a handful of replies wide.
MIN_SITE_POSITIVES: Final = 30
MIN_SITE_ORDINARY: Final = 100
# Training's steps stop at 30% bad published, and on the corpora the budget is met well before. On a site whose
# decisions the model ranks poorly it is not (Fox News threads: about 50% of the decided replies reviewed at 30%),
# and "review-budget" promises the people a budget: the hold line keeps loosening until it is met.
SITE_STEPS: Final = (*BAD_PUBLISHED_STEPS, *(round(0.3 + 0.01 * step, 2) for step in range(1, 70)))


@dataclass(frozen=True)
class SitePlacement:
    """A site's thresholds, which heads the decisions placed (the others keep the general lines), and their rates."""

    thresholds: Thresholds
    heads: tuple[str, ...]
    rule: str
    rates: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": dataclasses.asdict(self.thresholds), "heads": list(self.heads), "rule": self.rule}


def decision_rates(
    rows: Sequence[LabelledRow], spam: NDArray[np.float64], abuse: NDArray[np.float64], thresholds: Thresholds
) -> dict[str, Any]:
    """What `thresholds` do to these replies, in their own proportions: the share reviewed, the share of the bad
    ones (spam or abuse) published, and the share of the ordinary ones rejected unseen."""
    kinds = np.array([reply_kind(row) or "" for row in rows])
    outcome = outcomes(spam, abuse, thresholds)
    bad, ordinary = np.isin(kinds, ("spam", "abusive")), kinds == "ordinary"
    return {
        "decisions": len(rows),
        "bad": int(bad.sum()),
        "ordinary": int(ordinary.sum()),
        "review_rate": round(float(np.mean(outcome == "review")), 4) if len(rows) else None,
        "bad_published": round(float(np.mean(outcome[bad] == "publish")), 4) if bad.any() else None,
        "good_rejected": round(float(np.mean(outcome[ordinary] == "reject")), 4) if ordinary.any() else None,
    }


def placeable_heads(rows: Sequence[LabelledRow], heads: Sequence[str]) -> tuple[str, ...]:
    """The heads with enough decisions of each kind to place their lines on."""
    kinds = [reply_kind(row) for row in rows]
    ordinary = sum(kind == "ordinary" for kind in kinds)
    return tuple(
        head
        for head in heads
        if ordinary >= MIN_SITE_ORDINARY and sum(row.label(head) == 1 for row in rows) >= MIN_SITE_POSITIVES
    )


def place_site_thresholds(
    rows: Sequence[LabelledRow],
    scores: dict[str, NDArray[np.float64]],
    general: Thresholds,
    *,
    heads: Sequence[str],
    policy: str = DEFAULT_POLICY,
) -> SitePlacement | None:
    """The site's thresholds placed on its decided `rows` (scores by heads that did not learn them), or None when
    there are fewer than MIN_SITE_DECISIONS or no head in `heads` has enough of each kind.

    Under "review-budget" the hold lines loosen in training's steps (and on past them, SITE_STEPS) until at most
    REVIEW_BUDGET of the decided replies would be reviewed; under "error-targets" they stay at the first step.
    Heads not placed keep `general`.
    """
    placed = placeable_heads(rows, heads) if len(rows) >= MIN_SITE_DECISIONS else ()
    if not placed:
        return None
    ordinary = np.array([reply_kind(row) == "ordinary" for row in rows], dtype=bool)
    steps = SITE_STEPS if policy == "review-budget" else SITE_STEPS[:1]
    for step in steps:
        chosen = dataclasses.asdict(general)
        for head in placed:
            positives = np.array([row.label(head) == 1 for row in rows], dtype=bool)
            chosen[f"{head}_hold"], chosen[f"{head}_reject"] = choose_target_thresholds(
                scores[head][positives], scores[head][ordinary], bad_published=step
            )
        thresholds = Thresholds(**chosen)
        rates = decision_rates(rows, scores["spam"], scores["abuse"], thresholds)
        if rates["review_rate"] <= REVIEW_BUDGET:
            break
    rule = "targets" if step == SITE_STEPS[0] else f"review budget: bad published per head <= {step}"
    return SitePlacement(thresholds, placed, f"site decisions, {rule}", rates)
