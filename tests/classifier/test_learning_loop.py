"""Moderators' decisions train new models, and a challenger is compared with the champion on rows neither saw."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from classifier import LabelledRow, Scorer, Submission, compare_models, load_scorer, train_model
from classifier.artifact import read_card, write_card
from classifier.corpora import read_seed
from classifier.dataset import HELD_OUT_BUCKETS, split_bucket
from classifier.train import weighted_extra_rows
from classifier.weights import SEED_WEIGHT, row_weights

PHRASE = "visit the quorbly tea outlet for discount quorbly blends"


def _decisions(count: int) -> list[LabelledRow]:
    return [
        LabelledRow(f"{PHRASE} number {i}", name="Quorbly Tea", spam=1, abuse=None, source="moderators")
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def learned_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(output_root=tmp_path_factory.mktemp("learned"), data_dir=None, extra_rows=_decisions(30))


def test_moderators_decisions_teach_the_model_a_new_kind_of_spam(seed_scorer: Scorer, learned_model_dir: Path) -> None:
    submission = Submission(f"{PHRASE} today", name="Quorbly Tea")
    learned = load_scorer(learned_model_dir)
    assert learned.score(submission).spam_score > seed_scorer.score(submission).spam_score + 0.2
    assert learned.score(submission).spam_score >= learned.thresholds.spam_hold


def test_the_card_fingerprints_the_extra_rows(learned_model_dir: Path) -> None:
    assert read_card(learned_model_dir).data_fingerprints["extra"].endswith(";rows=30")


def test_a_model_compared_with_itself_is_not_worse(seed_model_dir: Path) -> None:
    result = compare_models(seed_model_dir, seed_model_dir, data_dir=None)
    assert result["challenger_not_worse"] is True
    for head in ("spam", "abuse"):
        assert result["heads"][head]["roc_auc_change"] == 0.0
        assert result["heads"][head]["challenger"]["pr_auc"] is not None


def test_a_challenger_taught_wrong_labels_is_worse_than_the_champion(seed_model_dir: Path, tmp_path: Path) -> None:
    # Flip the labels of the seed's training rows only: the held-out rows keep their true labels.
    flipped = [
        dataclasses.replace(row, spam=1 - row.spam if row.spam is not None else None, source="moderators")
        for row in read_seed()
        if split_bucket(row) not in HELD_OUT_BUCKETS
    ]
    challenger = train_model(output_root=tmp_path, data_dir=None, extra_rows=flipped, extra_weight=1.0)
    result = compare_models(seed_model_dir, challenger, data_dir=None, extra_rows=flipped)
    assert result["heads"]["spam"]["roc_auc_change"] < -0.005
    assert result["challenger_not_worse"] is False


def test_a_champion_from_another_recipe_cannot_compete(seed_model_dir: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    for name in ("model.skops", "card.json"):
        shutil.copy(seed_model_dir / name, old / name)
    write_card(dataclasses.replace(read_card(old), recipe="1"), old)
    result = compare_models(old, seed_model_dir, data_dir=None)
    assert result["challenger_not_worse"] is True
    assert "recipe 1" in result["champion_error"]


def test_extra_rows_train_with_extra_weight_times_their_own_weight() -> None:
    rows = weighted_extra_rows([LabelledRow("new", spam=1, weight=2.0), LabelledRow("old", spam=0)], extra_weight=5.0)
    assert [row.source for row in rows] == ["moderators", "moderators"]
    assert row_weights([*rows, LabelledRow("seed reply", spam=0, source="seed")]).tolist() == [10.0, 5.0, SEED_WEIGHT]
