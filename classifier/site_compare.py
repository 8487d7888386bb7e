"""Champion against challenger on a site's own newest decisions, held out by time: per-head ROC AUC and Brier score,
review rate and bad published at each model's own thresholds, and whether the challenger is better.

The corpora comparison (compare.py) asks whether a challenger is no worse on text like the corpora; this one asks
whether it is better on the replies this site gets now, judged by this site's moderators. Samples are small (tens to
hundreds of decisions), so a head is compared only with enough decisions of both classes, and a small loss of ROC
AUC counts as noise rather than harm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from classifier.operating import reply_kind
from classifier.pipeline import HEADS
from classifier.rows import LabelledRow
from classifier.scorer import Scorer
from classifier.submission import Submission
from classifier.thresholds import outcomes

# The newest decisions are held out by time: this share of them (the newest 20%), but at least SITE_HELD_OUT_MIN so
# that a young site can be judged at all, and never more than half (the challenger must still learn from the rest).
SITE_HELD_OUT_SHARE: Final = 0.2
SITE_HELD_OUT_MIN: Final = 30
# A head is compared only with at least this many held-out decisions of each class: with fewer, one reply moves
# ROC AUC by 0.01 or more and a verdict would be a coin toss.
SITE_MIN_PER_CLASS: Final = 10
# On a comparable head the challenger may lose this much ROC AUC and still count as no worse: with 10 to 100
# decisions per class one or two mis-ordered pairs in a hundred are noise.
SITE_MAX_ROC_AUC_DROP: Final = 0.01
# Two ROC AUCs this close are a tie (they are exact fractions of pair counts; this is only float noise).
TIE: Final = 1e-9


def hold_out_newest(rows: Sequence[LabelledRow], *, unseen: int) -> tuple[list[LabelledRow], list[LabelledRow]]:
    """Split decisions listed newest first into (train, held_out): held_out are the newest ones, as many as
    SITE_HELD_OUT_SHARE of them (at least SITE_HELD_OUT_MIN, at most half), but only among the first `unseen`,
    the ones the champion never trained on (a champion judged on its own training rows would look too good)."""
    wanted = max(math.ceil(SITE_HELD_OUT_SHARE * len(rows)), min(SITE_HELD_OUT_MIN, len(rows) // 2))
    size = max(0, min(wanted, len(rows) // 2, unseen))
    return list(rows[size:]), list(rows[:size])


def _scores(scorer: Scorer, rows: Sequence[LabelledRow]) -> dict[str, NDArray[np.float64]]:
    submissions = [Submission(body=row.text, name=row.name, website=row.website) for row in rows]
    scored = scorer.score_many(submissions, explain=False)
    return {
        "spam": np.array([s.spam_score for s in scored], dtype=np.float64),
        "abuse": np.array([s.abuse_score for s in scored], dtype=np.float64),
    }


def _figures(scorer: Scorer, rows: Sequence[LabelledRow], policy: str) -> dict[str, Any]:
    """One model's figures on the held-out decisions: per head ROC AUC and Brier score (None without both classes),
    and at its own thresholds (the card's, under `policy`) the shares reviewed, bad published and good rejected,
    over the decisions as they came (not re-weighted to a mix: this is the site's own)."""
    scores = _scores(scorer, rows)
    thresholds = scorer.card.policy_thresholds(policy)
    figures: dict[str, Any] = {"version": scorer.version, "roc_auc": {}, "brier": {}}
    for head in HEADS:
        picked = [i for i, row in enumerate(rows) if row.label(head) is not None]
        labels = np.array([rows[i].label(head) for i in picked], dtype=np.int64)
        values = scores[head][picked]
        both = len(np.unique(labels)) == 2
        figures["roc_auc"][head] = round(float(roc_auc_score(labels, values)), 4) if both else None
        figures["brier"][head] = round(float(np.mean((values - labels) ** 2)), 4) if len(labels) else None
    outcome = outcomes(scores["spam"], scores["abuse"], thresholds) if rows else np.array([], dtype=str)
    kinds = np.array([reply_kind(row) or "" for row in rows])
    bad, good = np.isin(kinds, ("spam", "abusive")), kinds == "ordinary"
    figures["review_rate"] = round(float(np.mean(outcome == "review")), 4) if len(rows) else None
    figures["bad_published"] = round(float(np.mean(outcome[bad] == "publish")), 4) if bad.any() else None
    figures["good_rejected"] = round(float(np.mean(outcome[good] == "reject")), 4) if good.any() else None
    return figures


def compare_on_site(
    champion: Scorer | None, challenger: Scorer, held_out: Sequence[LabelledRow], *, policy: str
) -> dict[str, Any]:
    """Judge both models on the site's held-out decisions: the rows, per head the rows and positives and whether it
    is comparable (SITE_MIN_PER_CLASS of each class), both models' figures (_figures), and verdict()'s `decided`,
    `challenger_better` and `why`. Without a champion (none active, or it no longer loads) the challenger wins."""
    result: dict[str, Any] = {"rows": len(held_out), "heads": {}, "max_roc_auc_drop": SITE_MAX_ROC_AUC_DROP}
    for head in HEADS:
        labels = [row.label(head) for row in held_out if row.label(head) is not None]
        positives = sum(1 for label in labels if label == 1)
        enough = min(positives, len(labels) - positives) >= SITE_MIN_PER_CLASS
        result["heads"][head] = {"rows": len(labels), "positives": positives, "comparable": enough}
    result["challenger"] = _figures(challenger, held_out, policy)
    if champion is None:
        result.update(champion=None, decided=True, challenger_better=True, why="no champion to beat")
        return result
    result["champion"] = _figures(champion, held_out, policy)
    comparable = [head for head in HEADS if result["heads"][head]["comparable"]]
    decided, better, why = verdict(comparable, result["champion"], result["challenger"])
    result.update(decided=decided, challenger_better=better, why=why)
    return result


def verdict(comparable: Sequence[str], champion: dict[str, Any], challenger: dict[str, Any]) -> tuple[bool, bool, str]:
    """(decided, challenger_better, why) from both models' figures on the comparable heads.

    Not decided when no head is comparable (too few decisions: the caller falls back to the corpora). Better when no
    comparable head loses more than SITE_MAX_ROC_AUC_DROP of ROC AUC and at least one gains: a higher ROC AUC, or the
    same with a lower Brier score (when both rank the decisions alike, the one whose scores are nearer the
    moderators' labels is better).
    """
    if not comparable:
        return False, False, f"too few held-out decisions: no head has {SITE_MIN_PER_CLASS} of each class"
    worse, gains = [], []
    for head in comparable:
        before, after = champion["roc_auc"][head], challenger["roc_auc"][head]
        brier_before, brier_after = champion["brier"][head], challenger["brier"][head]
        if after < before - SITE_MAX_ROC_AUC_DROP:
            worse.append(f"{head} ROC AUC {before} -> {after}")
        elif after > before + TIE or (abs(after - before) <= TIE and brier_after < brier_before):
            gains.append(f"{head} ROC AUC {before} -> {after}, Brier {brier_before} -> {brier_after}")
    if worse:
        return True, False, "worse on " + "; ".join(worse)
    if not gains:
        return True, False, "no better on any head"
    return True, True, "better on " + "; ".join(gains)
