"""Fixtures for classifier tests: one seed-only model, trained once per run (about two seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier import Scorer, load_scorer, train_model


@pytest.fixture(scope="session")
def seed_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(output_root=tmp_path_factory.mktemp("seed-model"), data_dir=None)


@pytest.fixture(scope="session")
def seed_scorer(seed_model_dir: Path) -> Scorer:
    return load_scorer(seed_model_dir)
