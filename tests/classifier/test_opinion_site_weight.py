"""The abuse opinion's weight for one site: the corpora's until the site's held-out decisions show, out of fold, that
their own ranks the site's replies better."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.opinion_site_weight import MIN_DECISIONS, MIN_OF_EACH_CLASS, site_weight
from classifier.site import BLEND_WEIGHTS, MIN_GAIN

CORPORA_RATIO = 0.25


def decisions(n: int, *, opinion_matters: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw logits, opinions and labels of n decisions: the site's truth is `logit + opinion_matters * opinion`."""
    rng = np.random.default_rng(seed)
    logits, opinions = rng.normal(size=n), rng.normal(size=n)
    truth = logits + opinion_matters * opinions + rng.logistic(size=n)
    labels = (truth > np.quantile(truth, 0.8)).astype(np.int64)  # a fifth rejected as abusive
    return logits, opinions, labels


def test_too_few_decisions_keep_the_corpora_weight_and_say_why() -> None:
    logits, opinions, labels = decisions(MIN_DECISIONS - 1, opinion_matters=2.0)
    weight = site_weight(logits, opinions, labels, CORPORA_RATIO)
    assert (weight.ratio, weight.applied) == (CORPORA_RATIO, False)
    assert weight.report["decisions"] == MIN_DECISIONS - 1 and str(MIN_DECISIONS) in weight.report["why"]
    few_abusive = np.zeros(1000, dtype=np.int64)
    few_abusive[: MIN_OF_EACH_CLASS - 1] = 1
    assert not site_weight(np.zeros(1000), np.zeros(1000), few_abusive, CORPORA_RATIO).applied


def test_a_site_whose_decisions_follow_the_opinion_more_gets_its_own_weight() -> None:
    logits, opinions, labels = decisions(1000, opinion_matters=1.0)
    weight = site_weight(logits, opinions, labels, CORPORA_RATIO)
    report = weight.report
    assert weight.applied and report["site_ratio"] == pytest.approx(1.0, abs=0.3)
    # The best blend gains MIN_GAIN out of fold, the heads' bar.
    auc = report["roc_auc_out_of_fold"]
    assert auc["blended_weight"] - auc["corpora_weight"] >= MIN_GAIN and report["gain_standard_error"] > 0
    # What is served is the corpora's weight moved the blend's share of the way to the site's.
    assert report["blend"] in BLEND_WEIGHTS
    expected = CORPORA_RATIO + report["blend"] * (report["site_ratio"] - CORPORA_RATIO)
    assert weight.ratio == pytest.approx(expected, abs=1e-3) and report["served_ratio"] == round(weight.ratio, 4)
    assert "why" not in report
    # Judged against the site's typical acceptable reply, not the corpora's.
    assert weight.reference == weight.report["site_reference"] == round(float(np.median(opinions[labels == 0])), 4)


def test_a_site_that_agrees_with_the_corpora_keeps_their_weight() -> None:
    logits, opinions, labels = decisions(1000, opinion_matters=CORPORA_RATIO)
    weight = site_weight(logits, opinions, labels, CORPORA_RATIO)
    assert not weight.applied and weight.ratio == CORPORA_RATIO and weight.reference is None
    assert "out of fold" in weight.report["why"]


def test_decisions_that_do_not_read_the_opinion_as_a_push_keep_the_corpora_weight() -> None:
    logits, opinions, labels = decisions(1000, opinion_matters=-1.0)  # the opinion points the other way here
    weight = site_weight(logits, opinions, labels, CORPORA_RATIO)
    assert not weight.applied and weight.ratio == CORPORA_RATIO and weight.report["site_ratio"] is None
