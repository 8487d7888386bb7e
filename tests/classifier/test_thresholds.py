"""Thresholds come from held-out scores, stay ordered inside (0, 1), and the value type refuses nonsense."""

from __future__ import annotations

import numpy as np
import pytest

from classifier import Thresholds
from classifier.thresholds import HIGHEST, LOWEST, REJECT_FLOOR, choose_head_thresholds


def test_well_separated_scores_hold_between_the_classes_and_reject_only_confident_ones() -> None:
    labels = np.array([0] * 90 + [1] * 10)
    scores = np.concatenate([np.linspace(0.0, 0.2, 90), np.linspace(0.6, 0.99, 10)])
    hold, reject = choose_head_thresholds(labels, scores)
    assert 0.2 < hold <= 0.6
    assert np.mean(scores[labels == 1] >= hold) >= 0.9
    assert np.mean(scores[labels == 0] >= hold) <= 0.03
    assert REJECT_FLOOR <= reject <= 0.6 + 1e-6


def test_overlapping_scores_protect_ordinary_replies_before_recall() -> None:
    generator = np.random.default_rng(0)
    labels = np.array([0] * 500 + [1] * 100)
    scores = np.concatenate([generator.uniform(0, 0.7, 500), generator.uniform(0.3, 1.0, 100)])
    hold, reject = choose_head_thresholds(labels, scores)
    assert np.mean(scores[labels == 0] >= hold) <= 0.03
    assert hold < reject


@pytest.mark.parametrize(
    ("labels", "scores"),
    [([0, 0, 0], [0.0, 0.0, 0.0]), ([1, 1, 1], [1.0, 1.0, 1.0]), ([0, 1], [0.999, 0.9999])],
)
def test_degenerate_inputs_still_give_sane_bounds(labels: list[int], scores: list[float]) -> None:
    hold, reject = choose_head_thresholds(np.array(labels), np.array(scores, dtype=np.float64))
    assert LOWEST <= hold < reject <= HIGHEST


@pytest.mark.parametrize(("hold", "reject"), [(0.5, 0.5), (0.6, 0.4), (0.0, 0.5), (0.5, 1.0)])
def test_thresholds_refuse_unordered_or_boundary_values(hold: float, reject: float) -> None:
    with pytest.raises(ValueError, match="hold < reject"):
        Thresholds(spam_hold=hold, spam_reject=reject, abuse_hold=0.5, abuse_reject=0.9)
