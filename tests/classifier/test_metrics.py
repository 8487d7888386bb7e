"""The standard error that decides whether a site's correction is applied: DeLong's paired estimate."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from classifier.metrics import roc_auc_difference_error


def _scores(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    labels = generator.integers(0, 2, rows)
    shared = labels + generator.normal(0.0, 1.0, rows)  # what both rankings see
    first = shared + generator.normal(0.0, 0.5, rows)
    second = shared + generator.normal(0.0, 0.8, rows)
    return labels, first, second


def test_it_agrees_with_a_paired_bootstrap_of_the_same_rows() -> None:
    labels, first, second = _scores(400, seed=3)
    generator = np.random.default_rng(4)
    differences = []
    for _ in range(1000):
        picked = generator.integers(0, len(labels), len(labels))
        differences.append(roc_auc_score(labels[picked], first[picked]) - roc_auc_score(labels[picked], second[picked]))
    assert roc_auc_difference_error(labels, first, second) == pytest.approx(np.std(differences), rel=0.15)


def test_the_pairing_keeps_what_the_two_rankings_share_out_of_the_error() -> None:
    labels, first, second = _scores(400, seed=5)
    shuffled = np.random.default_rng(6).permutation(len(labels))
    # The same two rankings of the same rows, against one of them scored on other rows of the same class mix: the
    # paired difference varies less than two unrelated AUCs would.
    unrelated = second[shuffled] + labels - labels[shuffled]
    assert roc_auc_difference_error(labels, first, second) < 0.7 * roc_auc_difference_error(labels, first, unrelated)


def test_identical_rankings_differ_by_nothing() -> None:
    labels, first, _ = _scores(50, seed=7)
    assert roc_auc_difference_error(labels, first, first) == 0.0
    assert roc_auc_difference_error(labels, first, 3 * first + 1) == 0.0  # a ranking is all that counts
