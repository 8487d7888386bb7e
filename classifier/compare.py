"""Champion against challenger: both models scored on the same rows, which neither was trained on."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from classifier.dataset import load_training_rows, split_held_out
from classifier.errors import ModelLoadError
from classifier.pipeline import HEADS
from classifier.rows import LabelledRow
from classifier.scorer import Scorer, load_scorer
from classifier.train import EXTRA_WEIGHT, weighted_extra_rows

# A challenger may lose this much ROC AUC on a head and still count as no worse: less than the noise of a
# few thousand held-out rows.
MAX_ROC_AUC_DROP: Final = 0.005
# With at least this many held-out decisions of each class, a head is judged on the site's own held-out decisions
# rather than on every held-out row: a model that learned the site's standard is meant to part from the corpora's.
MIN_SITE_ROWS_PER_CLASS: Final = 10


def _ranking(labels: np.ndarray, scores: np.ndarray) -> dict[str, float | None]:
    if len(np.unique(labels)) < 2:
        return {"roc_auc": None, "pr_auc": None}
    return {
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4),
        "pr_auc": round(float(average_precision_score(labels, scores)), 4),
    }


def _head_scores(scorer: Scorer, rows: list[LabelledRow], head: str) -> np.ndarray:
    if not rows:
        return np.empty(0)
    return np.asarray(scorer.pipelines[head].predict_proba([row.model_text() for row in rows])[:, 1])


def compare_models(
    champion_dir: Path,
    challenger_dir: Path,
    *,
    data_dir: Path | None,
    extra_rows: Sequence[LabelledRow] = (),
) -> dict[str, Any]:
    """Score both models on the challenger's held-out rows and say whether the challenger is no worse.

    Pass the data_dir and extra_rows the challenger was trained with. The held-out rows are the ones whose
    text hashes into the held-out buckets (dataset.split_bucket), so they are held out for every model this
    code trains: the champion never trained on them either, unless it came from code with another split.

    A head with at least MIN_SITE_ROWS_PER_CLASS held-out decisions (extra_rows) of each class is judged on those
    alone (`judged_on`): a challenger that learned the site's standard is expected to part from the corpora's.

    Returns per head the rows, positives, and both models' ROC AUC and PR AUC, overall and per source, and
    `challenger_not_worse`: no head's overall ROC AUC is more than MAX_ROC_AUC_DROP below the champion's. A
    head with a single class in the held-out rows cannot be compared and does not block. A champion that no
    longer loads (another recipe or scikit-learn) cannot compete: `champion_error` says why and the
    challenger passes. A challenger that does not load raises ModelLoadError.
    """
    challenger = load_scorer(challenger_dir)
    try:
        champion: Scorer | None = load_scorer(champion_dir)
    except ModelLoadError as exc:
        champion, champion_error = None, str(exc)
    present = data_dir if data_dir is not None and data_dir.is_dir() else None
    weighted = weighted_extra_rows(extra_rows, extra_weight=EXTRA_WEIGHT)
    site_sources = {row.source for row in weighted}
    rows, _ = load_training_rows(present, extra_rows=weighted)
    _, held_out = split_held_out(rows)
    result: dict[str, Any] = {
        "champion": champion.version if champion else None,
        "challenger": challenger.version,
        "held_out_rows": len(held_out),
        "max_roc_auc_drop": MAX_ROC_AUC_DROP,
        "heads": {},
    }
    if champion is None:
        result.update(champion_error=champion_error, challenger_not_worse=True)
        return result
    not_worse = True
    for head in HEADS:
        labelled = [row for row in held_out if row.label(head) is not None]
        site = [row for row in labelled if row.source in site_sources]
        judged_on = "held-out rows"
        if min(sum(row.label(head) == 1 for row in site), sum(row.label(head) == 0 for row in site)) >= (
            MIN_SITE_ROWS_PER_CLASS
        ):
            labelled, judged_on = site, "the site's held-out decisions"
        labels = np.array([row.label(head) for row in labelled], dtype=np.int64)
        sources = np.array([row.source for row in labelled])
        scores = {
            "champion": _head_scores(champion, labelled, head),
            "challenger": _head_scores(challenger, labelled, head),
        }
        entry: dict[str, Any] = {"judged_on": judged_on, "rows": len(labels), "positives": int(labels.sum())}
        entry.update({name: _ranking(labels, values) for name, values in scores.items()})
        entry["by_source"] = {
            source: {
                name: _ranking(labels[sources == source], values[sources == source]) for name, values in scores.items()
            }
            for source in sorted(set(sources.tolist()))
        }
        before, after = entry["champion"]["roc_auc"], entry["challenger"]["roc_auc"]
        entry["roc_auc_change"] = round(after - before, 4) if before is not None and after is not None else None
        if entry["roc_auc_change"] is not None and entry["roc_auc_change"] < -MAX_ROC_AUC_DROP:
            not_worse = False
        result["heads"][head] = entry
    result["challenger_not_worse"] = not_worse
    return result
