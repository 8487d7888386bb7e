"""The general model against two plain baselines trained on the Jigsaw sample, on whole news-comment sets (ROC AUC).

    .venv/bin/python bench/news_baselines.py ../shared/data docs/model/report.json [models/<version>]

Needs the relevance extra (the MiniLM embedding; `make install-test` installs it). About 9 minutes on 2 cores, most
of it embedding the 20,000 Jigsaw rows (~5 min) and the 16,100 Civil Comments posts.

Issue 14 asks that a new site's model (no decisions yet) score at least the best of these on each news domain:
  - TF-IDF + logistic regression on the Jigsaw sample (word 1-2 grams);
  - the int8 all-MiniLM-L6-v2 sentence embedding (classifier.relevance) + logistic regression on the same sample;
  - alt-profanity-check, scored by bench/classifier_baselines.py in its own venv.
Both baselines here are fitted on every labelled Jigsaw row and score every row of each set. Ours comes from the
report.json of `replyguard evaluate --report DIR`: on Fox News and Civil Comments the recipe refit without that
domain (leave-one-domain-out), on SFU and the Globe and Mail the shipped model (never trained on them).

With a model folder as third argument, the evaluation-only sets (SFU, the Globe and Mail, ETHOS: never trained on)
are also scored by that model and by an even blend of its abuse logit and the MiniLM baseline's (each standardised
over the set): what the embedding would add as a second opinion beside the model's own features.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import logit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from classifier import Submission, corpora, load_scorer
from classifier.relevance import load_embedder
from classifier.rows import LabelledRow

Reader = Callable[[Path], list[LabelledRow]]
# Name: (folder, reader, where ours is in report.json, evaluation only).
SETS: dict[str, tuple[str, Reader, tuple[str, ...], bool]] = {
    "Fox News": (
        "fox-news-hate-comments", corpora.read_fox_news, ("cross_domain", "ours", "abuse", "fox-news"), False,
    ),
    "Civil Comments": (
        "civil-comments-toxic-spans", corpora.read_civil_comments,
        ("cross_domain", "ours", "abuse", "civil-comments"), False,
    ),
    "SFU, toxicity >= 2": (
        "sfu-constructiveness-toxicity", corpora.read_sfu,
        ("evaluation_only", "sfu-mild-or-worse", "abuse", "ours"), True,
    ),
    "Globe and Mail": (
        "unhealthy-conversations", corpora.read_unhealthy_conversations,
        ("evaluation_only", "unhealthy-conversations", "abuse", "ours"), True,
    ),
    "ETHOS": ("ethos-hate-speech", corpora.read_ethos, ("evaluation_only", "ethos", "abuse", "ours"), True),
}  # fmt: skip


def labelled(rows: list[LabelledRow]) -> tuple[list[str], NDArray[np.int64]]:
    kept = [row for row in rows if row.abuse is not None]
    return [row.text for row in kept], np.array([row.abuse for row in kept], dtype=np.int64)


def from_report(report: dict[str, Any], path: tuple[str, ...]) -> float | None:
    entry: Any = report
    for key in path:
        entry = entry.get(key, {}) if isinstance(entry, dict) else {}
    return float(entry["roc_auc"]) if isinstance(entry, dict) and "roc_auc" in entry else None


def standardised(values: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray((values - values.mean()) / max(float(values.std()), 1e-12), dtype=np.float64)


def cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 3:
        print(__doc__, file=sys.stderr)
        return 2
    data = Path(argv[0])
    report = json.loads(Path(argv[1]).read_text()) if len(argv) > 1 else {}
    scorer = load_scorer(Path(argv[2])) if len(argv) > 2 else None
    started = time.perf_counter()
    texts, labels = labelled(corpora.read_jigsaw(data / "jigsaw-toxic-comment-sample"))
    print(f"Jigsaw sample: {len(texts):,} rows, {int(labels.sum()):,} toxic", file=sys.stderr)
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    tfidf_model = LogisticRegression(max_iter=1000).fit(tfidf.fit_transform(texts), labels)
    embedder = load_embedder(threads=2)
    embedded_model = LogisticRegression(max_iter=1000).fit(embedder.embed(texts), labels)
    print(f"fitted both baselines ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    columns = ["set", "rows", "toxic", "TF-IDF on Jigsaw", "MiniLM + LR", "replyguard (report)"]
    if scorer is not None:
        columns += [f"model {scorer.version}", "model + MiniLM, even blend"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for name, (folder, read, path, evaluation_only) in SETS.items():
        set_texts, set_labels = labelled(read(data / folder))
        tfidf_auc = roc_auc_score(set_labels, tfidf_model.decision_function(tfidf.transform(set_texts)))
        embedded = np.asarray(embedded_model.decision_function(embedder.embed(set_texts)), dtype=np.float64)
        row = [name, f"{len(set_texts):,}", f"{int(set_labels.sum()):,}", cell(tfidf_auc),
               cell(roc_auc_score(set_labels, embedded)), cell(from_report(report, path))]  # fmt: skip
        if scorer is not None:
            if evaluation_only:
                scored = scorer.score_many([Submission(body=text) for text in set_texts], explain=False)
                # Clipped: a score of exactly 0 or 1 would give an infinite logit and spoil the standardising.
                probabilities = np.clip([scores.abuse_score for scores in scored], 1e-9, 1 - 1e-9)
                ours = np.asarray(logit(probabilities), dtype=np.float64)
                blend = 0.5 * standardised(ours) + 0.5 * standardised(embedded)
                row += [cell(roc_auc_score(set_labels, ours)), cell(roc_auc_score(set_labels, blend))]
            else:
                row += ["trained on it", "-"]
        print("| " + " | ".join(row) + " |", flush=True)
        print(f"  {name} done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
