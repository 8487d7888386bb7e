"""Learning curves: a simulated site's moderators decide N replies; how well does each model judge the others?

For each domain with groups (Fox News threads, YouTube videos, Civil Comments posts, SMS messages, and for
evaluation only SFU articles and Globe and Mail comments), a draw puts 70% of the domain's groups on the "site" and
keeps the rest for testing, so no thread or video straddles the two. The site's moderators decide the first N of
its replies (a random order stands in for time). Each model is then scored on the test groups:

- general: the recipe fitted on every corpus but this domain (what a new site starts with);
- site only: a plain TF-IDF + logistic regression on the N decisions alone;
- recipe mixed: the decisions mixed into the corpora with the moderators' weight (the model before site learning);
- product: what `replyguard train` ships, the general model corrected by the decisions (train.learn_site);
- with the relevance extra, on the abuse domains: the product with the abuse opinion at the card's weight and at the
  weight training would serve the site (classifier/opinion_curve.py).

The decisions go through the code real ones go through: rows with source "moderators", newest first, recency
weights (site.with_recency_weights), the moderators' weight (train.weighted_extra_rows), train.learn_site.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from classifier.crossdomain import build_baseline
from classifier.opinion_curve import OPINION_MODELS, OpinionCurve
from classifier.pipeline import HEADS, build_features, build_head_pipeline
from classifier.rows import LabelledRow
from classifier.site import with_recency_weights
from classifier.site_thresholds import decision_rates, place_site_thresholds
from classifier.thresholds import GOOD_REJECTED_MAX, Thresholds, quantile_threshold
from classifier.train import EXTRA_SOURCE, EXTRA_WEIGHT, fit_heads, learn_site, weighted_extra_rows
from classifier.weights import row_weights

DECISIONS: Final = (0, 100, 300, 1_000, 3_000)
DRAWS: Final = 3
SITE_SHARE: Final = 0.7
# The bad-published comparison: people review this share of the test replies (see bad_published).
REVIEW_RATE: Final = 0.15
MODELS: Final = ("general", "site_only", "recipe_mixed", "product")


@dataclass(frozen=True)
class Domain:
    """A domain of the learning curves: its rows' source, the head it measures, and whether it is evaluation only."""

    name: str
    head: str
    evaluation_only: bool = False


DOMAINS: Final = (
    Domain("fox-news", "abuse"),
    Domain("civil-comments", "abuse"),
    Domain("sfu", "abuse", evaluation_only=True),
    Domain("unhealthy-conversations", "abuse", evaluation_only=True),
    Domain("youtube", "spam"),
    Domain("sms", "spam"),
)


def _auc(labels: NDArray[np.int64], scores: NDArray[np.float64]) -> float | None:
    return float(roc_auc_score(labels, scores)) if len(np.unique(labels)) == 2 else None


def bad_published(labels: NDArray[np.int64], scores: NDArray[np.float64], review_rate: float = REVIEW_RATE) -> float:
    """Share of the bad replies (label 1) a model publishes under a three-way decision with people reviewing
    `review_rate` of all replies.

    The reject threshold is placed where at most GOOD_REJECTED_MAX of the good replies would be rejected unseen
    (as training places it); people review the highest-scored `review_rate` of the replies below it; the rest is
    published. Both are placed on the test replies themselves, the same way for every model, so the figure
    compares rankings rather than threshold tuning.
    """
    reject = quantile_threshold(scores[labels == 0], GOOD_REJECTED_MAX)
    below = np.flatnonzero(scores < reject)
    reviewed = below[np.argsort(-scores[below], kind="stable")[: round(review_rate * len(scores))]]
    published = np.zeros(len(scores), dtype=bool)
    published[below] = True
    published[reviewed] = False
    return float(np.sum((labels == 1) & published) / max(1, int(np.sum(labels == 1))))


def site_split(rows: Sequence[LabelledRow], draw: int) -> tuple[list[int], list[int]]:
    """(site rows in decision order, test rows): whole groups go to the site until it holds SITE_SHARE of the rows.

    A domain read as a single group (every SMS message shares one) has nothing to keep apart: each row is its own.
    """
    generator = np.random.default_rng(draw)
    groups = [row.group for row in rows]
    if len(set(groups)) < 2:
        groups = [str(index) for index in range(len(rows))]
    sizes = Counter(groups)
    site_groups: set[str] = set()
    taken = 0
    for group in generator.permutation(sorted(sizes)):
        if taken >= SITE_SHARE * len(rows):
            break
        site_groups.add(str(group))
        taken += sizes[str(group)]
    site = [index for index, group in enumerate(groups) if group in site_groups]
    test = [index for index, group in enumerate(groups) if group not in site_groups]
    return [site[i] for i in generator.permutation(len(site))], test


def as_decisions(rows: Sequence[LabelledRow]) -> list[LabelledRow]:
    """The rows as the service hands moderators' decisions to training (first = newest)."""
    decided = [replace(row, source=EXTRA_SOURCE, weight=1.0) for row in reversed(rows)]
    return weighted_extra_rows(with_recency_weights(decided), extra_weight=EXTRA_WEIGHT)


class HashedRows:
    """Every text hashed once: the recipe's refits on the corpora reuse the rows of this matrix."""

    def __init__(self, rows: Sequence[LabelledRow]) -> None:
        self.index = {_key(row): position for position, row in enumerate(rows)}
        self.matrix = sp.csr_matrix(build_features().fit_transform([row.model_text() for row in rows]))

    def of(self, rows: Sequence[LabelledRow]) -> sp.csr_matrix:
        return self.matrix[[self.index[_key(row)] for row in rows]]


def _key(row: LabelledRow) -> tuple[str, str, str | None]:
    # What model_text reads: a decision (a copy of a domain row under another source) finds its row's hashes.
    return row.text, row.name, row.website


def recipe_logits(
    hashed: HashedRows, train: Sequence[LabelledRow], head: str, test: Sequence[LabelledRow]
) -> NDArray[np.float64]:
    """The recipe refit on `train` without its calibration (which does not change a ranking), scored on `test`."""
    recipe = build_head_pipeline()
    tfidf, regression = clone(recipe.named_steps["tfidf"]), clone(recipe.named_steps["classifier"].estimator)
    labelled = [row for row in train if row.label(head) is not None]
    matrix = tfidf.fit_transform(hashed.of(labelled))
    regression.fit(matrix, [row.label(head) for row in labelled], sample_weight=row_weights(labelled, head))
    return np.asarray(regression.decision_function(tfidf.transform(hashed.of(test))), dtype=np.float64)


def _site_only(decisions: Sequence[LabelledRow], head: str, test: Sequence[LabelledRow]) -> NDArray[np.float64]:
    """The same-run baseline (crossdomain.build_baseline) fitted on `decisions` alone, scored on `test`."""
    vectorizer, regression = build_baseline()
    regression.fit(vectorizer.fit_transform([row.text for row in decisions]), [row.label(head) for row in decisions])
    return np.asarray(regression.decision_function(vectorizer.transform([row.text for row in test])))


def head_scores(pipeline: Pipeline, hashed: HashedRows, test: Sequence[LabelledRow]) -> NDArray[np.float64]:
    # Past the hashing step, with the test rows' hashes computed once: the same numbers as predict_proba on texts.
    return np.asarray(pipeline[1:].predict_proba(hashed.of(test))[:, 1], dtype=np.float64)


def _domain_curve(
    domain: Domain,
    domain_rows: list[LabelledRow],
    corpus_rows: list[LabelledRow],
    hashed: HashedRows,
    say: Callable[[str], None],
    opinion: OpinionCurve | None,
) -> dict[str, Any]:
    head = domain.head
    opinion = opinion if head == "abuse" else None
    models = (*MODELS, *OPINION_MODELS) if opinion else MODELS
    opinions = opinion.logits(domain_rows) if opinion else np.zeros(len(domain_rows))
    general_rows = [row for row in corpus_rows if row.source != domain.name]
    general = fit_heads(general_rows, heads=(head,))
    jigsaw = [row for row in corpus_rows if row.source == "jigsaw" and row.label(head) is not None]
    points: dict[int, dict[str, list[float | None]]] = {}
    for draw in range(DRAWS):
        site, test_index = site_split(domain_rows, draw)
        test = [domain_rows[i] for i in test_index]
        labels = np.array([row.label(head) for row in test], dtype=np.int64)
        general_scores = head_scores(general[head], hashed, test)
        for count in DECISIONS:
            if count > len(site):
                continue
            point = points.setdefault(count, {f"{model}_{kind}": [] for model in models for kind in ("roc_auc", "bad")})
            scores: dict[str, NDArray[np.float64] | None] = dict.fromkeys(models)
            scores["general"] = general_scores
            decided = [domain_rows[i] for i in site[:count]]
            if count:
                decisions = as_decisions(decided)
                if len({row.label(head) for row in decisions}) == 2:
                    scores["site_only"] = _site_only(decisions, head, test)
                learned = learn_site(general, decisions, fallback_rows=[*general_rows, *decisions], heads=(head,))
                scores["product"] = product = head_scores(learned.pipelines[head], hashed, test)
                out_of_fold = learned.out_of_fold.get(head)
                if out_of_fold is not None:
                    lines = site_lines(head, decisions, out_of_fold, test, product)
                    for key, value in (lines or {}).items():
                        point.setdefault(f"site_lines_{key}", []).append(value)
                if opinion:
                    # as_decisions lists the decided rows newest (last decided) first.
                    with_opinion = opinion.columns(
                        general[head], learned.pipelines[head], product, opinions[test_index], decisions, out_of_fold,
                        opinions[site[:count][::-1]],
                    )  # fmt: skip
                    scores |= with_opinion.scores
                    point.setdefault("opinion_site_weight_served", []).append(float(with_opinion.site_weight_served))
                scores["recipe_mixed"] = recipe_logits(hashed, [*general_rows, *decisions], head, test)
            else:
                scores["product"] = scores["recipe_mixed"] = general_scores
                if opinion:
                    scores |= opinion.columns(general[head], general[head], general_scores, opinions[test_index]).scores
                if jigsaw and head == "abuse":
                    # The plain baseline a site could train on the Jigsaw sample alone (the yardstick).
                    point.setdefault("tfidf_jigsaw_roc_auc", []).append(_auc(labels, _site_only(jigsaw, head, test)))
            for model, values in scores.items():
                point[f"{model}_roc_auc"].append(None if values is None else _auc(labels, values))
                point[f"{model}_bad"].append(None if values is None else bad_published(labels, values))
            say(f"  learning curve {domain.name}, draw {draw + 1}/{DRAWS}, {count} decisions")
    return {
        "head": head,
        "rows": len(domain_rows),
        "groups": len({row.group for row in domain_rows}),
        "evaluation_only": domain.evaluation_only,
        "points": [_summary(count, values, models) for count, values in sorted(points.items())],
    }


def site_lines(
    head: str,
    decisions: Sequence[LabelledRow],
    out_of_fold: dict[int, float],
    test: Sequence[LabelledRow],
    test_scores: NDArray[np.float64],
) -> dict[str, float | None] | None:
    """The product's thresholds placed on the site's decisions (site_thresholds.py) as `replyguard train` places
    them: what the decisions say they imply, and what they do to the test replies. None below the minimums."""
    other = "spam" if head == "abuse" else "abuse"
    decided = sorted(out_of_fold)
    rows = [decisions[i] for i in decided]
    scores = {head: np.array([out_of_fold[i] for i in decided], dtype=np.float64), other: np.zeros(len(rows))}
    # The other head is not measured here: its lines sit where a zero score is always published.
    untouched = Thresholds(
        **{f"{name}_{line}": value for name in HEADS for line, value in (("hold", 0.5), ("reject", 0.99))}
    )
    placement = place_site_thresholds(rows, scores, untouched, heads=(head,))
    if placement is None:
        return None
    tested = {head: test_scores, other: np.zeros(len(test))}
    realised = decision_rates(test, tested["spam"], tested["abuse"], placement.thresholds)
    return {
        "expected_review": placement.rates["review_rate"],
        "expected_bad_published": placement.rates["bad_published"],
        "test_review": realised["review_rate"],
        "test_bad_published": realised["bad_published"],
        "test_good_rejected": realised["good_rejected"],
    }


def _mean(values: list[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return round(float(np.mean(known)), 4) if known else None


def _summary(count: int, values: dict[str, list[float | None]], models: Sequence[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"decisions": count, "draws": len(values["general_roc_auc"])}
    for model in models:
        entry[model] = {
            "roc_auc": _mean(values[f"{model}_roc_auc"]),
            "roc_auc_per_draw": [None if v is None else round(v, 4) for v in values[f"{model}_roc_auc"]],
            "bad_published_at_review_rate": _mean(values[f"{model}_bad"]),
        }
    lines = {
        key.removeprefix("site_lines_"): _mean(value) for key, value in values.items() if key.startswith("site_lines_")
    }
    if lines:
        entry["site_thresholds"] = lines
    if "opinion_site_weight_served" in values:
        # In how many draws training would serve the site's own opinion weight rather than the card's.
        entry["opinion_site_weight_served"] = int(sum(value or 0.0 for value in values["opinion_site_weight_served"]))
    if "tfidf_jigsaw_roc_auc" in values:
        entry["tfidf_jigsaw"] = {"roc_auc": _mean(values["tfidf_jigsaw_roc_auc"])}
    return entry


def learning_curves(
    corpus_rows: list[LabelledRow],
    evaluation_rows: dict[str, list[LabelledRow]],
    *,
    progress: Callable[[str], None] | None = None,
    opinion: OpinionCurve | None = None,
    only: Collection[str] | None = None,
) -> dict[str, Any]:
    """The curves of every domain present: corpus_rows are the training rows, evaluation_rows the grouped
    evaluation-only sets by domain name ("sfu", "unhealthy-conversations"); with `opinion` (the relevance extra and a
    card with the abuse opinion) the abuse domains get the OPINION_MODELS columns too; `only` names the domains to
    run (all by default)."""
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    by_domain = {
        domain: evaluation_rows.get(domain.name, [])
        if domain.evaluation_only
        else [row for row in corpus_rows if row.source == domain.name]
        for domain in DOMAINS
        if only is None or domain.name in only
    }
    present = {domain: rows for domain, rows in by_domain.items() if _measurable(rows, domain.head)}
    say(f"learning curves: hashing {len(corpus_rows):,} rows for the recipe's refits")
    hashed = HashedRows([*corpus_rows, *(row for rows in present.values() for row in rows)])
    report: dict[str, Any] = {
        "draws": DRAWS,
        "site_share": SITE_SHARE,
        "review_rate": REVIEW_RATE,
        "abuse_opinion": opinion is not None,
        "domains": {},
    }
    for domain, rows in present.items():
        say(f"learning curves: {domain.name} ({len(rows):,} rows, {time.perf_counter() - started:.0f} s)")
        report["domains"][domain.name] = _domain_curve(domain, rows, corpus_rows, hashed, say, opinion)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _measurable(rows: list[LabelledRow], head: str) -> bool:
    labels = [label for row in rows if (label := row.label(head)) is not None]
    return len(labels) >= 2 * DECISIONS[1] and 0 < sum(labels) < len(labels)
