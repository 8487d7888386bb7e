"""How fast the classifier is: scoring one reply (lean path against predict_proba), training, loading, size.

Run: .venv/bin/python bench/classifier_speed.py [DATA_DIR] [MODEL_DIR]
Trains on every corpus in DATA_DIR (default ../shared/data) unless MODEL_DIR names a model to time instead.
Not a test: these machines are shared and noisy, so read ratios and re-run before believing a single number.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from classifier import Submission, load_scorer, train_model
from classifier.dataset import load_training_rows, split_held_out
from classifier.features import model_text

TARGETS = {"p50_ms": 0.7, "p99_ms": 2.0, "train_s": 180.0, "load_s": 2.0, "size_mb": 50.0}
REPLIES = 3000


def _percentiles(samples: list[float]) -> tuple[float, float]:
    values = np.array(samples) * 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared" / "data"
    with tempfile.TemporaryDirectory() as scratch:
        if len(sys.argv) > 2:
            model_dir, train_seconds = Path(sys.argv[2]), float("nan")
        else:
            started = time.perf_counter()
            model_dir = train_model(output_root=Path(scratch), data_dir=data)
            train_seconds = time.perf_counter() - started
        size_mb = (model_dir / "model.skops").stat().st_size / 1e6
        loads = []
        for _ in range(5):
            gc.collect()
            started = time.perf_counter()
            scorer = load_scorer(model_dir)
            loads.append(time.perf_counter() - started)
        rows, _ = load_training_rows(data if data.is_dir() else None)
        _, held_out = split_held_out(rows)
        replies = [Submission(row.text, name=row.name, website=row.website) for row in held_out[:REPLIES]]
        random.Random(0).shuffle(replies)
        for reply in replies[:200]:  # warm caches, as a running service would have
            scorer.score(reply)
        hold = scorer.card.thresholds
        held_only = lambda scores: scores.spam_score >= hold.spam_hold or scores.abuse_score >= hold.abuse_hold  # noqa: E731
        lean, service, proba = [], [], []
        for reply in replies:
            started = time.perf_counter()
            scorer.score(reply)
            lean.append(time.perf_counter() - started)
            # What the service does: contributions only for replies that will wait for a person.
            started = time.perf_counter()
            scorer.score_many([reply], explain=held_only)
            service.append(time.perf_counter() - started)
            started = time.perf_counter()
            text = model_text(reply)
            for pipeline in scorer.pipelines.values():
                pipeline.predict_proba([text])
            proba.append(time.perf_counter() - started)
        started = time.perf_counter()
        scorer.score_many(replies)
        batch_per_s = len(replies) / (time.perf_counter() - started)

    lean_p50, lean_p99 = _percentiles(lean)
    service_p50, service_p99 = _percentiles(service)
    proba_p50, proba_p99 = _percentiles(proba)
    length = statistics.median(len(reply.body) for reply in replies)
    print(f"model {model_dir.name}; {len(replies)} held-out replies, median {length:.0f} characters")
    print(f"{'measure':<44} {'value':>10} {'target':>10}")
    lines = [
        ("score one reply as the service does, p50 (ms)", service_p50, TARGETS["p50_ms"]),
        ("score one reply as the service does, p99 (ms)", service_p99, TARGETS["p99_ms"]),
        ("score one reply, always explained, p50 (ms)", lean_p50, None),
        ("score one reply, always explained, p99 (ms)", lean_p99, None),
        ("score one reply, predict_proba x2 heads, p50 (ms)", proba_p50, None),
        ("score one reply, predict_proba x2 heads, p99 (ms)", proba_p99, None),
        ("score_many throughput (replies/s)", batch_per_s, None),
        ("train on all corpora (s)", train_seconds, TARGETS["train_s"]),
        ("load model, median of 5 (s)", statistics.median(loads), TARGETS["load_s"]),
        ("model.skops size (MB)", size_mb, TARGETS["size_mb"]),
    ]
    for label, value, target in lines:
        print(f"{label:<44} {value:>10.3f} {'' if target is None else f'{target:>10.2f}'}")


if __name__ == "__main__":
    main()
