"""Training: fit both heads on the training split, tune thresholds on held-out rows, write the model folder."""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import scipy.sparse
import sklearn
import skops
from sklearn.pipeline import Pipeline
from sklearn.utils.parallel import Parallel, delayed

from classifier.abuse_opinion import ABUSE_FLOOR, ScoredDecision, fit_opinion
from classifier.artifact import write_card, write_models
from classifier.card import ModelCard, version_for
from classifier.dataset import load_training_rows, split_held_out, split_validation
from classifier.embedding_cache import CachedEmbedder
from classifier.errors import RelevanceUnavailable, TrainingDataError
from classifier.general_cache import general_heads, in_fitting_order
from classifier.language_metrics import judged_rows, language_metrics, row_languages
from classifier.lean import LinearHead
from classifier.metrics import curves, head_metrics
from classifier.operating import decided_by_the_model, expected_rates, reply_kind
from classifier.pipeline import HEADS, RECIPE, build_head_pipeline
from classifier.progress import Progress, stopwatch
from classifier.relevance import load_embedder
from classifier.relevance_shift import fit_relevance
from classifier.rows import LabelledRow
from classifier.site import MIN_ROWS_PER_CLASS as MIN_SITE_ROWS_PER_CLASS
from classifier.site import adapted_pipeline, fit_site_head
from classifier.site_thresholds import MIN_SITE_DECISIONS, MIN_SITE_ORDINARY, MIN_SITE_POSITIVES, place_site_thresholds
from classifier.thresholds import (
    BAD_PUBLISHED_STEPS,
    DEFAULT_POLICY,
    POLICIES,
    REVIEW_BUDGET,
    Thresholds,
    choose_small_sample_thresholds,
    choose_target_thresholds,
    has_enough_rows,
)
from classifier.weights import row_weights

MIN_ROWS_PER_CLASS = 5
# Moderators' decisions are replies from the very site the model serves: worth as much as the seed, by default.
EXTRA_WEIGHT = 5.0
EXTRA_SOURCE = "moderators"
# From this many training rows, hashing and the two heads' fits run in worker processes (see fit_heads).
PARALLEL_TRAINING_ROWS = 5_000


def _labels(rows: list[LabelledRow], head: str) -> tuple[list[int], np.ndarray]:
    picked = [i for i, row in enumerate(rows) if row.label(head) is not None]
    return picked, np.array([rows[i].label(head) for i in picked], dtype=np.int64)


def fit_heads(rows: list[LabelledRow], heads: Sequence[str] = HEADS) -> dict[str, Pipeline]:
    """Fit one pipeline per head on the rows labelled for it; same result as Pipeline.fit on those rows.

    The hashing step is stateless, so the texts are hashed once and each head fits its later steps on its
    own rows: that halves the slowest part of training. On the full corpora the hashing is split across
    processes and the two heads fit side by side (scikit-learn's text hashing and liblinear hold the GIL, so
    threads would not help); the fitted numbers are the same either way.
    """
    texts = [row.model_text() for row in rows]
    pipelines = {head: build_head_pipeline() for head in heads}
    jobs = _training_jobs(len(texts))
    hashed = _hash_texts(pipelines[heads[0]].named_steps["features"], texts, jobs)
    work = []
    for head, pipeline in pipelines.items():
        picked, labels = _labels(rows, head)
        if not _enough_of_each_class(labels):
            raise TrainingDataError(f"the {head} head needs at least {MIN_ROWS_PER_CLASS} rows of each class")
        pipeline.named_steps["features"].fit(texts[:1])
        weights = row_weights([rows[i] for i in picked], head)
        work.append(delayed(_fit_head_steps)(pipeline, hashed[picked], labels, weights))
    for head, (tfidf, classifier) in zip(heads, Parallel(n_jobs=jobs)(work), strict=True):
        pipelines[head].steps[1:] = [("tfidf", tfidf), ("classifier", classifier)]
    return pipelines


def _enough_of_each_class(labels: np.ndarray) -> bool:
    return min(int(np.sum(labels == 0)), int(np.sum(labels == 1))) >= MIN_ROWS_PER_CLASS


def _training_jobs(rows: int) -> int:
    """Processes for hashing and fitting: one per core up to one per head, and one for a small set (a seed-only
    model trains in a second or two; starting worker processes would cost more than it saves)."""
    if rows < PARALLEL_TRAINING_ROWS:
        return 1
    return max(1, min(len(HEADS), os.cpu_count() or 1))


def _hash_texts(features: Any, texts: list[str], jobs: int) -> Any:
    if jobs == 1:
        return features.fit_transform(texts)
    size = -(-len(texts) // jobs)
    chunks = [texts[start : start + size] for start in range(0, len(texts), size)]
    return scipy.sparse.vstack(Parallel(n_jobs=jobs)(delayed(features.transform)(chunk) for chunk in chunks)).tocsr()


def _fit_head_steps(pipeline: Pipeline, hashed: Any, labels: np.ndarray, weights: np.ndarray) -> tuple[Any, Any]:
    """The head's tf-idf and classifier, fitted on its rows' hashed features (run in a worker process)."""
    tfidf, classifier = pipeline.named_steps["tfidf"], pipeline.named_steps["classifier"]
    classifier.fit(tfidf.fit_transform(hashed), labels, sample_weight=weights)
    return tfidf, classifier


@dataclasses.dataclass(frozen=True)
class SiteLearning:
    """The heads after learning a site, what each learned (the card's `metrics.site`), and each head's out-of-fold
    scores of the decisions it learned from, keyed by the decision's index in the site's rows."""

    pipelines: dict[str, Pipeline]
    report: dict[str, Any]
    out_of_fold: dict[str, dict[int, float]]


def adapt_heads(
    pipelines: dict[str, Pipeline], site_rows: Sequence[LabelledRow], heads: Sequence[str] = HEADS
) -> SiteLearning:
    """Each fitted head corrected by the site's own decisions (classifier/site.py), and what each correction learned.

    A head whose decisions are too few of either class keeps the general pipeline; one whose correction does not
    beat the general model out of fold keeps its ranking, recalibrated on the decisions (`recalibrated_only`), or
    with its own calibration as well when the decisions rank against it (`general_unchanged`).
    """
    adapted = dict(pipelines)
    report: dict[str, Any] = {}
    out_of_fold: dict[str, dict[int, float]] = {}
    texts = [row.model_text() for row in site_rows]
    hashed = next(iter(pipelines.values()))[:1].transform(texts) if texts and pipelines else None
    work, fitting = [], []
    for head in heads:
        picked, labels = _labels(list(site_rows), head)
        report[head] = {"adapted": False, "decisions": len(picked), "positives": int(labels.sum()),
                        "why": f"fewer than {MIN_SITE_ROWS_PER_CLASS} decisions of each class"}  # fmt: skip
        if hashed is not None and head in pipelines:
            fitting.append((head, picked))
            work.append(delayed(fit_site_head)(pipelines[head], [site_rows[i] for i in picked], labels, hashed[picked]))
    # Like fit_heads: with thousands of decisions, each head's cross-validation runs in its own process.
    for (head, picked), fitted in zip(fitting, Parallel(n_jobs=_training_jobs(len(texts)))(work), strict=True):
        if fitted is not None:
            adapted[head] = adapted_pipeline(pipelines[head], fitted)
            report[head] = {
                "adapted": not fitted.keeps_general,
                "recalibrated_only": fitted.keeps_general and not fitted.keeps_general_calibration,
                "general_unchanged": fitted.keeps_general_calibration,
            }
            report[head] |= fitted.report
            out_of_fold[head] = dict(zip(picked, fitted.out_of_fold.tolist(), strict=True))
    return SiteLearning(adapted, report, out_of_fold)


def learn_site(
    pipelines: dict[str, Pipeline],
    site_rows: Sequence[LabelledRow],
    *,
    fallback_rows: list[LabelledRow],
    heads: Sequence[str] = HEADS,
) -> SiteLearning:
    """The general heads corrected by the site's decisions, and the report of what each head learned.

    Decisions of one class only (a new kind of spam rejected, nothing approved yet) cannot fit a correction, and
    decisions that replaced most corpus rows leave no general head to correct: such a head is fitted on
    `fallback_rows` (the corpora with the decisions among them, as every corpus row is learned), and has no
    out-of-fold scores.
    """
    learned = adapt_heads(pipelines, site_rows, heads)
    report = learned.report
    mixed = [
        head
        for head in heads
        if head not in pipelines
        or (
            report[head]["decisions"]
            and not report[head]["adapted"]
            and not report[head].get("recalibrated_only")
            and not report[head].get("general_unchanged")
        )
    ]
    if mixed:
        learned.pipelines.update(fit_heads(fallback_rows, heads=mixed))
        for head in mixed:
            report[head] = {**report[head], "adapted": False, "mixed_into_corpora": True}
            learned.out_of_fold.pop(head, None)
    return learned


def score_rows(pipelines: dict[str, Pipeline], rows: list[LabelledRow]) -> dict[str, np.ndarray]:
    """Both heads' calibrated scores for every row (labelled for that head or not), in row order."""
    texts = [row.model_text() for row in rows]
    if not texts:
        return {head: np.empty(0, dtype=np.float64) for head in pipelines}
    # Every head hashes the same way (build_features), so the texts are hashed once for all of them.
    hashed = next(iter(pipelines.values()))[:1].transform(texts)
    return {head: pipeline[1:].predict_proba(hashed)[:, 1] for head, pipeline in pipelines.items()}


def choose_thresholds(
    rows: list[LabelledRow], scores: dict[str, np.ndarray], *, policy: str = DEFAULT_POLICY
) -> tuple[Thresholds, dict[str, str]]:
    """Thresholds per head from the rows' scores, and which rule placed each head's (see thresholds.py).

    Reject thresholds meet the good-rejected target. Under "review-budget" hold thresholds meet the tightest
    bad-published step whose review rate on the 80/15/5 mix of these rows fits REVIEW_BUDGET (the loosest step
    if none does); under "error-targets" they meet the bad-published target, whatever the review rate.
    """
    ordinary = np.array([reply_kind(row) == "ordinary" for row in rows], dtype=bool)
    positives = {head: np.array([row.label(head) == 1 for row in rows], dtype=bool) for head in HEADS}
    if not all(has_enough_rows(scores[head][positives[head]], scores[head][ordinary]) for head in HEADS):
        chosen: dict[str, float] = {}
        for head in HEADS:
            picked, labels = _labels(rows, head)
            chosen[f"{head}_hold"], chosen[f"{head}_reject"] = choose_small_sample_thresholds(
                labels, scores[head][picked]
            )
        return Thresholds(**chosen), dict.fromkeys(HEADS, "small-sample")
    steps = BAD_PUBLISHED_STEPS if policy == "review-budget" else BAD_PUBLISHED_STEPS[:1]
    for step in steps:
        chosen = {}
        for head in HEADS:
            chosen[f"{head}_hold"], chosen[f"{head}_reject"] = choose_target_thresholds(
                scores[head][positives[head]], scores[head][ordinary], bad_published=step
            )
        thresholds = Thresholds(**chosen)
        if expected_rates(rows, scores["spam"], scores["abuse"], thresholds)["review_rate"] <= REVIEW_BUDGET:
            break
    rule = "targets" if step == BAD_PUBLISHED_STEPS[0] else f"review budget: bad published per head <= {step}"
    return thresholds, dict.fromkeys(HEADS, rule)


def assess_heads(
    pipelines: dict[str, Pipeline], rows: list[LabelledRow], *, judged: Sequence[bool] | None = None
) -> tuple[Thresholds, dict[str, Any]]:
    """Tune thresholds on the validation part of the held-out rows; report quality and rates on the test part.

    Rows of selected samples (operating.SELECTED_SAMPLES) are measured per source but neither place thresholds nor
    count in the rates; nor do rows whose `judged` entry is False (in a language the model does not cover: the
    service holds those replies whatever their scores, so the thresholds are not what decides them).

    With too few validation rows for the error targets (a seed-only model), thresholds come from the
    small-sample rule on all held-out rows, and the figures are measured on those same rows.
    """
    left_out = set() if judged is None else {id(row) for row, kept in zip(rows, judged, strict=True) if not kept}

    def placing(part: list[LabelledRow]) -> np.ndarray:
        return decided_by_the_model(part, [id(row) not in left_out for row in part])

    validation, test = split_validation(rows)
    validation = [row for row, kept in zip(validation, placing(validation), strict=True) if kept]
    validation_scores = score_rows(pipelines, validation)
    thresholds, rules = choose_thresholds(validation, validation_scores)
    if "small-sample" in rules.values():
        thresholds, rules = choose_thresholds(rows, score_rows(pipelines, rows))
        test = rows
    scores = score_rows(pipelines, test)
    mix = placing(test)
    mix_rows = [row for row, kept in zip(test, mix, strict=True) if kept]
    metrics: dict[str, Any] = {}
    for head in HEADS:
        picked, labels = _labels(test, head)
        head_scores = scores[head][picked]
        hold, reject = getattr(thresholds, f"{head}_hold"), getattr(thresholds, f"{head}_reject")
        sources = np.array([test[i].source for i in picked])
        metrics[head] = {
            "threshold_rule": rules[head],
            "held_out": head_metrics(labels, head_scores, hold=hold, reject=reject),
            # Thinned ROC, PR and reliability points: the console's model page draws them from the card.
            "held_out_curves": curves(labels, head_scores),
            "held_out_by_source": {
                source: head_metrics(
                    labels[sources == source], head_scores[sources == source], hold=hold, reject=reject
                )
                for source in sorted(set(sources.tolist()))
            },
        }
    metrics["operating_point"] = expected_rates(mix_rows, scores["spam"][mix], scores["abuse"][mix], thresholds)
    metrics["operating_point"]["measured_on"] = "test" if test is not rows else "held_out"
    if "small-sample" not in rules.values():
        # Every policy's thresholds, placed on the same validation rows and measured on the same test rows, so an
        # operator can choose knowing the price of each (REPLYGUARD_THRESHOLD_POLICY).
        metrics["operating_points"] = {}
        for policy in POLICIES:
            placed, placed_rules = choose_thresholds(validation, validation_scores, policy=policy)
            metrics["operating_points"][policy] = {
                "thresholds": dataclasses.asdict(placed),
                "rule": placed_rules["spam"],
                **expected_rates(mix_rows, scores["spam"][mix], scores["abuse"][mix], placed),
            }
    return thresholds, metrics


def use_site_thresholds(
    learned: SiteLearning, decided: list[LabelledRow], thresholds: Thresholds, metrics: dict[str, Any]
) -> Thresholds:
    """The thresholds the model ships: the site's own (site_thresholds.py) once its decisions can place them, else
    the general ones. Records the placement in `metrics["site_thresholds"]` and, when it applies, puts the site's
    lines in `metrics["operating_points"]` (what the service reads per policy), keeping the general ones beside.

    `decided` starts with the rows the correction learned from (in learn_site's order, so out-of-fold scores line up),
    then the site's held-out decisions, scored by the final heads, which never learned them.
    """
    heads = tuple(learned.out_of_fold)
    if len(decided) < MIN_SITE_DECISIONS or not heads:
        metrics["site_thresholds"] = {
            "placed": False,
            "decisions": len(decided),
            "why": f"fewer than {MIN_SITE_DECISIONS} decisions" if heads else "no head learned from the decisions",
        }
        return thresholds
    scores = score_rows(learned.pipelines, decided)
    for head, known in learned.out_of_fold.items():
        for index, score in known.items():
            scores[head][index] = score
    general_points = metrics.get("operating_points", {})
    placements = {
        policy: place_site_thresholds(
            decided,
            scores,
            Thresholds(**general_points[policy]["thresholds"]) if policy in general_points else thresholds,
            heads=heads,
            policy=policy,
        )
        for policy in POLICIES
    }
    chosen = placements[DEFAULT_POLICY]
    if chosen is None:
        metrics["site_thresholds"] = {
            "placed": False,
            "decisions": len(decided),
            "why": f"no head has {MIN_SITE_POSITIVES} bad and {MIN_SITE_ORDINARY} ordinary decisions",
        }
        return thresholds
    metrics["site_thresholds"] = {
        "placed": True,
        "decisions": len(decided),
        "general_thresholds": dataclasses.asdict(thresholds),
        "general_operating_points": general_points,
    }
    metrics["operating_points"] = {
        policy: placement.to_dict() | placement.rates | {"measured_on": "site decisions, out of fold"}
        for policy, placement in placements.items()
        if placement is not None
    }
    return chosen.thresholds


def relevance_metrics(spam: Pipeline, held_out: list[LabelledRow]) -> dict[str, Any]:
    """The card's relevance section: the fitted shift (relevance_shift.py), or why this model has none.

    Without the relevance extra the model is still complete: the service then scores without relevance, and this
    section says why, so the card and /ready agree.
    """
    try:
        return fit_relevance(spam, held_out, load_embedder())
    except RelevanceUnavailable as exc:
        return {"available": False, "why": str(exc)}


def opinion_metrics(
    abuse: Pipeline | None,
    train_rows: list[LabelledRow],
    held_out_rows: list[LabelledRow],
    held_out_languages: list[str | None],
    models_root: Path,
    site_sources: Collection[str] = (),
    site_out_of_fold: Sequence[ScoredDecision] = (),
    general_abuse: Pipeline | None = None,
) -> dict[str, Any]:
    """The card's abuse_opinion section: the fitted opinion and stack (abuse_opinion.py), or why this model has none;
    the site's decisions (held-out rows of `site_sources`, and `site_out_of_fold`: the ones the head learned from,
    with their out-of-fold abuse scores) may set the stack's weight (opinion_site_weight.py); `general_abuse`, the
    head before it learned the site, places the cascade's floor.

    Like relevance, optional: without the extra (or without Jigsaw rows) the card says why and the service scores
    without the opinion. Vectors of corpus texts are cached under models_root, so a retraining embeds only new texts.
    """
    if abuse is None:
        return {"available": False, "why": "no abuse head"}
    try:
        embedder = CachedEmbedder(load_embedder(threads=0), models_root)
        floor_logit = None if general_abuse is None else LinearHead.from_pipeline(general_abuse).raw_logit(ABUSE_FLOOR)
        section = fit_opinion(
            abuse, train_rows, held_out_rows, held_out_languages, embedder, site_sources, site_out_of_fold, floor_logit
        )
    except RelevanceUnavailable as exc:
        return {"available": False, "why": str(exc)}
    return section | {"texts_embedded": embedder.embedded}


def weighted_extra_rows(extra_rows: Sequence[LabelledRow], *, extra_weight: float) -> list[LabelledRow]:
    """The extra rows as training sees them: weight multiplied by extra_weight, source "moderators" if unnamed."""
    return [
        dataclasses.replace(row, weight=row.weight * extra_weight, source=row.source or EXTRA_SOURCE)
        for row in extra_rows
    ]


def train_model(
    *,
    output_root: Path,
    data_dir: Path | None,
    extra_rows: Sequence[LabelledRow] = (),
    extra_weight: float = EXTRA_WEIGHT,
    progress: Progress | None = None,
    reuse_general_heads: bool = True,
) -> Path:
    """Train both heads, save <version>/{model.skops,card.json} under output_root, return that folder.

    data_dir is the folder of corpora (the shared/data layout); None or missing means the seed corpus only.
    extra_rows are labelled replies from outside the corpora (moderators' decisions), listed most trusted
    first: of two rows with the same normalised text the first wins, and a person's label beats a corpus's.
    Each trains with weight extra_weight * row.weight (row.weight defaults to 1.0, so newer decisions can be
    given more say). Like every row, an extra row is held out when its text hashes into the held-out buckets.
    Deterministic in its numbers; the file's bytes (and so the version) differ between runs because skops
    names its zip members after object ids. `progress` (None: silent) gets a line as each stage starts.
    The general heads are kept under output_root (general_cache.py) and reused while the corpora do not change;
    reuse_general_heads=False fits them anew.
    """
    started = time.perf_counter()
    say = stopwatch(progress, "train")
    say("reading the corpora")
    weighted = weighted_extra_rows(extra_rows, extra_weight=extra_weight)
    rows, fingerprints = load_training_rows(
        data_dir if data_dir is not None and data_dir.is_dir() else None, extra_rows=weighted
    )
    train_rows, held_out_rows = split_held_out(rows)
    site_sources = {row.source for row in weighted}
    general_rows = in_fitting_order([row for row in train_rows if row.source not in site_sources])
    site_rows = [row for row in train_rows if row.source in site_sources]
    general = [head for head in HEADS if _enough_of_each_class(_labels(general_rows, head)[1])]
    say(f"the {' and '.join(general)} heads on {len(general_rows):,} rows ({len(fingerprints)} corpora)")
    pipelines, cached = (
        general_heads(output_root if reuse_general_heads else None, general_rows, general, fit_heads)
        if general
        else ({}, False)
    )
    if cached:
        say("the corpora did not change since the last training: its general heads are reused")
    if site_rows:
        say(f"learning this site's standard from {len(site_rows):,} of its decisions")
    learned = learn_site(pipelines, site_rows, fallback_rows=train_rows)
    general_abuse, pipelines = pipelines.get("abuse"), learned.pipelines
    say("measuring each language's rows and held-out quality")
    train_languages, held_out_languages = row_languages(train_rows), row_languages(held_out_rows)
    held_out_scores = score_rows(pipelines, held_out_rows)
    languages = language_metrics(
        train_rows, held_out_rows, held_out_scores,
        train_languages=train_languages, held_out_languages=held_out_languages,
    )  # fmt: skip
    say(f"tuning thresholds on {len(held_out_rows):,} held-out rows")
    thresholds, metrics = assess_heads(pipelines, held_out_rows, judged=judged_rows(languages, held_out_languages))
    metrics["rows"] = {"train": len(train_rows), "held_out": len(held_out_rows), "site_train": len(site_rows)}
    if metrics["operating_point"]["measured_on"] != "test":
        languages = language_metrics(
            train_rows, held_out_rows, held_out_scores, evaluated=False,
            train_languages=train_languages, held_out_languages=held_out_languages,
        )  # fmt: skip
    metrics["languages"] = languages
    metrics["site"] = learned.report
    site_held_out = [row for row in held_out_rows if row.source in site_sources]
    thresholds = use_site_thresholds(learned, [*site_rows, *site_held_out], thresholds, metrics)
    say("fitting article relevance (when the relevance extra is installed)")
    metrics["relevance"] = relevance_metrics(pipelines["spam"], held_out_rows)
    say("fitting the abuse head's second opinion (when the relevance extra is installed; new texts are embedded)")
    site_languages = [
        language for row, language in zip(train_rows, train_languages, strict=True) if row.source in site_sources
    ]
    learned_abuse = learned.out_of_fold.get("abuse", {})
    site_out_of_fold = [(site_rows[i], site_languages[i], score) for i, score in learned_abuse.items()]
    metrics["abuse_opinion"] = opinion_metrics(
        pipelines.get("abuse"),
        train_rows,
        held_out_rows,
        held_out_languages,
        output_root,
        site_sources,
        site_out_of_fold,
        general_abuse,
    )

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
        recipe=RECIPE,
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
    say(f"wrote {final}")
    return final
