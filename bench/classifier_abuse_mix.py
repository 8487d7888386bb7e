"""How much each corpus should count in the abuse head: held-out and left-out ROC AUC per source weighting.

Run: .venv/bin/python bench/classifier_abuse_mix.py [CONFIG ...]  (about 1 min per configuration on 2 cores)

Each configuration sets the abuse head's per-source weights (on top of each row's own weight and SOURCE_WEIGHTS) and
fits the head three times, two at a time: on every training row (scored on the held-out rows of each corpus and on
the evaluation-only sets), and without Fox News and without Civil Comments (each scored on all of its rows: a news
site the head never saw, as the learning curves' "general" model). Uncalibrated: ROC AUC ignores calibration.
Prints one JSON line per configuration.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.utils.parallel import Parallel, delayed

from classifier.dataset import load_evaluation_sets, load_training_rows, split_held_out
from classifier.pipeline import build_head_pipeline
from classifier.weights import HEAD_SOURCE_WEIGHTS, row_weights

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
CONFIGS: dict[str, dict[str, float]] = {
    "before": {},  # every corpus at 1 (beside the seed's SOURCE_WEIGHTS): the recipe before 2026-12-07
    "shipped": HEAD_SOURCE_WEIGHTS["abuse"],
    "jigsaw-2": {"jigsaw": 2.0},
    "jigsaw-3": {"jigsaw": 3.0},
    "civil-comments-0.5": {"civil-comments": 0.5},
    "civil-comments-0.33-jigsaw-2": {"civil-comments": 0.33, "jigsaw": 2.0},
    "civil-comments-0.5-jigsaw-3": {"civil-comments": 0.5, "jigsaw": 3.0},
    "no-davidson": {"davidson": 0.0},
}
LEFT_OUT = ("fox-news", "civil-comments")
HELD_OUT_SOURCES = (
    "jigsaw",
    "civil-comments",
    "fox-news",
    "davidson",
    "seed",
    "germeval",
    "russian-news",
    "mlma-fr",
    "mlma-ar",
)


def main(names: list[str]) -> None:
    rows, _ = load_training_rows(DATA_DIR)
    train, held = split_held_out(rows)
    train = [row for row in train if row.abuse is not None]
    held = [row for row in held if row.abuse is not None]
    everything = train + held
    evaluation = {name: sets for name, sets in load_evaluation_sets(DATA_DIR).items() if not name.startswith("wiki")}
    recipe = build_head_pipeline()
    features = recipe.named_steps["features"]
    hashed = features.fit_transform([row.model_text() for row in everything])
    hashed_eval = {name: features.transform([row.model_text() for row in sets]) for name, sets in evaluation.items()}
    labels = np.array([row.abuse for row in everything])
    sources = np.array([row.source for row in everything])
    own = row_weights(everything)  # the weights every head shares; each configuration is the abuse head's own
    trained = np.arange(len(everything)) < len(train)

    def fit(config: str, left_out: str | None) -> tuple[str, dict[str, Any]]:
        weights = own * np.array([CONFIGS[config].get(source, 1.0) for source in sources])
        picked = trained & (weights > 0) & (sources != left_out)
        tfidf = clone(recipe.named_steps["tfidf"]).fit(hashed[picked])
        model = clone(recipe.named_steps["classifier"].estimator)
        model.fit(tfidf.transform(hashed[picked]), labels[picked], sample_weight=weights[picked])
        found: dict[str, Any] = {}
        if left_out is None:
            scores = model.decision_function(tfidf.transform(hashed[~trained]))
            for source in HELD_OUT_SOURCES:
                mask = sources[~trained] == source
                found[f"held-out {source}"] = round(float(roc_auc_score(labels[~trained][mask], scores[mask])), 4)
            for name, matrix in hashed_eval.items():
                scored = model.decision_function(tfidf.transform(matrix))
                found[f"evaluation {name}"] = round(
                    float(roc_auc_score([r.abuse for r in evaluation[name]], scored)), 4
                )
        else:
            mask = sources == left_out
            scores = model.decision_function(tfidf.transform(hashed[mask]))
            found[f"left out {left_out}"] = round(float(roc_auc_score(labels[mask], scores)), 4)
        return config, found

    picked_configs = names or list(CONFIGS)
    jobs = [delayed(fit)(config, left_out) for config in picked_configs for left_out in (None, *LEFT_OUT)]
    merged: dict[str, dict[str, Any]] = {config: {} for config in picked_configs}
    for config, found in Parallel(n_jobs=2)(jobs):
        merged[config].update(found)
    for config in picked_configs:
        print(json.dumps({"config": config, "weights": CONFIGS[config], **merged[config]}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
