"""The card's per-language section: rows trained on, held-out ROC AUC per head, and which languages the model covers.

A row's language is what the service would detect for it as a reply (language.detect_language on its text), not
the language its corpus is said to be in: coverage is asked of replies by their detected language, and a few rows
of every corpus are in another language than its name says (English inside the Russian comments, German inside
Jigsaw). Rows too short to tell count under no language.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from sklearn.metrics import roc_auc_score

from classifier.card import ENGLISH
from classifier.language import detect_language
from classifier.pipeline import HEADS
from classifier.rows import LabelledRow

# A language is covered when the model ranks its abusive replies above its ordinary ones about as well as the
# English corpora taught it to (English held-out abuse ROC AUC is about 0.92): the floor of issue 21's target.
COVERAGE_MIN_ROC_AUC: Final = 0.85
# ...measured on enough held-out rows of each abuse class that the figure means something (its standard error at
# 100 + 100 rows and ROC AUC 0.85 is about 0.027).
COVERAGE_MIN_ROWS_PER_CLASS: Final = 100
# Fewer held-out rows of a class than this and a head's ROC AUC for the language is not reported (None).
REPORT_MIN_ROWS_PER_CLASS: Final = 10


def row_languages(rows: Sequence[LabelledRow]) -> list[str | None]:
    """Each row's detected language (ISO 639-1), None where its text is too short or unclear to say."""
    return [detect_language(row.text) for row in rows]


def _roc_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    positives = int(labels.sum())
    if min(positives, len(labels) - positives) < REPORT_MIN_ROWS_PER_CLASS:
        return None
    return round(float(roc_auc_score(labels, scores)), 4)


def language_metrics(
    train_rows: Sequence[LabelledRow],
    held_out_rows: Sequence[LabelledRow],
    held_out_scores: dict[str, np.ndarray],
    *,
    evaluated: bool = True,
    train_languages: Sequence[str | None] | None = None,
    held_out_languages: Sequence[str | None] | None = None,
) -> dict[str, dict[str, Any]]:
    """{code: {"rows": {head: training rows labelled for it}, "roc_auc": {head: held-out ROC AUC or None},
    "held_out": {"abuse": {"positives": int, "negatives": int}}, "covered": bool, "why": str}} for every language
    detected among the training or held-out rows.

    ROC AUC is measured on every held-out row (validation and test parts alike: no fit saw either, and ranking
    does not depend on the thresholds tuned on the validation part). `evaluated` False (a seed-only model, whose
    held-out rows are too few for any target) keeps the rule cards had before per-language metrics: English only.
    The rows' languages (row_languages) may be given, when the caller has them already.
    """
    if train_languages is None:
        train_languages = row_languages(train_rows)
    held_languages = row_languages(held_out_rows) if held_out_languages is None else held_out_languages
    trained: dict[str, Counter[str]] = {}
    for row, language in zip(train_rows, train_languages, strict=True):
        if language is not None:
            counts = trained.setdefault(language, Counter())
            for head in HEADS:
                counts[head] += row.label(head) is not None
    languages: dict[str, dict[str, Any]] = {}
    for language in sorted(set(trained) | {code for code in held_languages if code is not None}):
        entry: dict[str, Any] = {"rows": {head: trained.get(language, Counter())[head] for head in HEADS}}
        entry["roc_auc"] = {}
        for head in HEADS:
            picked = [
                i
                for i, (row, code) in enumerate(zip(held_out_rows, held_languages, strict=True))
                if code == language and row.label(head) is not None
            ]
            labels = np.array([held_out_rows[i].label(head) for i in picked], dtype=np.int64)
            entry["roc_auc"][head] = _roc_auc(labels, held_out_scores[head][picked]) if picked else None
            if head == "abuse":
                entry["held_out"] = {
                    "abuse": {"positives": int(labels.sum()), "negatives": int(len(labels) - labels.sum())}
                }
        entry["covered"], entry["why"] = _coverage(language, entry, evaluated=evaluated)
        languages[language] = entry
    if not evaluated and ENGLISH not in languages:
        languages[ENGLISH] = {
            "rows": dict.fromkeys(HEADS, 0),
            "roc_auc": dict.fromkeys(HEADS),
            "held_out": {"abuse": {"positives": 0, "negatives": 0}},
            "covered": True,
            "why": _SEED_ONLY,
        }
    return languages


_SEED_ONLY = "a seed-only model is evaluated on too few rows for any language: it covers English, as models always did"


def _coverage(language: str, entry: dict[str, Any], *, evaluated: bool) -> tuple[bool, str]:
    if not evaluated:
        return language == ENGLISH, _SEED_ONLY
    held = entry["held_out"]["abuse"]
    if min(held["positives"], held["negatives"]) < COVERAGE_MIN_ROWS_PER_CLASS:
        return False, f"fewer than {COVERAGE_MIN_ROWS_PER_CLASS} held-out rows of each abuse class"
    auc = entry["roc_auc"]["abuse"]
    if auc is None or auc < COVERAGE_MIN_ROC_AUC:
        return False, f"held-out abuse ROC AUC {auc} is below {COVERAGE_MIN_ROC_AUC}"
    return True, f"held-out abuse ROC AUC {auc} >= {COVERAGE_MIN_ROC_AUC}"


def judged_rows(languages: dict[str, dict[str, Any]], row_codes: Sequence[str | None]) -> list[bool] | None:
    """Which rows the service would judge on the model's word: those in a covered language, and those too short to
    tell (the service judges them as any other). None, meaning every row, when no language is covered yet (a
    seed-only model, which covers English by default and is judged on all its rows, as before)."""
    covered = {code for code, entry in languages.items() if entry["covered"]}
    if not covered:
        return None
    return [code is None or code in covered for code in row_codes]
