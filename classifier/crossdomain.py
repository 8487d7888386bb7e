"""Leave-one-domain-out quality: train without a domain, score that domain, to see how the recipe travels."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from classifier.pipeline import HEADS, build_features, build_head_pipeline
from classifier.rows import LabelledRow

# A domain needs this many rows of each class to give a ROC AUC worth printing.
MIN_PER_CLASS = 10


def _domain(row: LabelledRow) -> str:
    # Videos are YouTube's natural domains (the authors evaluate per video); elsewhere the corpus is one.
    return row.group if row.source == "youtube" else row.source


def leave_one_domain_out(rows: list[LabelledRow]) -> dict[str, dict[str, Any]]:
    """ROC AUC per head on each held-out domain, for the uncalibrated recipe fit on all other domains.

    Calibration is left out on purpose: ROC AUC depends only on ranking, and the sigmoid does not change it,
    so one plain fit per domain keeps this cheap. Domains with too few rows of a class are skipped.
    """
    hashed = build_features().fit_transform([row.model_text() for row in rows])
    domains = np.array([_domain(row) for row in rows])
    results: dict[str, dict[str, Any]] = {}
    for head in HEADS:
        labelled = np.array([row.label(head) is not None for row in rows])
        labels = np.array([row.label(head) if row.label(head) is not None else -1 for row in rows])
        recipe = build_head_pipeline()
        tfidf, regression = recipe.named_steps["tfidf"], recipe.named_steps["classifier"].estimator
        results[head] = {}
        for domain in sorted(set(domains[labelled].tolist())):
            test = labelled & (domains == domain)
            train = labelled & (domains != domain)
            counts = [int(np.sum(labels[test] == value)) for value in (0, 1)]
            if min(counts) < MIN_PER_CLASS or len(np.unique(labels[train])) < 2:
                continue
            fitted_tfidf = clone(tfidf).fit(hashed[train])
            model = clone(regression).fit(fitted_tfidf.transform(hashed[train]), labels[train])
            scores = model.decision_function(fitted_tfidf.transform(hashed[test]))
            results[head][domain] = {
                "rows": int(test.sum()),
                "positives": counts[1],
                "roc_auc": round(float(roc_auc_score(labels[test], scores)), 4),
            }
    return results
