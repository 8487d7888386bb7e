"""Evaluation of a saved model beside a same-run baseline: held-out rows, evaluation-only sets, other domains."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from classifier import article_eval
from classifier.crossdomain import build_baseline, cross_domain
from classifier.dataset import load_evaluation_sets, load_training_rows, split_held_out, split_validation
from classifier.errors import ModelLoadError, RelevanceUnavailable
from classifier.language_metrics import judged_rows, row_languages
from classifier.learning_curve import learning_curves
from classifier.metrics import curves, head_metrics
from classifier.operating import decided_by_the_model, expected_rates
from classifier.opinion_curve import OpinionCurve, load_opinion_curve
from classifier.pipeline import HEADS
from classifier.progress import Progress, to_stderr
from classifier.relevance import load_embedder
from classifier.rows import LabelledRow
from classifier.scorer import Scorer, load_scorer
from classifier.train import choose_thresholds, score_rows

BASELINE = "TfidfVectorizer(ngram_range=(1, 2)) + LogisticRegression(max_iter=1000), raw text, same training rows"


class _Baseline:
    """The plain baseline, one pipeline per head, fitted on the model's own training rows (raw text)."""

    def __init__(self, rows: list[LabelledRow]) -> None:
        self.heads: dict[str, tuple[TfidfVectorizer, LogisticRegression]] = {}
        for head in HEADS:
            picked = [row for row in rows if row.label(head) is not None]
            vectorizer, regression = build_baseline()
            regression.fit(vectorizer.fit_transform([row.text for row in picked]), [row.label(head) for row in picked])
            self.heads[head] = (vectorizer, regression)

    def score_rows(self, rows: list[LabelledRow]) -> dict[str, NDArray[np.float64]]:
        texts = [row.text for row in rows]
        return {
            head: regression.predict_proba(vectorizer.transform(texts))[:, 1] if texts else np.empty(0)
            for head, (vectorizer, regression) in self.heads.items()
        }


def _labelled(rows: list[LabelledRow], head: str) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    mask = np.array([row.label(head) is not None for row in rows], dtype=bool)
    return mask, np.array([row.label(head) for row in rows if row.label(head) is not None], dtype=np.int64)


def _both(
    rows: list[LabelledRow], head: str, scores: dict[str, dict[str, NDArray[np.float64]]], thresholds: dict[str, Any]
) -> dict[str, Any]:
    mask, labels = _labelled(rows, head)
    return {
        kind: head_metrics(
            labels,
            scores[kind][head][mask],
            hold=thresholds[kind][f"{head}_hold"],
            reject=thresholds[kind][f"{head}_reject"],
        )
        for kind in ("ours", "baseline")
    }


def evaluate_model(
    model_dir: Path, *, data_dir: Path, progress: Progress | None = to_stderr, refits: bool = True
) -> dict[str, Any]:
    """Report quality per head for the saved model and a plain baseline trained on the same rows; JSON-ready.

    - held_out: the test part of the held-out rows (never trained on, not used to tune thresholds), overall
      and per source: ROC AUC, PR AUC, ECE, and precision/recall/F1 at the hold and reject thresholds;
    - operating_point: published/reviewed/rejected shares on the 80/15/5 mix, ours and the baseline's (its
      thresholds chosen by the same rule on the same validation rows);
    - evaluation_only: SFU (toxicity >= 2 and >= 3), ETHOS and the Wikipedia identity sets, never trained on;
    - cross_domain: leave-one-domain-out and grouped Fox News thread folds, recipe and baseline refit per fold
      (skipped when refits=False; it takes most of the time);
    - learning_curves: simulated sites learning from N moderators' decisions (classifier/learning_curve.py;
      skipped when refits=False), with the abuse opinion's columns when the relevance extra and the card have it;
    - curves: ROC, PR and reliability points on the held-out test rows, for write_report's plots.

    `data_matches_card` says whether the corpora are the ones the card fingerprinted (if not, "held-out" rows
    may have been trained on). Progress lines go to `progress` (stderr by default; None for silence).
    """
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    scorer = load_scorer(model_dir)
    present = data_dir if data_dir.is_dir() else None
    rows, fingerprints = load_training_rows(present)
    train, held_out = split_held_out(rows)
    validation, test = split_validation(held_out)
    # Thresholds and rates on the rows whose fate the thresholds decide, as training places and measures them: rows
    # that stand for a site's replies (operating.SELECTED_SAMPLES), in a language the model covers.
    languages = scorer.card.metrics.get("languages", {})

    def decided(part: list[LabelledRow]) -> NDArray[np.bool_]:
        return decided_by_the_model(part, judged_rows(languages, row_languages(part)))

    validation = [row for row, kept in zip(validation, decided(validation), strict=True) if kept]
    say(f"evaluate: {len(train)} training, {len(validation)} validation, {len(test)} test rows; fitting the baseline")
    baseline = _Baseline(train)
    model_thresholds = scorer.card.thresholds
    baseline_thresholds, _ = choose_thresholds(validation, baseline.score_rows(validation))
    thresholds = {
        "ours": {
            name: getattr(model_thresholds, name) for name in ("spam_hold", "spam_reject", "abuse_hold", "abuse_reject")
        },
        "baseline": {
            name: getattr(baseline_thresholds, name)
            for name in ("spam_hold", "spam_reject", "abuse_hold", "abuse_reject")
        },
    }
    report: dict[str, Any] = {
        "model_version": scorer.version,
        "baseline": BASELINE,
        "thresholds": thresholds,
        "data_matches_card": fingerprints == scorer.card.data_fingerprints,
        "rows": {"train": len(train), "validation": len(validation), "test": len(test)},
        "held_out": {},
        "evaluation_only": {},
        "curves": {},
    }
    say(f"evaluate: scoring held-out rows ({time.perf_counter() - started:.0f} s)")
    scores = {"ours": score_rows(dict(scorer.pipelines), test), "baseline": baseline.score_rows(test)}
    for head in HEADS:
        sources = sorted({row.source for row in test if row.label(head) is not None})
        report["held_out"][head] = _both(test, head, scores, thresholds) | {
            "by_source": {
                source: _both([r for r in test if r.source == source], head, _subset(scores, test, source), thresholds)
                for source in sources
            }
        }
        mask, labels = _labelled(test, head)
        report["curves"][head] = {kind: curves(labels, scores[kind][head][mask]) for kind in ("ours", "baseline")}
    strict = scorer.card.policy_thresholds("error-targets")
    baseline_strict, _ = choose_thresholds(validation, baseline.score_rows(validation), policy="error-targets")
    mix = decided(test)
    mix_rows = [row for row, kept in zip(test, mix, strict=True) if kept]
    mixed = {kind: {head: values[mix] for head, values in by_head.items()} for kind, by_head in scores.items()}
    report["operating_point"] = {
        "ours": expected_rates(mix_rows, mixed["ours"]["spam"], mixed["ours"]["abuse"], model_thresholds),
        "baseline": expected_rates(
            mix_rows, mixed["baseline"]["spam"], mixed["baseline"]["abuse"], baseline_thresholds
        ),
        # The same models with hold thresholds at the 1% bad-published target (REPLYGUARD_THRESHOLD_POLICY).
        "ours, error-targets": expected_rates(mix_rows, mixed["ours"]["spam"], mixed["ours"]["abuse"], strict),
        "baseline, error-targets": expected_rates(
            mix_rows, mixed["baseline"]["spam"], mixed["baseline"]["abuse"], baseline_strict
        ),
    }
    say(f"evaluate: evaluation-only sets ({time.perf_counter() - started:.0f} s)")
    for name, eval_rows in load_evaluation_sets(present).items():
        eval_scores = {
            "ours": score_rows(dict(scorer.pipelines), eval_rows),
            "baseline": baseline.score_rows(eval_rows),
        }
        report["evaluation_only"][name] = {
            "abuse": _both(eval_rows, "abuse", eval_scores, thresholds),
            # These are real comments with no spam among them, so whatever the spam head holds is a false hold.
            "spam_on_ordinary_comments": {
                "share_held": round(float(np.mean(eval_scores["ours"]["spam"] >= model_thresholds.spam_hold)), 4),
                "share_rejected": round(float(np.mean(eval_scores["ours"]["spam"] >= model_thresholds.spam_reject)), 4),
            },
        }
    plain, fuzzed = (report["evaluation_only"].get(n) for n in ("wikipedia-identity", "wikipedia-identity-fuzzed"))
    if plain and fuzzed and plain["abuse"]["ours"]["roc_auc"] is not None and fuzzed["abuse"]["ours"]["roc_auc"]:
        # Swapping identity terms should not change toxicity; a drop in AUC means the model keys on identities.
        report["identity_term_auc_drop"] = round(
            plain["abuse"]["ours"]["roc_auc"] - fuzzed["abuse"]["ours"]["roc_auc"], 4
        )
    logits: dict[int, float] = {}
    if refits:
        report["cross_domain"] = cross_domain(rows, progress=say, keep_logits=logits)
        evaluation_sets = load_evaluation_sets(present)
        grouped = {"sfu": "sfu-mild-or-worse", "unhealthy-conversations": "unhealthy-conversations"}
        report["learning_curves"] = learning_curves(
            rows,
            {domain: evaluation_sets.get(name, []) for domain, name in grouped.items()},
            progress=say,
            opinion=_opinion_curve(scorer, model_dir, say),
        )
    report["article_aware"] = _article_aware(rows, logits, scorer, held_out, say)
    report["seconds"] = round(time.perf_counter() - started, 1)
    say(f"evaluate: done in {report['seconds']} s")
    return report


def _opinion_curve(scorer: Scorer, model_dir: Path, say: Progress) -> OpinionCurve | None:
    curve = load_opinion_curve(scorer, model_dir)
    if isinstance(curve, str):
        say(f"evaluate: learning curves without the abuse opinion ({curve})")
        return None
    return curve


def _article_aware(
    rows: list[LabelledRow], logits: dict[int, float], scorer: Scorer, held_out: list[LabelledRow], say: Progress
) -> dict[str, Any]:
    """The article-aware protocol (classifier/article_eval.py), or why it could not run (no relevance extra, a card
    without relevance parameters, no YouTube rows)."""
    try:
        embedder = load_embedder()
        say("evaluate: article-aware protocol (YouTube videos held out one at a time)")
        report: dict[str, Any] = {"available": True}
        if logits:
            report["grouped"] = article_eval.grouped(rows, logits, embedder)
        report["cascade"] = article_eval.cascade(scorer, held_out, embedder)
        return report
    except (RelevanceUnavailable, ModelLoadError, ValueError) as exc:  # ValueError: too few rows for a fit or an AUC
        return {"available": False, "why": str(exc)}


def _subset(
    scores: dict[str, dict[str, NDArray[np.float64]]], rows: list[LabelledRow], source: str
) -> dict[str, dict[str, NDArray[np.float64]]]:
    mask = np.array([row.source == source for row in rows], dtype=bool)
    return {kind: {head: values[mask] for head, values in by_head.items()} for kind, by_head in scores.items()}
