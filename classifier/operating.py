"""What a pair of thresholds does to replies: published, held for review or rejected, on a realistic mix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from classifier.rows import LabelledRow
from classifier.thresholds import BAD_PUBLISHED_MAX, GOOD_REJECTED_MAX, OUTCOMES, Thresholds, outcomes

# The mix of replies a news site gets, by share: the card's expected rates are weighted by it.
MIX: Final = {"ordinary": 0.80, "spam": 0.15, "abusive": 0.05}
# Corpora whose rows were selected for looking bad: every Civil Comments post had been flagged by its raters, so
# its "acceptable" side is not what ordinary replies look like. They train the model and are measured per source,
# but placing thresholds or estimating rates on them would take the line between flagged posts for the line
# between ordinary replies and abuse (with them, the review budget pushed the hold thresholds of both heads to
# 23% bad published instead of 11%).
SELECTED_SAMPLES: Final = frozenset({"civil-comments"})


def realistic(rows: list[LabelledRow]) -> NDArray[np.bool_]:
    """Which rows may stand for a site's replies when thresholds are placed and rates estimated."""
    return np.array([row.source not in SELECTED_SAMPLES for row in rows], dtype=bool)


def decided_by_the_model(rows: list[LabelledRow], judged: Sequence[bool] | None) -> NDArray[np.bool_]:
    """The realistic rows whose fate the thresholds decide: `judged` (aligned with rows, None for all) is False
    for a reply in a language the model does not cover, which the service holds whatever it scores, so it neither
    places thresholds nor counts in the rates they imply (language_metrics.judged_rows)."""
    kept = realistic(rows)
    if judged is not None:
        kept &= np.asarray(judged, dtype=bool)
    return kept


def reply_kind(row: LabelledRow) -> str | None:
    """ "spam" if labelled spam, else "abusive" if labelled abuse, else "ordinary" if labelled clean on a head."""
    if row.spam == 1:
        return "spam"
    if row.abuse == 1:
        return "abusive"
    if row.spam == 0 or row.abuse == 0:
        return "ordinary"
    return None


def expected_rates(
    rows: list[LabelledRow], spam: NDArray[np.float64], abuse: NDArray[np.float64], thresholds: Thresholds
) -> dict[str, Any]:
    """Share of each kind of reply published, reviewed and rejected, and those shares weighted by MIX.

    Rows are pooled within a kind (every corpus's ordinary replies together, and so on), then the kinds are
    weighted 80/15/5: review_rate is what people see, bad_published the share of spam and abuse that goes
    out, good_rejected the share of ordinary replies rejected unseen. Kinds absent from `rows` are left out
    of the mix (and `complete_mix` is False).
    """
    kinds = np.array([reply_kind(row) or "" for row in rows])
    outcome = outcomes(spam, abuse, thresholds)
    by_kind = {}
    for kind in MIX:
        chosen = kinds == kind
        if chosen.any():
            by_kind[kind] = {"rows": int(chosen.sum())} | {
                result: round(float(np.mean(outcome[chosen] == result)), 4) for result in OUTCOMES
            }
    present = {kind: share for kind, share in MIX.items() if kind in by_kind}
    total = sum(present.values())

    def mixed(result: str, kinds_: tuple[str, ...]) -> float | None:
        weights = {kind: present[kind] for kind in kinds_ if kind in present}
        if not weights:
            return None
        return round(sum(by_kind[k][result] * w for k, w in weights.items()) / sum(weights.values()), 4)

    return {
        "mix": MIX,
        "complete_mix": len(present) == len(MIX),
        "by_kind": by_kind,
        "review_rate": round(sum(by_kind[k]["review"] * w for k, w in present.items()) / total, 4) if total else None,
        "bad_published": mixed("publish", ("spam", "abusive")),
        "good_rejected": mixed("reject", ("ordinary",)),
        "targets": {"bad_published_max": BAD_PUBLISHED_MAX, "good_rejected_max": GOOD_REJECTED_MAX},
    }
