"""Quality numbers for one head on one labelled set: ranking quality and what the thresholds would do."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, roc_auc_score


def _rates(labels: NDArray[np.int64], flagged: NDArray[np.bool_]) -> dict[str, float | None]:
    true_positives = int(np.sum(flagged & (labels == 1)))
    positives, negatives = int(np.sum(labels == 1)), int(np.sum(labels == 0))
    return {
        "precision": round(true_positives / int(flagged.sum()), 4) if flagged.any() else None,
        "recall": round(true_positives / positives, 4) if positives else None,
        "false_positive_rate": round(int(np.sum(flagged & (labels == 0))) / negatives, 4) if negatives else None,
        "share_flagged": round(float(flagged.mean()), 4),
    }


def head_metrics(
    labels: NDArray[np.int64], scores: NDArray[np.float64], *, hold: float, reject: float
) -> dict[str, Any]:
    """ROC AUC, average precision, and precision/recall/false-positive rate at the hold and reject thresholds.

    Ranking metrics are None when the set has a single class (e.g. a corpus of ham only).
    """
    both_classes = len(np.unique(labels)) == 2
    return {
        "rows": len(labels),
        "positives": int(np.sum(labels == 1)),
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4) if both_classes else None,
        "average_precision": round(float(average_precision_score(labels, scores)), 4) if both_classes else None,
        "at_hold": _rates(labels, scores >= hold),
        "at_reject": _rates(labels, scores >= reject),
    }
