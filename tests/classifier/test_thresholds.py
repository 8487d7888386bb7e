"""Thresholds meet the error targets on validation scores, stay ordered inside (0, 1), and refuse nonsense."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from classifier import Thresholds
from classifier.operating import SELECTED_SAMPLES, expected_rates, realistic
from classifier.rows import LabelledRow
from classifier.thresholds import (
    BAD_PUBLISHED_MAX,
    HIGHEST,
    LOWEST,
    PER_HEAD_GOOD_REJECTED_MAX,
    REJECT_FLOOR,
    REVIEW_BUDGET,
    choose_small_sample_thresholds,
    choose_target_thresholds,
    head_outcome,
    head_outcomes,
    outcome,
    outcomes,
)
from classifier.train import choose_thresholds


def test_well_separated_scores_hold_between_the_classes_and_reject_only_confident_ones() -> None:
    labels = np.array([0] * 90 + [1] * 10)
    scores = np.concatenate([np.linspace(0.0, 0.2, 90), np.linspace(0.6, 0.99, 10)])
    hold, reject = choose_small_sample_thresholds(labels, scores)
    assert 0.2 < hold <= 0.6
    assert np.mean(scores[labels == 1] >= hold) >= 0.9
    assert np.mean(scores[labels == 0] >= hold) <= 0.03
    assert REJECT_FLOOR <= reject <= 0.6 + 1e-6


def test_overlapping_scores_protect_ordinary_replies_before_recall() -> None:
    generator = np.random.default_rng(0)
    labels = np.array([0] * 500 + [1] * 100)
    scores = np.concatenate([generator.uniform(0, 0.7, 500), generator.uniform(0.3, 1.0, 100)])
    hold, reject = choose_small_sample_thresholds(labels, scores)
    assert np.mean(scores[labels == 0] >= hold) <= 0.03
    assert hold < reject


@pytest.mark.parametrize(
    ("labels", "scores"),
    [([0, 0, 0], [0.0, 0.0, 0.0]), ([1, 1, 1], [1.0, 1.0, 1.0]), ([0, 1], [0.999, 0.9999])],
)
def test_degenerate_inputs_still_give_sane_bounds(labels: list[int], scores: list[float]) -> None:
    hold, reject = choose_small_sample_thresholds(np.array(labels), np.array(scores, dtype=np.float64))
    assert LOWEST <= hold < reject <= HIGHEST


@pytest.mark.parametrize(("hold", "reject"), [(0.5, 0.5), (0.6, 0.4), (0.0, 0.5), (0.5, 1.0)])
def test_thresholds_refuse_unordered_or_boundary_values(hold: float, reject: float) -> None:
    with pytest.raises(ValueError, match="hold < reject"):
        Thresholds(spam_hold=hold, spam_reject=reject, abuse_hold=0.5, abuse_reject=0.9)


def test_target_thresholds_publish_at_most_one_percent_of_bad_and_reject_at_most_the_allowed_good() -> None:
    generator = np.random.default_rng(1)
    positives = generator.beta(5, 2, 2000)
    ordinary = generator.beta(2, 5, 8000)
    hold, reject = choose_target_thresholds(positives, ordinary)
    assert np.mean(positives < hold) <= BAD_PUBLISHED_MAX
    assert np.mean(ordinary >= reject) <= PER_HEAD_GOOD_REJECTED_MAX
    assert hold < reject
    # No slack: a visibly higher hold would publish more than the target allows.
    assert np.mean(positives < hold + 0.01) > BAD_PUBLISHED_MAX


def test_separable_scores_meet_in_the_middle_and_leave_nothing_to_review() -> None:
    hold, reject = choose_target_thresholds(np.linspace(0.8, 1.0, 500), np.linspace(0.0, 0.3, 500))
    assert 0.3 < hold < reject < 0.8 or reject == REJECT_FLOOR


def test_decisions_reject_on_either_head_and_hold_on_either_head() -> None:
    thresholds = Thresholds(spam_hold=0.3, spam_reject=0.8, abuse_hold=0.4, abuse_reject=0.9)
    spam = np.array([0.1, 0.35, 0.1, 0.85, 0.1])
    abuse = np.array([0.1, 0.1, 0.5, 0.1, 0.95])
    assert outcomes(spam, abuse, thresholds).tolist() == ["publish", "review", "review", "reject", "reject"]


@pytest.mark.parametrize(
    ("score", "expected"),
    [(0.0, "publish"), (0.2999, "publish"), (0.3, "review"), (0.7999, "review"), (0.8, "reject"), (1.0, "reject")],
)
def test_a_head_holds_at_its_hold_threshold_and_rejects_at_its_reject_threshold(score: float, expected: str) -> None:
    assert head_outcome(score, hold=0.3, reject=0.8) == expected


def test_the_array_forms_agree_with_the_one_reply_rule_at_and_around_every_threshold() -> None:
    """The evaluation's outcomes() and the service's outcome() are one rule: they agree on every pair of scores."""
    thresholds = Thresholds(spam_hold=0.3, spam_reject=0.8, abuse_hold=0.4, abuse_reject=0.9)
    edges = [0.0, 0.3, 0.4, 0.8, 0.9, 1.0]
    points = sorted({round(edge + step, 4) for edge in edges for step in (-1e-4, 0.0, 1e-4)} - {-1e-4, 1.0001})
    spam, abuse = (np.array(axis, dtype=np.float64) for axis in zip(*itertools.product(points, points), strict=True))
    one_by_one = [outcome(s, a, thresholds) for s, a in zip(spam.tolist(), abuse.tolist(), strict=True)]
    assert outcomes(spam, abuse, thresholds).tolist() == one_by_one
    heads = head_outcomes(spam, hold=thresholds.spam_hold, reject=thresholds.spam_reject).tolist()
    assert heads == [head_outcome(s, hold=thresholds.spam_hold, reject=thresholds.spam_reject) for s in spam.tolist()]
    assert {"publish", "review", "reject"} == set(one_by_one)


def test_expected_rates_weight_each_kind_of_reply_by_the_mix() -> None:
    thresholds = Thresholds(spam_hold=0.3, spam_reject=0.8, abuse_hold=0.4, abuse_reject=0.9)
    rows = [LabelledRow("a", spam=0, abuse=0), LabelledRow("b", spam=1), LabelledRow("c", abuse=1)]
    rates = expected_rates(rows, np.array([0.5, 0.9, 0.1]), np.array([0.1, 0.1, 0.1]), thresholds)
    assert rates["by_kind"]["ordinary"]["review"] == 1.0
    assert rates["review_rate"] == 0.8
    assert rates["bad_published"] == 0.25  # the abusive reply (5 of the 20 bad points) goes out
    assert rates["good_rejected"] == 0.0
    assert rates["complete_mix"] is True


def _overlapping_scores() -> tuple[list[LabelledRow], dict[str, np.ndarray]]:
    """Validation rows whose positives overlap ordinary replies a lot, as abuse on news comments does."""
    generator = np.random.default_rng(2)
    rows = (
        [LabelledRow(f"o{i}", spam=0, abuse=0) for i in range(4000)]
        + [LabelledRow(f"s{i}", spam=1) for i in range(600)]
        + [LabelledRow(f"a{i}", abuse=1) for i in range(300)]
    )
    return rows, {
        "spam": np.concatenate([generator.beta(1, 6, 4000), generator.beta(5, 2, 600), generator.beta(1, 6, 300)]),
        "abuse": np.concatenate([generator.beta(1, 4, 4000), generator.beta(1, 6, 600), generator.beta(3, 2, 300)]),
    }


def test_when_one_percent_bad_published_needs_too_much_review_the_target_is_relaxed_to_fit_the_budget() -> None:
    rows, overlap = _overlapping_scores()
    thresholds, rules = choose_thresholds(rows, overlap)
    rates = expected_rates(rows, overlap["spam"], overlap["abuse"], thresholds)
    assert rates["review_rate"] <= REVIEW_BUDGET
    assert rules["abuse"].startswith("review budget")
    assert rates["bad_published"] > BAD_PUBLISHED_MAX


def test_the_error_targets_policy_keeps_one_percent_of_bad_published_whatever_it_costs_in_review() -> None:
    rows, overlap = _overlapping_scores()
    strict, rules = choose_thresholds(rows, overlap, policy="error-targets")
    budget, _ = choose_thresholds(rows, overlap, policy="review-budget")
    assert set(rules.values()) == {"targets"}
    strict_rates = expected_rates(rows, overlap["spam"], overlap["abuse"], strict)
    budget_rates = expected_rates(rows, overlap["spam"], overlap["abuse"], budget)
    assert strict_rates["bad_published"] <= BAD_PUBLISHED_MAX
    assert strict_rates["review_rate"] > REVIEW_BUDGET >= budget_rates["review_rate"]
    # Reject thresholds do not depend on the policy: both protect ordinary replies alike.
    assert (strict.spam_reject, strict.abuse_reject) == (budget.spam_reject, budget.abuse_reject)


def test_selected_samples_neither_place_thresholds_nor_count_in_the_rates() -> None:
    rows = [
        LabelledRow("flagged but acceptable", abuse=0, source="civil-comments"),
        LabelledRow("an ordinary reply", spam=0, abuse=0, source="seed"),
        LabelledRow("an insult", abuse=1, source="fox-news"),
    ]
    assert realistic(rows).tolist() == [False, True, True]
    assert "civil-comments" in SELECTED_SAMPLES
