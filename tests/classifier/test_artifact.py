"""A model folder loads only when it is complete, unmodified, from this scikit-learn, and of trusted types."""

from __future__ import annotations

import dataclasses
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from classifier import ModelCard, ModelLoadError, load_scorer
from classifier.artifact import file_sha256, read_card, write_card, write_models


@pytest.fixture
def model_copy(seed_model_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(seed_model_dir, tmp_path / "model"))


def test_a_trained_folder_loads_and_reports_its_card_version(seed_model_dir: Path) -> None:
    scorer = load_scorer(seed_model_dir)
    assert scorer.version == scorer.card.version == seed_model_dir.name
    assert scorer.thresholds == scorer.card.thresholds


def test_load_refuses_a_model_file_that_does_not_match_the_card_sha256(model_copy: Path) -> None:
    with (model_copy / "model.skops").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelLoadError, match="sha256"):
        load_scorer(model_copy)


def test_load_refuses_a_card_from_another_scikit_learn_version(model_copy: Path) -> None:
    card = read_card(model_copy)
    write_card(dataclasses.replace(card, sklearn_version="0.24.2"), model_copy)
    with pytest.raises(ModelLoadError, match=r"scikit-learn 0\.24\.2"):
        load_scorer(model_copy)


def test_load_refuses_a_model_fitted_under_another_feature_recipe(model_copy: Path) -> None:
    write_card(dataclasses.replace(read_card(model_copy), recipe="1"), model_copy)
    with pytest.raises(ModelLoadError, match="recipe 1"):
        load_scorer(model_copy)


@pytest.mark.parametrize("missing", ["model.skops", "card.json"])
def test_load_refuses_a_folder_missing_a_file(model_copy: Path, missing: str) -> None:
    (model_copy / missing).unlink()
    with pytest.raises(ModelLoadError, match=missing):
        load_scorer(model_copy)


def test_load_refuses_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_scorer(tmp_path / "nowhere")


def test_load_refuses_a_malformed_card(model_copy: Path) -> None:
    (model_copy / "card.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match="not a valid model card"):
        load_scorer(model_copy)


def test_load_refuses_types_outside_the_trusted_list_even_with_a_matching_card(model_copy: Path) -> None:
    # A FunctionTransformer drags a Python callable (numpy.log1p) into the file: exactly what must not load.
    hostile = Pipeline([("f", FunctionTransformer(np.log1p))]).fit(np.ones((2, 2)))
    sha256 = write_models({"spam": hostile, "abuse": hostile}, model_copy)
    write_card(dataclasses.replace(read_card(model_copy), sha256=sha256), model_copy)
    with pytest.raises(ModelLoadError, match="outside the trusted list"):
        load_scorer(model_copy)


def test_load_refuses_a_file_that_is_not_a_skops_archive(model_copy: Path) -> None:
    (model_copy / "model.skops").write_bytes(b"not a zip")
    write_card(dataclasses.replace(read_card(model_copy), sha256=file_sha256(model_copy / "model.skops")), model_copy)
    with pytest.raises(ModelLoadError, match="cannot be read"):
        load_scorer(model_copy)


def test_model_file_is_a_compressed_skops_archive_without_pickles(seed_model_dir: Path) -> None:
    path = seed_model_dir / "model.skops"
    with zipfile.ZipFile(path) as archive:
        assert "schema.json" in archive.namelist()
        assert not [name for name in archive.namelist() if name.endswith((".pkl", ".pickle"))]
    assert sio.get_untrusted_types(file=path) == [
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    ]


def test_card_round_trips_through_json(seed_model_dir: Path) -> None:
    card = read_card(seed_model_dir)
    assert ModelCard.from_json(card.to_json()) == card
    assert card.to_dict()["thresholds"]["spam_hold"] == card.thresholds.spam_hold


def test_card_records_version_hash_libraries_data_and_metrics(seed_model_dir: Path) -> None:
    card = read_card(seed_model_dir)
    assert card.version == f"{card.created_at[:10].replace('-', '')}-{card.sha256[:12]}"
    assert card.sha256 == file_sha256(seed_model_dir / "model.skops")
    assert card.created_at.endswith("+00:00")
    assert set(card.library_versions) >= {"scikit-learn", "skops", "numpy", "scipy", "python"}
    assert set(card.data_fingerprints) == {"seed"}
    assert card.data_fingerprints["seed"].startswith("sha256=")
    for head in ("spam", "abuse"):
        assert 0.5 < card.metrics[head]["held_out"]["roc_auc"] <= 1.0
