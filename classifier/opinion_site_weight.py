"""How much the abuse opinion weighs for one site: the corpora's stack weight, or the site's own where its decisions
show, out of fold, that theirs ranks its replies better.

Why: the stack (classifier/abuse_opinion.py) weighs the opinion as the corpora's English rows want, about a quarter
of a unit of raw abuse logit per unit of opinion. Sites differ: on the Globe and Mail's comments a weight refitted on
300-3,000 of the site's decisions came out about four times as large and ranked the rest 0.015-0.018 better, while on
Civil Comments the refit agreed with the corpora and only added noise (docs/model.md, "The stack's weight from a
site's decisions"). So the site's weight, blended toward the corpora's, is taken only when it wins on decisions it
was not fitted on.

Each decision judged is scored by a head that did not learn from it (classifier/abuse_opinion.py: the held-out ones
by the served head, the others by the site correction's out-of-fold scores), so no logit is flattered by its label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from classifier.site import MIN_GAIN, best_blend

__all__ = ["MIN_DECISIONS", "MIN_OF_EACH_CLASS", "SiteWeight", "fitted_ratio", "site_weight"]

# Fewer English decisions than this (or fewer of a class than MIN_OF_EACH_CLASS) keep the corpora's weight: at 300
# drawn decisions with a few dozen abusive, SFU's refitted weight lost as often as it won.
MIN_DECISIONS: Final = 200
MIN_OF_EACH_CLASS: Final = 20
FOLDS: Final = 5
SEED: Final = 20261207


@dataclass(frozen=True, slots=True)
class SiteWeight:
    """The opinion's push per unit of raw abuse logit to serve, whether it is the site's, the site's typical opinion
    to judge replies against when it is (the median over its acceptable decisions), and the card's record."""

    ratio: float
    applied: bool
    report: dict[str, Any]
    reference: float | None = None


def fitted_ratio(logits: NDArray[np.float64], opinions: NDArray[np.float64], labels: NDArray[np.int64]) -> float | None:
    """The stack's opinion weight over its logit weight on these rows; None when it does not read as a push of the
    opinion on top of the trained logit (either coefficient at zero or below)."""
    stack = LogisticRegression().fit(np.column_stack([logits, opinions]), labels)
    logit_weight, opinion_weight = (float(weight) for weight in stack.coef_[0])
    return opinion_weight / logit_weight if logit_weight > 0 and opinion_weight > 0 else None


def site_weight(
    logits: NDArray[np.float64], opinions: NDArray[np.float64], labels: NDArray[np.int64], corpora_ratio: float
) -> SiteWeight:
    """Judge the site's own weight against the corpora's on the site's decisions (raw abuse logits from heads that
    did not learn from them, opinion logits, the moderators' labels).

    Both are scored out of fold on the same folds: in each, the site's weight is fitted on the other folds (the
    corpora's where that fit does not read as a push), and both weights judge the fold's replies against the median
    opinion of the other folds' acceptable ones. As for the site's correction of the heads (classifier/site.py), the
    served weight is a blend: the corpora's moved a quarter, half, three quarters or all the way toward the site's
    (on the scores, the same blend of the two out-of-fold rankings), the best blend out of fold, served when it beats
    the corpora's weight by site.MIN_GAIN. Unlike the heads' correction (thousands of weights) this is one number, and
    the heads' further bar of 2.24 standard errors of the gain withheld it on every Globe and Mail draw of 1,000
    decisions, where the blend gained 0.009 ROC AUC on the site's other replies (docs/model.md).
    """
    decisions, abusive = len(labels), int(labels.sum())
    report: dict[str, Any] = {"decisions": decisions, "abusive": abusive, "corpora_ratio": round(corpora_ratio, 4)}
    if decisions < MIN_DECISIONS or min(abusive, decisions - abusive) < MIN_OF_EACH_CLASS:
        why = f"{decisions} English decisions ({abusive} abusive): the site's weight needs {MIN_DECISIONS}"
        return SiteWeight(
            corpora_ratio, False, report | {"applied": False, "why": f"{why}, {MIN_OF_EACH_CLASS} of each"}
        )
    by_corpora, by_site = np.empty(decisions), np.empty(decisions)
    for fitted, judged in StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(logits, labels):
        fold_ratio = fitted_ratio(logits[fitted], opinions[fitted], labels[fitted]) or corpora_ratio
        typical = float(np.median(opinions[fitted][labels[fitted] == 0]))
        by_corpora[judged] = logits[judged] + corpora_ratio * (opinions[judged] - typical)
        by_site[judged] = logits[judged] + fold_ratio * (opinions[judged] - typical)
    corpora_auc = float(roc_auc_score(labels, by_corpora))
    blend, blended_auc, error = best_blend(by_site, by_corpora, labels)
    ratio = fitted_ratio(logits, opinions, labels)
    applied = ratio is not None and blended_auc - corpora_auc >= MIN_GAIN
    report |= {
        "site_ratio": None if ratio is None else round(ratio, 4),
        "blend": blend,
        "roc_auc_out_of_fold": {
            "corpora_weight": round(corpora_auc, 4),
            "site_weight": round(float(roc_auc_score(labels, by_site)), 4),
            "blended_weight": round(blended_auc, 4),
        },
        "gain_standard_error": round(error, 4),
        "applied": applied,
    }
    if not applied or ratio is None:
        report["why"] = (
            "the site's decisions do not read the opinion as a push on the trained logit"
            if ratio is None
            else f"the site's weight gained {blended_auc - corpora_auc:+.4f} out of fold (blend {blend}; "
            f"at least {MIN_GAIN} needed)"
        )
        return SiteWeight(corpora_ratio, False, report)
    served = corpora_ratio + blend * (ratio - corpora_ratio)
    # With the site's weight, the site's typical reply: against the corpora's, a weight four times theirs would push
    # every ordinary reply of a heated site toward review until the service's SiteReference has seen 200 of them.
    reference = round(float(np.median(opinions[labels == 0])), 4)
    return SiteWeight(served, True, report | {"served_ratio": round(served, 4), "site_reference": reference}, reference)
