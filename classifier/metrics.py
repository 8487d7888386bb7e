"""Quality numbers for one head on one labelled set: ranking, calibration, and what the thresholds would do."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

CALIBRATION_BINS: Final = 10
# Curves kept for plots are thinned to about this many points.
CURVE_POINTS: Final = 200


def _rates(labels: NDArray[np.int64], flagged: NDArray[np.bool_]) -> dict[str, float | None]:
    true_positives = int(np.sum(flagged & (labels == 1)))
    positives, negatives = int(np.sum(labels == 1)), int(np.sum(labels == 0))
    precision = true_positives / int(flagged.sum()) if flagged.any() else None
    recall = true_positives / positives if positives else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if positives else None)
    return {
        "precision": round(precision, 4) if precision is not None else None,
        "recall": round(recall, 4) if recall is not None else None,
        "f1": round(f1, 4) if f1 is not None else None,
        "false_positive_rate": round(int(np.sum(flagged & (labels == 0))) / negatives, 4) if negatives else None,
        "share_flagged": round(float(flagged.mean()), 4) if len(flagged) else None,
    }


def expected_calibration_error(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> float | None:
    """Mean |score - observed positive rate| over CALIBRATION_BINS equal-width bins, weighted by rows."""
    if not len(labels):
        return None
    bins = np.minimum((scores * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    error = 0.0
    for index in np.unique(bins):
        members = bins == index
        error += members.mean() * abs(float(scores[members].mean()) - float(labels[members].mean()))
    return round(error, 4)


def _placements(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """DeLong's structural components: for each positive, the share of negatives it outranks (ties count half), and
    for each negative, the share of positives that outrank it. Their means are the ROC AUC."""
    positives, negatives = scores[labels == 1], scores[labels == 0]
    # In the rows' own order (the caller pairs the rows of two scores), searched among the other class sorted.
    sorted_positives, sorted_negatives = np.sort(positives), np.sort(negatives)
    above = np.searchsorted(sorted_negatives, positives, "left") + np.searchsorted(sorted_negatives, positives, "right")
    below = np.searchsorted(sorted_positives, negatives, "left") + np.searchsorted(sorted_positives, negatives, "right")
    return above / (2 * len(negatives)), 1.0 - below / (2 * len(positives))


def roc_auc_difference_error(
    labels: NDArray[np.int64], first: NDArray[np.float64], second: NDArray[np.float64]
) -> float:
    """The standard error of ROC AUC(first) - ROC AUC(second), both scores of the same rows (DeLong, DeLong and
    Clarke-Pearson 1988): the pairing keeps what the two rankings share out of the error. Needs two rows of each
    class."""
    # Differenced row by row, the placements keep the correlation of the two rankings: the variance of the
    # differences is the variance of the AUC difference (DeLong's covariance matrix, first minus second).
    first_positive, first_negative = _placements(labels, first)
    second_positive, second_negative = _placements(labels, second)
    on_positives, on_negatives = first_positive - second_positive, first_negative - second_negative
    variance = np.var(on_positives, ddof=1) / len(on_positives) + np.var(on_negatives, ddof=1) / len(on_negatives)
    return float(np.sqrt(variance))


def head_metrics(
    labels: NDArray[np.int64], scores: NDArray[np.float64], *, hold: float, reject: float
) -> dict[str, Any]:
    """ROC AUC, PR AUC (average precision), expected calibration error, and precision/recall/F1/false-positive
    rate at the hold and reject thresholds.

    Ranking metrics are None when the set has a single class (e.g. a corpus of ham only).
    """
    both_classes = len(np.unique(labels)) == 2
    return {
        "rows": len(labels),
        "positives": int(np.sum(labels == 1)),
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4) if both_classes else None,
        "pr_auc": round(float(average_precision_score(labels, scores)), 4) if both_classes else None,
        "ece": expected_calibration_error(labels, scores),
        "at_hold": _rates(labels, scores >= hold),
        "at_reject": _rates(labels, scores >= reject),
    }


def _thin(x: NDArray[np.float64], y: NDArray[np.float64]) -> list[list[float]]:
    keep = np.unique(np.linspace(0, len(x) - 1, min(len(x), CURVE_POINTS)).round().astype(int))
    return [[round(float(x[i]), 4), round(float(y[i]), 4)] for i in keep]


def curves(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> dict[str, Any]:
    """ROC (fpr, tpr), PR (recall, precision) and reliability (mean score, positive rate per bin) points."""
    if len(np.unique(labels)) < 2:
        return {}
    fpr, tpr, _ = roc_curve(labels, scores)
    precision, recall, _ = precision_recall_curve(labels, scores)
    bins = np.minimum((scores * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    reliability = [
        [round(float(scores[bins == i].mean()), 4), round(float(labels[bins == i].mean()), 4), int(np.sum(bins == i))]
        for i in np.unique(bins)
    ]
    return {"roc": _thin(fpr, tpr), "pr": _thin(recall[::-1], precision[::-1]), "calibration": reliability}
