"""Out-of-domain quality: refit the recipe (and a plain baseline) without a domain or a group, score what was left out.

Two kinds of fold: leave one domain out (a YouTube video, SMS, Fox News, Jigsaw, Davidson, the seed), and
grouped folds inside Fox News, whose threads are split so no thread straddles train and test.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from classifier.pipeline import HEADS, build_features, build_head_pipeline
from classifier.rows import LabelledRow
from classifier.weights import row_weights

# A fold needs this many rows of each class to give a ROC AUC worth printing.
MIN_PER_CLASS: Final = 10
# Fox News threads go into this many grouped folds (it has ten threads).
FOX_FOLDS: Final = 3
# liblinear releases the GIL, so two threads use both cores of the machines this runs on.
WORKERS: Final = 2


def build_baseline() -> tuple[TfidfVectorizer, LogisticRegression]:
    """The same-run baseline: plain word 1-2 gram TF-IDF and logistic regression, on the raw reply text."""
    return TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000)


def domain_of(row: LabelledRow) -> str:
    """Videos are YouTube's natural domains (its authors evaluate per video); elsewhere the corpus is one."""
    return row.group if row.source == "youtube" else row.source


@dataclass(frozen=True)
class Fold:
    """One refit: train on `train`, report on `test`, for one head."""

    name: str
    head: str
    train: NDArray[np.bool_]
    test: NDArray[np.bool_]


def _ranking(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> dict[str, Any]:
    return {
        "rows": len(labels),
        "positives": int(labels.sum()),
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4),
        "pr_auc": round(float(average_precision_score(labels, scores)), 4),
    }


def build_folds(rows: list[LabelledRow]) -> list[Fold]:
    """Leave-one-domain-out folds for both heads, then grouped Fox News thread folds for abuse."""
    domains = np.array([domain_of(row) for row in rows])
    folds = []
    for head in HEADS:
        labels = np.array([-1 if row.label(head) is None else row.label(head) for row in rows])
        labelled = labels >= 0
        for domain in sorted(set(domains[labelled].tolist())):
            test = labelled & (domains == domain)
            if min(int(np.sum(labels[test] == 0)), int(np.sum(labels[test] == 1))) >= MIN_PER_CLASS:
                folds.append(Fold(f"lodo/{domain}", head, labelled & (domains != domain), test))
    threads = sorted({row.group for row in rows if row.source == "fox-news"})
    groups = np.array([row.group for row in rows])
    labelled = np.array([row.abuse is not None for row in rows])
    for index in range(FOX_FOLDS if len(threads) >= FOX_FOLDS else 0):
        test = np.isin(groups, threads[index::FOX_FOLDS]) & labelled
        folds.append(Fold(f"fox-threads/{index}", "abuse", labelled & ~test, test))
    return folds


def cross_domain(
    rows: list[LabelledRow],
    *,
    progress: Callable[[str], None] | None = None,
    baseline: bool = True,
    keep_logits: dict[int, float] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """ROC AUC and PR AUC per head and fold, for the recipe and the plain baseline refit on each fold.

    The recipe is refit without calibration (the sigmoid does not change ranking) and with training's row
    weights. Grouped Fox folds are pooled into one "fox-threads" entry (out-of-fold scores of every Fox row).
    Returns {"ours"|"baseline": {head: {fold or domain: metrics}}}; baseline=False skips the baseline's refits
    (its entries then repeat the recipe's). `keep_logits`, when given, receives the recipe's out-of-domain spam logit
    of every row of a left-out domain (row index -> logit): the article-aware protocol starts from them.
    """
    say = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    texts = [row.model_text() for row in rows]
    raw = [row.text for row in rows]
    hashed = sp.csr_matrix(build_features().fit_transform(texts))
    weights = {head: row_weights(rows, head) for head in HEADS}
    recipe = build_head_pipeline()
    tfidf, regression = recipe.named_steps["tfidf"], recipe.named_steps["classifier"].estimator
    folds = build_folds(rows)
    started = time.perf_counter()

    def run(fold: Fold) -> tuple[Fold, NDArray[np.float64], NDArray[np.float64]]:
        labels = np.array([rows[i].label(fold.head) for i in np.flatnonzero(fold.train)], dtype=np.int64)
        fitted = clone(tfidf).fit(hashed[fold.train])
        model = clone(regression).fit(
            fitted.transform(hashed[fold.train]), labels, sample_weight=weights[fold.head][fold.train]
        )
        ours = model.decision_function(fitted.transform(hashed[fold.test]))
        theirs = ours
        if baseline:
            vectorizer, plain = build_baseline()
            plain.fit(vectorizer.fit_transform([raw[i] for i in np.flatnonzero(fold.train)]), labels)
            theirs = plain.decision_function(vectorizer.transform([raw[i] for i in np.flatnonzero(fold.test)]))
        say(f"  fold {fold.head} {fold.name} done ({time.perf_counter() - started:.0f} s)")
        return fold, np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)

    say(f"cross-domain: {len(folds)} refits of the recipe and the baseline, {WORKERS} threads")
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(run, folds))
    report: dict[str, dict[str, dict[str, Any]]] = {"ours": {h: {} for h in HEADS}, "baseline": {h: {} for h in HEADS}}
    pooled: dict[str, list[NDArray[np.float64]]] = {"ours": [], "baseline": [], "labels": []}
    for fold, ours, theirs in results:
        labels = np.array([rows[i].label(fold.head) for i in np.flatnonzero(fold.test)], dtype=np.int64)
        if fold.name.startswith("fox-threads/"):
            pooled["ours"].append(ours)
            pooled["baseline"].append(theirs)
            pooled["labels"].append(labels.astype(np.float64))
            continue
        name = fold.name.removeprefix("lodo/")
        if keep_logits is not None and fold.head == "spam":
            keep_logits.update(zip(np.flatnonzero(fold.test).tolist(), ours.tolist(), strict=True))
        report["ours"][fold.head][name] = _ranking(labels, ours)
        report["baseline"][fold.head][name] = _ranking(labels, theirs)
    if pooled["labels"]:
        # Each fold's scores come from a different model, so pooling ranks them against each other; with
        # three folds of similar size this is the usual grouped-CV estimate.
        labels = np.concatenate(pooled["labels"]).astype(np.int64)
        for kind in ("ours", "baseline"):
            entry = _ranking(labels, np.concatenate(pooled[kind]))
            entry["per_fold_roc_auc"] = [
                round(float(roc_auc_score(fold_labels, scores)), 4)
                for fold_labels, scores in zip(pooled["labels"], pooled[kind], strict=True)
                if len(np.unique(fold_labels)) == 2
            ]
            report[kind]["abuse"]["fox-threads"] = entry
    return report
