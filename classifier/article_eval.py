"""The article-aware protocol of `replyguard evaluate` (issue 8): does relevance to the article help, and what does
the service's cascade cost and change?

1. Grouped: YouTube comments by the video they were posted under, one video held out at a time. Each row starts from
   the recipe's out-of-video spam logit (the leave-one-domain-out refits of crossdomain.py); the relevance shift is
   fitted on the other videos' rows only (relevance_shift.fit_shift) and applied to the held-out video's. ROC AUC
   without and with it, per video and pooled. Fox News threads are not used: relevance measured no safe gain for
   abuse (docs/model.md), and the shipped shift is spam-only.
2. The cascade: the shipped model and its card's shift on its held-out YouTube rows (the rows the card's three
   coefficients were fitted on, so read the gain there as in-sample), deciding with the card's thresholds three ways:
   no relevance, relevance for every reply, and relevance only in [UNCERTAIN_FLOOR, reject) as the service does;
   per way the share of ordinary and of spam replies held and rejected, and the share of replies embedded.
3. Latency: the embedding model's time per reply (title cached), one reply per call as the service calls it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from classifier.errors import RelevanceUnavailable
from classifier.relevance import Embedder, link_leaves_site
from classifier.relevance_shift import (
    UNCERTAIN_FLOOR,
    RelevanceScorer,
    fit_shift,
    in_uncertain_bands,
    relevance_parameters,
)
from classifier.rows import LabelledRow
from classifier.scorer import Scorer
from classifier.submission import Submission
from classifier.thresholds import head_outcomes
from classifier.videos import VIDEO_TITLES, YOUTUBE_SITE


def _auc(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> float:
    return round(float(roc_auc_score(labels, scores)), 4)


def _features(embedder: Embedder, rows: Sequence[LabelledRow]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each row's cosine similarity to its video's title, and 1.0 where a link in it leaves youtube.com."""
    titles = dict(zip(VIDEO_TITLES, embedder.embed(list(VIDEO_TITLES.values())), strict=True))
    vectors = embedder.embed([row.text for row in rows])
    similarity = np.array([float(titles[row.group] @ vector) for row, vector in zip(rows, vectors, strict=True)])
    leaves = np.array([float(link_leaves_site(row.text, YOUTUBE_SITE)) for row in rows])
    return similarity, leaves


def grouped(rows: Sequence[LabelledRow], logits: Mapping[int, float], embedder: Embedder) -> dict[str, Any]:
    """Part 1: per held-out video, ROC AUC of the out-of-video logit without and with the shift fitted elsewhere."""
    picked = sorted(i for i in logits if rows[i].group in VIDEO_TITLES and rows[i].spam is not None)
    chosen = [rows[i] for i in picked]
    groups = np.array([row.group for row in chosen])
    labels = np.array([row.spam for row in chosen], dtype=np.int64)
    logit = np.array([logits[i] for i in picked])
    similarity, leaves = _features(embedder, chosen)
    shifted = logit.copy()
    report: dict[str, Any] = {}
    for group in sorted(set(groups.tolist())):
        held = groups == group
        parameters = fit_shift(logit[~held], similarity[~held], leaves[~held], labels[~held])
        shifted[held] = logit[held] + parameters.shifts(similarity[held], leaves[held])
        report[group] = {
            "rows": int(held.sum()),
            "positives": int(labels[held].sum()),
            "without": _auc(labels[held], logit[held]),
            "with": _auc(labels[held], shifted[held]),
            "title_similarity_alone": _auc(labels[held], -similarity[held]),
        }
    # Each video's scores come from its own refit and its own shift: pooled ranks them against each other.
    report["pooled"] = {
        "rows": len(chosen),
        "positives": int(labels.sum()),
        "without": _auc(labels, logit),
        "with": _auc(labels, shifted),
    }
    return report


def cascade(scorer: Scorer, held_out: Sequence[LabelledRow], embedder: Embedder) -> dict[str, Any]:
    """Parts 2 and 3: decisions without relevance, with it for every reply and with the cascade; embedding time."""
    parameters = relevance_parameters(scorer.card)
    if isinstance(parameters, str):
        raise RelevanceUnavailable(parameters)
    relevance = RelevanceScorer(scorer, embedder, parameters)
    rows = [row for row in held_out if row.group in VIDEO_TITLES and row.spam is not None]
    labels = np.array([row.spam for row in rows], dtype=np.int64)
    submissions = [Submission(row.text, name=row.name, website=row.website) for row in rows]
    trained = np.array([scores.spam_score for scores in scorer.score_many(submissions, explain=False)])
    similarity, leaves = _features(embedder, rows)
    adjusted = np.array(
        [
            relevance.calibrated(relevance.spam_logit(score) + parameters.shift(s, leaves_site=bool(x)))
            for score, s, x in zip(trained, similarity, leaves, strict=True)
        ]
    )
    hold, reject = scorer.thresholds.spam_hold, scorer.thresholds.spam_reject
    asked = in_uncertain_bands(trained, scorer.thresholds)
    ways = {"no relevance": trained, "every reply": adjusted, "cascade": np.where(asked, adjusted, trained)}
    report: dict[str, Any] = {
        "rows": len(rows),
        "positives": int(labels.sum()),
        "thresholds": {"spam_hold": hold, "spam_reject": reject},
        "uncertain_floor": UNCERTAIN_FLOOR,
        "ways": {},
    }
    for way, scores in ways.items():
        entry: dict[str, Any] = {
            "roc_auc": _auc(labels, scores),
            "embedded_share": round(float(asked.mean() if way == "cascade" else way == "every reply"), 4),
        }
        says = head_outcomes(scores, hold=hold, reject=reject)
        for kind, mask in (("ordinary", labels == 0), ("spam", labels == 1)):
            entry[kind] = {
                "held": round(float(np.mean(says[mask] == "review")), 4),
                "rejected": round(float(np.mean(says[mask] == "reject")), 4),
            }
        report["ways"][way] = entry
    title = next(iter(VIDEO_TITLES.values()))
    embedder.similarities(rows[0].text, [title])  # the title's vector is cached, as the service's is
    times = []
    for row in rows:
        started = time.perf_counter()
        embedder.similarities(row.text, [title])
        times.append((time.perf_counter() - started) * 1000)
    report["embedding_ms"] = {
        "p50": round(float(np.percentile(times, 50)), 2),
        "p99": round(float(np.percentile(times, 99)), 2),
    }
    return report
