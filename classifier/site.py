"""Learning one site's standard: the general model's logit plus a correction fitted on the site's own decisions.

For each head, a logistic regression is fitted on the site's decided replies with two kinds of input: the general
model's logit, whose weight has a light penalty of its own (the same at every strength), and every tf-idf feature,
whose weights are the correction and are regularised toward zero. With a few decisions the correction stays small
and the site inherits the general model; as decisions accumulate, the correction and the general logit's weight
follow them, so the site's moderators outvote the corpora. The regularisation strength is chosen by cross-validation
on the decisions themselves, and so is how far the corrected logit replaces the general one (a blend of the two); a
correction whose gain out of fold is not clear of its own standard error is not applied.

The result is again one linear model over the same tf-idf features (coefficients b * (a * w_general + correction)
+ (1 - b) * w_general), so the adapted pipeline has exactly the general pipeline's shape: scoring costs the same, the
lean scorer and the per-term explanations work unchanged, and the model file holds the same trusted types.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.special import expit
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from classifier.metrics import roc_auc_difference_error
from classifier.pipeline import RANDOM_STATE
from classifier.rows import LabelledRow

# Regularisation strengths (1/C of the correction) tried by cross-validation. Measured on the learning curves
# (docs/model.md): YouTube and Fox News pick the weakest, the Globe and Mail comments with a few dozen abusive
# replies sometimes a strong one.
STRENGTHS: Final = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
MAX_FOLDS: Final = 5
# From this many decisions three folds pick the strength as well as five (each fold still holds hundreds of
# replies) at 60% of the fits: a retrain on 10,000 decisions stays within a few minutes.
FEWER_FOLDS_FROM: Final = 1_000
FEWER_FOLDS: Final = 3
# Fewer decisions of either class than this and the head keeps the general model: a correction fitted on a
# handful of replies is noise, and cross-validation needs one of each class per fold.
MIN_ROWS_PER_CLASS: Final = 5
# The correction must beat the general model by this much ROC AUC out of fold on the site's own decisions, or the
# head keeps the general model: the best of six strengths is an optimistic estimate, and on a site whose labels the
# words barely predict (SFU's toxicity ratings) a correction fitted on them ranked unseen replies worse than none.
MIN_GAIN: Final = 0.005
# The adapted logit is blend * corrected + (1 - blend) * general, the blend being the one of these whose out-of-fold
# scores rank the decisions best. A half-way blend often ranks unseen replies better than either end: the correction
# of a few hundred noisy labels is right in direction and too large (the Globe and Mail at 1,000 decisions).
BLEND_WEIGHTS: Final = (0.25, 0.5, 0.75, 1.0)
# The gain must also exceed this many standard errors of itself (paired, on the same decisions:
# metrics.roc_auc_difference_error): a one-sided test at FALSE_GAIN_RATE of the best of the BLEND_WEIGHTS blends, all
# judged on the same out-of-fold scores, so the rate is shared among them (Bonferroni: 2.24 errors for four blends).
# At 1.645 errors, as if one blend had been tried, a Globe and Mail draw's correction passed at 1.71 errors and lost
# 0.040 ROC AUC on unseen comments (docs/model.md). On a hundred decisions with a dozen bad ones a gain of 0.07 is one
# standard error; from a few thousand decisions the bar is MIN_GAIN again.
FALSE_GAIN_RATE: Final = 0.05
GAIN_STANDARD_ERRORS: Final = float(norm.ppf(1 - FALSE_GAIN_RATE / len(BLEND_WEIGHTS)))
# Below this many decisions the gain is judged on the out-of-fold scores of the whole procedure, the strength picked
# inside each fold (nested cross-validation), not on the best of six strengths judged on the folds that picked it:
# on a few hundred noisy labels that choice flattered itself (Civil Comments, 300 decisions: a correction it applied
# lost 0.049 ROC AUC on unseen posts; docs/model.md). From here the fits get slower and the flattery smaller.
NESTED_BELOW: Final = 3_000
INNER_FOLDS: Final = 3
# The penalty on the general logit's weight, in units of one decision's loss: 0.5 * GENERAL_PENALTY * weight**2,
# the same at every strength of the correction (its column is scaled by sqrt(strength / GENERAL_PENALTY)). With
# the weight free (the first design) the fit leaned on the general model, weights of 1.9-2.4 on SMS with the correction
# kept small, and stayed 0.008 ROC AUC below a site-only model at 300 decisions; penalised like this the decisions'
# own words carry more, and less the more decisions there are (docs/model.md, "Learning each site's standard").
GENERAL_PENALTY: Final = 1.0


@dataclass(frozen=True)
class SiteFit:
    """One head's fitted correction: new coefficients over the general tf-idf features, and its calibration."""

    coef: NDArray[np.float64]
    intercept: float
    calibration_a: float
    calibration_b: float
    report: dict[str, Any]
    # The calibrated score of each decision from a model that did not learn it (the cross-validation's folds), in
    # the order of the rows given: what a site's thresholds may be placed on (classifier/site_thresholds.py).
    out_of_fold: NDArray[np.float64]
    # True when the correction did not beat the general model out of fold: the head keeps the general ranking, only
    # recalibrated on the site's decisions (so a kind of reply the site rejects can still reach its hold threshold).
    keeps_general: bool = False
    # True when the decisions rank against the general model too: then even its calibration stays (nothing changed).
    keeps_general_calibration: bool = False


def site_weights(rows: Sequence[LabelledRow]) -> NDArray[np.float64]:
    """Each decision's weight: the row's own (newer decisions weigh more, see with_recency_weights)."""
    return np.array([row.weight for row in rows], dtype=np.float64)


def with_recency_weights(rows: list[LabelledRow]) -> list[LabelledRow]:
    """Newest first, weighted from 1.0 (newest) down to 0.5 (oldest): what moderators decide now counts most."""
    if len(rows) < 2:
        return rows
    last = len(rows) - 1
    return [dataclasses.replace(row, weight=1.0 - 0.5 * index / last) for index, row in enumerate(rows)]


def _correction(
    features: sp.csr_matrix, general: NDArray[np.float64], labels: NDArray[np.int64], weights: NDArray[np.float64],
    strength: float,
) -> tuple[NDArray[np.float64], float, float]:  # fmt: skip
    """Fit (correction over every column, weight of the general logit, intercept) at one strength.

    Only the columns some decision uses can get a non-zero correction, so the fit sees just those: on a few
    thousand replies that is a tenth of the hashed columns, and liblinear's time follows the column count.
    """
    used = np.unique(features.indices)
    scale = float(np.sqrt(strength / GENERAL_PENALTY))
    design = sp.hstack([features[:, used], sp.csr_matrix(scale * general[:, None])], format="csr")
    regression = LogisticRegression(
        C=1.0 / strength, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=RANDOM_STATE
    ).fit(design, labels, sample_weight=weights)
    correction = np.zeros(features.shape[1], dtype=np.float64)
    correction[used] = regression.coef_[0][:-1]
    return correction, float(regression.coef_[0][-1] * scale), float(regression.intercept_[0])


def _out_of_fold(
    features: sp.csr_matrix, general: NDArray[np.float64], labels: NDArray[np.int64], weights: NDArray[np.float64],
    strength: float, folds: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
) -> NDArray[np.float64]:  # fmt: skip
    logits = np.empty(len(labels), dtype=np.float64)
    for train, test in folds:
        correction, general_weight, intercept = _correction(
            features[train], general[train], labels[train], weights[train], strength
        )
        logits[test] = features[test] @ correction + general_weight * general[test] + intercept
    return logits


def _nested_out_of_fold(
    features: sp.csr_matrix, general: NDArray[np.float64], labels: NDArray[np.int64], weights: NDArray[np.float64],
    folds: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
) -> NDArray[np.float64]:  # fmt: skip
    """Each fold's logits from a correction whose strength was picked on the other folds alone (by INNER_FOLDS-fold
    cross-validation there): an estimate of what the whole procedure, strength choice included, does on unseen
    decisions."""
    logits = np.empty(len(labels), dtype=np.float64)
    for train, test in folds:
        inside = features[train], general[train], labels[train], weights[train]
        best, _, _ = _pick_strength(*inside, _stratified_folds(labels[train], INNER_FOLDS))
        correction, general_weight, intercept = _correction(*inside, STRENGTHS[best])
        logits[test] = features[test] @ correction + general_weight * general[test] + intercept
    return logits


def _stratified_folds(labels: NDArray[np.int64], wanted: int) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """`wanted` stratified folds, fewer when the smaller class has fewer rows than that (each fold needs one)."""
    smaller = min(int(labels.sum()), len(labels) - int(labels.sum()))
    splitter = StratifiedKFold(n_splits=min(wanted, smaller), shuffle=True, random_state=RANDOM_STATE)
    return list(splitter.split(np.zeros(len(labels)), labels))


def _pick_strength(
    features: sp.csr_matrix, general: NDArray[np.float64], labels: NDArray[np.int64], weights: NDArray[np.float64],
    folds: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
) -> tuple[int, list[NDArray[np.float64]], list[float]]:  # fmt: skip
    """(index of the best of STRENGTHS, each strength's out-of-fold logits, their ROC AUCs) on these folds."""
    tried = [_out_of_fold(features, general, labels, weights, strength, folds) for strength in STRENGTHS]
    aucs = [float(roc_auc_score(labels, logits)) for logits in tried]
    return int(np.argmax(aucs)), tried, aucs


def _platt(logits: NDArray[np.float64], labels: NDArray[np.int64], weights: NDArray[np.float64]) -> tuple[float, float]:
    """The (a, b) of expit(-(a * logit + b)), fitted on out-of-fold logits so it is not fitted to itself."""
    fitted = LogisticRegression(C=1e4, solver="lbfgs").fit(logits[:, None], labels, sample_weight=weights)
    return -float(fitted.coef_[0][0]), -float(fitted.intercept_[0])


def fit_site_head(
    pipeline: Pipeline, rows: Sequence[LabelledRow], labels: NDArray[np.int64], hashed: sp.csr_matrix
) -> SiteFit | None:
    """The site's correction of one fitted head, or None when the decisions are too few to learn from.

    `rows` are the head's decided replies (labels in the same order), `hashed` their rows of the hashing step.
    """
    positives = int(labels.sum())
    smaller = min(positives, len(labels) - positives)
    if smaller < MIN_ROWS_PER_CLASS:
        return None
    tfidf, calibrated = pipeline.named_steps["tfidf"], pipeline.named_steps["classifier"]
    general_regression = calibrated.calibrated_classifiers_[0].estimator
    features = sp.csr_matrix(tfidf.transform(hashed))
    general = np.asarray(general_regression.decision_function(features), dtype=np.float64)
    weights = site_weights(rows)
    folds = _stratified_folds(labels, FEWER_FOLDS if len(labels) >= FEWER_FOLDS_FROM else MAX_FOLDS)
    best, tried, aucs = _pick_strength(features, general, labels, weights, folds)
    general_auc = float(roc_auc_score(labels, general))
    report = {
        "decisions": len(labels),
        "positives": positives,
        "strength": STRENGTHS[best],
        # Both measured on the same decisions: the general model as it is, and the adapted one out of fold.
        "general_roc_auc": round(general_auc, 4),
        "adapted_roc_auc_out_of_fold": round(aucs[best], 4),
    }
    judged = tried[best]
    if len(labels) < NESTED_BELOW:
        judged = _nested_out_of_fold(features, general, labels, weights, folds)
        report["procedure_roc_auc_out_of_fold"] = round(float(roc_auc_score(labels, judged)), 4)
    blend, blended_auc, error = best_blend(judged, general, labels)
    report |= {
        "blend": blend,
        "blended_roc_auc_out_of_fold": round(blended_auc, 4),
        "gain_standard_error": round(error, 4),
    }
    if blended_auc < general_auc + max(MIN_GAIN, GAIN_STANDARD_ERRORS * error):
        why = (
            f"the correction did not beat the general model out of fold by {MIN_GAIN} "
            f"and {GAIN_STANDARD_ERRORS:.2f} standard errors of the gain"
        )
        return _keeping_general(general_regression, calibrated, general, labels, weights, report, why)
    correction, general_weight, intercept = _correction(features, general, labels, weights, STRENGTHS[best])
    out_of_fold = blend * tried[best] + (1 - blend) * general
    calibration_a, calibration_b = _platt(out_of_fold, labels, weights)
    if general_weight <= 0 or calibration_a >= 0:
        # A correction that turns the general model's ranking around (or whose scores rank the decisions backwards)
        # has learned the noise of a few hundred labels, not the site: measured on SFU's articles, such fits ranked
        # unseen replies below chance.
        why = "the correction ranked against the general model"
        return _keeping_general(general_regression, calibrated, general, labels, weights, report, why)
    general_coef = np.asarray(general_regression.coef_[0], dtype=np.float64)
    general_intercept = float(general_regression.intercept_[0])
    # The blend of two linear models over the same features is one: the adapted pipeline keeps the general shape.
    return SiteFit(
        coef=blend * (general_weight * general_coef + correction) + (1 - blend) * general_coef,
        intercept=blend * (general_weight * general_intercept + intercept) + (1 - blend) * general_intercept,
        calibration_a=calibration_a,
        calibration_b=calibration_b,
        report=report | {"general_weight": round(general_weight, 4)},
        out_of_fold=_calibrated(out_of_fold, calibration_a, calibration_b),
    )


def best_blend(
    corrected: NDArray[np.float64], general: NDArray[np.float64], labels: NDArray[np.int64]
) -> tuple[float, float, float]:
    """(blend weight, ROC AUC, standard error of its gain over the general logits) of the best of BLEND_WEIGHTS
    blends of out-of-fold corrected logits with the general ones; the first of equals, so the smallest weight.
    (opinion_site_weight.py blends the abuse opinion's weight for a site the same way.)"""
    blends = [weight * corrected + (1 - weight) * general for weight in BLEND_WEIGHTS]
    aucs = [float(roc_auc_score(labels, blended)) for blended in blends]
    best = int(np.argmax(aucs))
    return BLEND_WEIGHTS[best], aucs[best], roc_auc_difference_error(labels, blends[best], general)


def _keeping_general(
    general_regression: LogisticRegression, calibrated: Any, general: NDArray[np.float64], labels: NDArray[np.int64],
    weights: NDArray[np.float64], report: dict[str, Any], why: str,
) -> SiteFit:  # fmt: skip
    """The general ranking, recalibrated on the decisions when they agree with it.

    The general model never saw the decisions: its logits are out of fold as they are. When the decisions rank
    against it (a calibration slope of the wrong sign), a recalibration would turn every score around, so the
    general calibration stays: the site's moderators never make the model trust its own ranking backwards.
    """
    site_a, site_b = _platt(general, labels, weights)
    ranks_against = site_a >= 0
    if ranks_against:
        general_calibrator = calibrated.calibrated_classifiers_[0].calibrators[0]
        site_a, site_b = float(general_calibrator.a_), float(general_calibrator.b_)
        why += "; the decisions rank against the general model, so its calibration stays too"
    return SiteFit(
        coef=np.asarray(general_regression.coef_[0], dtype=np.float64),
        intercept=float(general_regression.intercept_[0]),
        calibration_a=site_a,
        calibration_b=site_b,
        report=report | {"why": why},
        out_of_fold=_calibrated(general, site_a, site_b),
        keeps_general=True,
        keeps_general_calibration=ranks_against,
    )


def _calibrated(logits: NDArray[np.float64], a: float, b: float) -> NDArray[np.float64]:
    """Probabilities as the fitted pipeline's sigmoid calibrator computes them (expit(-(a * logit + b)))."""
    return np.asarray(expit(-(a * logits + b)), dtype=np.float64)


def adapted_pipeline(pipeline: Pipeline, fit: SiteFit) -> Pipeline:
    """A copy of the general head's pipeline with the site's coefficients and calibration in place of its own."""
    adapted = copy.deepcopy(pipeline)
    pair = adapted.named_steps["classifier"].calibrated_classifiers_[0]
    pair.estimator.coef_ = fit.coef[None, :]
    pair.estimator.intercept_ = np.array([fit.intercept])
    pair.calibrators[0].a_ = fit.calibration_a
    pair.calibrators[0].b_ = fit.calibration_b
    return adapted
