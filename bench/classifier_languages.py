"""Does one multilingual abuse head cost English anything? Held-out abuse ROC AUC per domain and language, per mix.

Run: .venv/bin/python bench/classifier_languages.py [MIX ...]  (about 1-3 min per mix on 2 shared cores)

Mixes (the abuse head only, the shipped recipe and training weights, calibrated like training):
- english: the English corpora and the seed, as before issue 21 (the multilingual rows are left out);
- no-mlma: english plus GermEval (de) and the Russian news comments (ru);
- all: no-mlma plus MLMA's French, Arabic and English tweets;
- mlma-fr-ar: no-mlma plus MLMA's French and Arabic tweets only: what training reads;
- mlma-fr-ar-x3: mlma-fr-ar with the multilingual rows weighted three times.
And `per-language` (not a mix): for each language corpus, heads fitted on that corpus alone, on the multilingual
corpora alone, and on everything training reads, at three regularisation strengths, each scored on that corpus's
held-out rows: whether per-language heads would beat the one multilingual head.
Every mix is scored on the same held-out rows (the usual hash split; GermEval's official test part), so the figures
compare within one run. Prints one JSON line per mix: ROC AUC per held-out source (Russian news per public),
per evaluation-only set (SFU, ETHOS...), and the rows trained per source.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from classifier import corpora
from classifier.dataset import load_evaluation_sets, load_training_rows, split_held_out
from classifier.pipeline import build_head_pipeline
from classifier.rows import LabelledRow, dedupe
from classifier.weights import row_weights

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
MULTILINGUAL = {"germeval", "russian-news", "mlma-fr", "mlma-ar", "mlma-en"}
MIXES: dict[str, frozenset[str]] = {
    "english": frozenset(),
    "no-mlma": frozenset({"germeval", "russian-news"}),
    "all": frozenset(MULTILINGUAL),
    "mlma-fr-ar": frozenset({"germeval", "russian-news", "mlma-fr", "mlma-ar"}),
    "mlma-fr-ar-x3": frozenset({"germeval", "russian-news", "mlma-fr", "mlma-ar"}),
}
# Mixes that weigh the multilingual rows more than training does (each source's weight times this).
MIX_WEIGHTS: dict[str, float] = {"mlma-fr-ar-x3": 3.0}


def _domain(row: LabelledRow) -> str:
    # Russian news is measured per public as well as in all.
    return row.group if row.source == "russian-news" else row.source


def _auc(labels: list[int], scores: np.ndarray) -> float | None:
    return round(float(roc_auc_score(labels, scores)), 4) if 0 < sum(labels) < len(labels) else None


def _by(rows: list[LabelledRow], scores: np.ndarray, key: Any) -> dict[str, float | None]:
    found: dict[str, float | None] = {}
    for name in sorted({key(row) for row in rows}):
        picked = [i for i, row in enumerate(rows) if key(row) == name]
        found[name] = _auc([rows[i].abuse or 0 for i in picked], scores[picked])
    return found


LANGUAGE_SOURCES = ("germeval", "russian-news", "mlma-fr", "mlma-ar")
STRENGTHS = (0.5, 2.0, 8.0)  # logistic regression's C (the shipped head uses 4)


def per_language(train: list[LabelledRow], held_out: list[LabelledRow], hashed_train: Any, hashed_held: Any) -> None:
    """Per language corpus: ROC AUC on its held-out rows of heads fitted on it alone, on the multilingual corpora
    alone, and on all that training reads (MLMA's English tweets aside), uncalibrated (ROC AUC ignores calibration)."""
    trained = [i for i, row in enumerate(train) if row.source != "mlma-en"]
    setups = {
        "multilingual": [i for i in trained if train[i].source in MULTILINGUAL],
        "everything": trained,
    }
    for source in LANGUAGE_SOURCES:
        test = [i for i, row in enumerate(held_out) if row.source == source]
        labels = [held_out[i].abuse or 0 for i in test]
        found: dict[str, Any] = {"source": source, "held_out": len(test)}
        for setup, picked in {"own": [i for i in trained if train[i].source == source], **setups}.items():
            tfidf = build_head_pipeline().named_steps["tfidf"]
            x_train = tfidf.fit_transform(hashed_train[picked])
            x_test = tfidf.transform(hashed_held[test])
            weights = row_weights([train[i] for i in picked], "abuse")
            for strength in STRENGTHS:
                model = LogisticRegression(C=strength, class_weight="balanced", max_iter=2000, solver="liblinear")
                model.fit(x_train, [train[i].abuse for i in picked], sample_weight=weights)
                found[f"{setup}-C{strength:g}"] = _auc(labels, model.predict_proba(x_test)[:, 1])
            found[f"{setup}-rows"] = len(picked)
        print(json.dumps(found), flush=True)


def main(names: list[str]) -> None:
    rows, _ = load_training_rows(DATA_DIR)
    # Training leaves MLMA's English tweets out (this bench's "all" mix is why); they are added here to measure them.
    english_tweets = corpora.read_mlma(DATA_DIR / "mlma-hate-speech-multilingual", languages=("en",))
    rows = dedupe([*rows, *english_tweets])
    train, held_out = split_held_out(rows)
    train = [row for row in train if row.abuse is not None]
    held_out = [row for row in held_out if row.abuse is not None]
    evaluation = load_evaluation_sets(DATA_DIR)
    features = build_head_pipeline().named_steps["features"]
    hashed_train = features.fit_transform([row.model_text() for row in train])
    hashed_held = features.transform([row.model_text() for row in held_out])
    hashed_eval = {name: features.transform([row.model_text() for row in rs]) for name, rs in evaluation.items()}
    if names == ["per-language"]:
        per_language(train, held_out, hashed_train, hashed_held)
        return
    for name in names or list(MIXES):
        started = time.perf_counter()
        picked = [i for i, row in enumerate(train) if row.source not in MULTILINGUAL or row.source in MIXES[name]]
        pipeline = build_head_pipeline()
        tfidf, classifier = pipeline.named_steps["tfidf"], pipeline.named_steps["classifier"]
        labels = np.array([train[i].abuse for i in picked])
        weights = row_weights([train[i] for i in picked], "abuse") * np.array(
            [MIX_WEIGHTS.get(name, 1.0) if train[i].source in MULTILINGUAL else 1.0 for i in picked]
        )
        classifier.fit(tfidf.fit_transform(hashed_train[picked]), labels, sample_weight=weights)
        scores = classifier.predict_proba(tfidf.transform(hashed_held))[:, 1]
        russian = [i for i, row in enumerate(held_out) if row.source == "russian-news"]
        print(
            json.dumps(
                {
                    "mix": name,
                    "held_out": _by(held_out, scores, _domain),
                    "russian-news-all": _auc([held_out[i].abuse or 0 for i in russian], scores[russian]),
                    "evaluation": {
                        set_name: _auc(
                            [row.abuse or 0 for row in evaluation[set_name]],
                            classifier.predict_proba(tfidf.transform(hashed))[:, 1],
                        )
                        for set_name, hashed in hashed_eval.items()
                    },
                    "trained": {
                        source: sum(1 for i in picked if train[i].source == source)
                        for source in sorted({train[i].source for i in picked})
                    },
                    "seconds": round(time.perf_counter() - started, 1),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
