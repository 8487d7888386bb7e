"""The general heads are reused by the next training while the corpora stay the same, and only then."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from classifier import LabelledRow, train_model
from classifier.corpora import read_seed
from classifier.general_cache import CACHE_FOLDER, general_heads, in_fitting_order
from classifier.pipeline import HEADS
from classifier.train import fit_heads

Fit = Callable[[list[LabelledRow], Sequence[str]], dict[str, Pipeline]]


def _counting_fit() -> tuple[list[int], Fit]:
    calls: list[int] = []

    def fit(rows: list[LabelledRow], heads: Sequence[str]) -> dict[str, Pipeline]:
        calls.append(len(rows))
        return fit_heads(rows, heads)

    return calls, fit


def _coef(pipelines: dict[str, Pipeline], head: str) -> np.ndarray:
    return np.asarray(pipelines[head].named_steps["classifier"].calibrated_classifiers_[0].estimator.coef_)


def test_the_same_rows_reuse_the_fit_and_other_rows_fit_again(tmp_path: Path) -> None:
    rows = in_fitting_order(read_seed())
    calls, fit = _counting_fit()
    first, cached = general_heads(tmp_path, rows, HEADS, fit)
    assert not cached and calls == [len(rows)]
    again, cached = general_heads(tmp_path, rows, HEADS, fit)
    assert cached and calls == [len(rows)]
    for head in HEADS:
        assert np.array_equal(_coef(first, head), _coef(again, head))
    changed = [dataclasses.replace(rows[0], abuse=1 - (rows[0].abuse or 0)), *rows[1:]]
    _, cached = general_heads(tmp_path, changed, HEADS, fit)
    assert not cached and len(calls) == 2
    # One entry only, and never a folder a model scan would take for a model.
    assert len(list((tmp_path / CACHE_FOLDER).iterdir())) == 1
    assert not list(tmp_path.glob("*/card.json"))


def test_a_damaged_cache_is_fitted_again(tmp_path: Path) -> None:
    rows = in_fitting_order(read_seed())
    calls, fit = _counting_fit()
    general_heads(tmp_path, rows, HEADS, fit)
    (model_file,) = (tmp_path / CACHE_FOLDER).glob("*/model.skops")
    model_file.write_bytes(model_file.read_bytes()[:-10])  # its sha256 no longer matches
    _, cached = general_heads(tmp_path, rows, HEADS, fit)
    assert not cached and len(calls) == 2


def test_the_fitting_order_depends_on_the_rows_alone() -> None:
    rows = read_seed()
    assert in_fitting_order(rows) == in_fitting_order(list(reversed(rows)))


def test_a_retraining_with_new_decisions_reuses_the_general_heads(tmp_path: Path) -> None:
    said: list[str] = []
    decisions = [LabelledRow(f"a new reply {i} about the council budget", spam=0, abuse=0) for i in range(6)]
    first = train_model(output_root=tmp_path, data_dir=None, extra_rows=decisions[:3], progress=said.append)
    second = train_model(output_root=tmp_path, data_dir=None, extra_rows=decisions, progress=said.append)
    assert first != second
    assert sum("general heads are reused" in line for line in said) == 1
