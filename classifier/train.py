"""Training: fit both heads on the training split, tune thresholds on the held-out split, write the model folder."""

from __future__ import annotations

import platform
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
import skops
from sklearn.pipeline import Pipeline

from classifier.artifact import write_card, write_models
from classifier.card import ModelCard, version_for
from classifier.dataset import load_training_rows, split_held_out
from classifier.errors import TrainingDataError
from classifier.metrics import head_metrics
from classifier.pipeline import HEADS, build_head_pipeline
from classifier.rows import LabelledRow
from classifier.thresholds import Thresholds, choose_head_thresholds

MIN_ROWS_PER_CLASS = 5
# The seed is the only hand-labelled, news-reply-shaped data; without extra weight the off-domain corpora
# (where nearly every link is spam) teach the model to reject ordinary replies that cite a source.
SEED_WEIGHT = 5.0


def _labels(rows: list[LabelledRow], head: str) -> tuple[list[int], np.ndarray]:
    picked = [i for i, row in enumerate(rows) if row.label(head) is not None]
    return picked, np.array([rows[i].label(head) for i in picked], dtype=np.int64)


def fit_heads(rows: list[LabelledRow]) -> dict[str, Pipeline]:
    """Fit one pipeline per head on the rows labelled for it; same result as Pipeline.fit on those rows.

    The hashing step is stateless, so the texts are hashed once and each head fits its later steps on its
    own rows: that halves the slowest part of training.
    """
    texts = [row.model_text() for row in rows]
    pipelines = {head: build_head_pipeline() for head in HEADS}
    hashed = pipelines[HEADS[0]].named_steps["features"].fit_transform(texts)
    for head, pipeline in pipelines.items():
        picked, labels = _labels(rows, head)
        if min(int(np.sum(labels == 0)), int(np.sum(labels == 1))) < MIN_ROWS_PER_CLASS:
            raise TrainingDataError(f"the {head} head needs at least {MIN_ROWS_PER_CLASS} rows of each class")
        pipeline.named_steps["features"].fit(texts[:1])
        weighted = pipeline.named_steps["tfidf"].fit_transform(hashed[picked])
        weights = np.array([SEED_WEIGHT if rows[i].source == "seed" else 1.0 for i in picked])
        pipeline.named_steps["classifier"].fit(weighted, labels, sample_weight=weights)
    return pipelines


def assess_heads(pipelines: dict[str, Pipeline], rows: list[LabelledRow]) -> tuple[Thresholds, dict[str, Any]]:
    """Tune thresholds on held-out rows and report metrics there, overall and per source corpus."""
    chosen: dict[str, float] = {}
    metrics: dict[str, Any] = {}
    for head, pipeline in pipelines.items():
        picked, labels = _labels(rows, head)
        scores = pipeline.predict_proba([rows[i].model_text() for i in picked])[:, 1]
        hold, reject = choose_head_thresholds(labels, scores)
        chosen[f"{head}_hold"], chosen[f"{head}_reject"] = hold, reject
        sources = np.array([rows[i].source for i in picked])
        metrics[head] = {
            "held_out": head_metrics(labels, scores, hold=hold, reject=reject),
            "held_out_by_source": {
                source: head_metrics(labels[sources == source], scores[sources == source], hold=hold, reject=reject)
                for source in sorted(set(sources.tolist()))
            },
        }
    return Thresholds(**chosen), metrics


def train_model(*, output_root: Path, data_dir: Path | None) -> Path:
    """Train both heads, save <version>/{model.skops,card.json} under output_root, return that folder.

    data_dir is the folder of corpora (the shared/data layout); None or missing means the seed corpus only.
    Deterministic in its numbers; the file's bytes (and so the version) differ between runs because skops
    names its zip members after object ids.
    """
    started = time.perf_counter()
    rows, fingerprints = load_training_rows(data_dir if data_dir is not None and data_dir.is_dir() else None)
    train_rows, held_out_rows = split_held_out(rows)
    pipelines = fit_heads(train_rows)
    thresholds, metrics = assess_heads(pipelines, held_out_rows)
    metrics["rows"] = {"train": len(train_rows), "held_out": len(held_out_rows)}

    models_root = output_root
    models_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".training-", dir=models_root))
    sha256 = write_models(pipelines, staging)
    created_at = datetime.now(UTC).replace(microsecond=0)
    metrics["training_seconds"] = round(time.perf_counter() - started, 2)
    card = ModelCard(
        version=version_for(created_at=created_at, sha256=sha256),
        created_at=created_at.isoformat(),
        sha256=sha256,
        sklearn_version=sklearn.__version__,
        library_versions={
            "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "skops": skops.__version__,
        },
        data_fingerprints=fingerprints,
        metrics=metrics,
        thresholds=thresholds,
    )  # fmt: skip
    write_card(card, staging)
    # The folder appears complete or not at all, so a scanning service never sees half a model.
    final = models_root / card.version
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    return final
