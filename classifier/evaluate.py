"""Evaluation of a saved model: held-out split, evaluation-only corpora, identity-term bias, other domains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from classifier.crossdomain import leave_one_domain_out
from classifier.dataset import load_evaluation_sets, load_training_rows, split_held_out
from classifier.metrics import head_metrics
from classifier.rows import LabelledRow
from classifier.scorer import Scorer, load_scorer


def _score_rows(scorer: Scorer, rows: list[LabelledRow], head: str) -> np.ndarray:
    texts = [row.model_text() for row in rows]
    return np.asarray(scorer.pipelines[head].predict_proba(texts)[:, 1], dtype=np.float64) if texts else np.empty(0)


def _head_report(scorer: Scorer, rows: list[LabelledRow], head: str) -> dict[str, Any]:
    labelled = [row for row in rows if row.label(head) is not None]
    labels = np.array([row.label(head) for row in labelled], dtype=np.int64)
    hold = getattr(scorer.thresholds, f"{head}_hold")
    reject = getattr(scorer.thresholds, f"{head}_reject")
    return head_metrics(labels, _score_rows(scorer, labelled, head), hold=hold, reject=reject)


def _ordinary_flagged_as_spam(scorer: Scorer, rows: list[LabelledRow]) -> dict[str, float]:
    # The evaluation-only sets are real comments with no spam among them (by construction of each corpus),
    # so whatever the spam head holds there is a false hold.
    scores = _score_rows(scorer, rows, "spam")
    return {
        "share_held": round(float(np.mean(scores >= scorer.thresholds.spam_hold)), 4),
        "share_rejected": round(float(np.mean(scores >= scorer.thresholds.spam_reject)), 4),
    }


def evaluate_model(model_dir: Path, *, data_dir: Path) -> dict[str, Any]:
    """Report quality per head on held-out/evaluation-only data (including SFU and ETHOS, which are evaluation only,
    and leave-one-domain-out where cheap); JSON-serialisable.

    The held-out split is rebuilt from data_dir exactly as training built it; `data_matches_card` says whether
    the corpora are the ones the card fingerprinted (if not, "held-out" rows may have been trained on).
    """
    scorer = load_scorer(model_dir)
    present = data_dir if data_dir.is_dir() else None
    rows, fingerprints = load_training_rows(present)
    _, held_out = split_held_out(rows)
    evaluation_sets = load_evaluation_sets(present)

    report: dict[str, Any] = {
        "model_version": scorer.version,
        "thresholds": {
            "spam_hold": scorer.thresholds.spam_hold, "spam_reject": scorer.thresholds.spam_reject,
            "abuse_hold": scorer.thresholds.abuse_hold, "abuse_reject": scorer.thresholds.abuse_reject,
        },
        "data_matches_card": fingerprints == scorer.card.data_fingerprints,
        "held_out": {},
        "evaluation_only": {},
    }  # fmt: skip
    for head in ("spam", "abuse"):
        sources = sorted({row.source for row in held_out if row.label(head) is not None})
        report["held_out"][head] = {
            "all": _head_report(scorer, held_out, head),
            "by_source": {
                source: _head_report(scorer, [row for row in held_out if row.source == source], head)
                for source in sources
            },
        }
    for name, eval_rows in evaluation_sets.items():
        report["evaluation_only"][name] = {
            "abuse": _head_report(scorer, eval_rows, "abuse"),
            "spam_on_ordinary_comments": _ordinary_flagged_as_spam(scorer, eval_rows),
        }
    plain, fuzzed = (
        report["evaluation_only"].get(name) for name in ("wikipedia-identity", "wikipedia-identity-fuzzed")
    )
    if plain and fuzzed and plain["abuse"]["roc_auc"] is not None and fuzzed["abuse"]["roc_auc"] is not None:
        # Swapping identity terms should not change toxicity; a drop in AUC means the model keys on identities.
        report["identity_term_auc_drop"] = round(plain["abuse"]["roc_auc"] - fuzzed["abuse"]["roc_auc"], 4)
    report["leave_one_domain_out"] = leave_one_domain_out(rows)
    return report
