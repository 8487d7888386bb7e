"""Training is deterministic, equals a plain Pipeline.fit, refuses unusable data, and evaluation reports in JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifier import TrainingDataError, evaluate_model, load_scorer, train_model, write_report
from classifier.corpora import read_seed
from classifier.dataset import split_held_out
from classifier.general_cache import rows_key
from classifier.pipeline import HEADS, build_head_pipeline
from classifier.rows import LabelledRow
from classifier.train import fit_heads
from classifier.weights import HEAD_SOURCE_WEIGHTS, SEED_WEIGHT, YOUTUBE_WEIGHT, row_weights
from tests.classifier.fake_corpora import write_fake_corpora


def _coefficients(model_dir: Path) -> dict[str, np.ndarray]:
    pipelines = load_scorer(model_dir).pipelines
    return {
        head: p.named_steps["classifier"].calibrated_classifiers_[0].estimator.coef_ for head, p in pipelines.items()
    }


def test_training_twice_gives_identical_coefficients_and_thresholds(seed_model_dir: Path, tmp_path: Path) -> None:
    again = train_model(output_root=tmp_path, data_dir=None)
    assert again.parent == tmp_path
    first, second = _coefficients(seed_model_dir), _coefficients(again)
    assert all(np.array_equal(first[head], second[head]) for head in first)
    assert load_scorer(again).thresholds == load_scorer(seed_model_dir).thresholds


def test_shared_hashing_fit_equals_fitting_each_pipeline_on_its_own() -> None:
    train, held_out = split_held_out(read_seed())
    texts = [row.model_text() for row in held_out]
    fitted = fit_heads(train)
    for head, pipeline in fitted.items():
        weights = [SEED_WEIGHT] * len(train)  # every seed row carries the seed weight
        plain = build_head_pipeline().fit(
            [r.model_text() for r in train], [r.label(head) for r in train], classifier__sample_weight=weights
        )
        assert np.allclose(pipeline.predict_proba(texts), plain.predict_proba(texts), atol=1e-12)


def test_seed_and_youtube_rows_train_with_their_source_weight_times_their_own() -> None:
    rows = [
        LabelledRow("a video comment", spam=1, source="youtube"),
        LabelledRow("a talk page comment", spam=0, abuse=0, source="jigsaw"),
        LabelledRow("a seed reply", spam=0, abuse=0, source="seed", weight=2.0),
    ]
    assert row_weights(rows).tolist() == [YOUTUBE_WEIGHT, 1.0, 2.0 * SEED_WEIGHT]
    assert row_weights(rows, "spam").tolist() == [YOUTUBE_WEIGHT, 1.0, 2.0 * SEED_WEIGHT]


def test_the_abuse_head_trusts_jigsaw_more_and_civil_comments_less_than_other_corpora() -> None:
    rows = [
        LabelledRow("a talk page comment", spam=0, abuse=0, source="jigsaw"),
        LabelledRow("a flagged news post", abuse=0, source="civil-comments", weight=2.0),
        LabelledRow("a tweet", abuse=1, source="davidson"),
        LabelledRow("a seed reply", spam=0, abuse=0, source="seed"),
    ]
    assert row_weights(rows, "abuse").tolist() == [2.0, 1.0, 1.0, SEED_WEIGHT]
    assert row_weights(rows, "spam").tolist() == [1.0, 2.0, 1.0, SEED_WEIGHT]


def test_the_general_fit_is_keyed_by_the_source_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [LabelledRow("a talk page comment", spam=0, abuse=0, source="jigsaw")]
    before = rows_key(rows, HEADS)
    monkeypatch.setitem(HEAD_SOURCE_WEIGHTS, "abuse", {"jigsaw": 3.0})
    assert rows_key(rows, HEADS) != before  # a cached fit under the old weights is not reused


def test_a_head_with_a_single_class_is_refused() -> None:
    rows = [LabelledRow(f"reply number {i}", spam=0, abuse=i % 2) for i in range(40)]
    with pytest.raises(TrainingDataError, match="spam"):
        fit_heads(rows)


def test_a_missing_data_dir_trains_on_the_seed_only(tmp_path: Path) -> None:
    model_dir = train_model(output_root=tmp_path, data_dir=tmp_path / "no-such-folder")
    assert set(load_scorer(model_dir).card.data_fingerprints) == {"seed"}


def test_evaluation_reports_every_set_and_domain_beside_the_baseline_as_json(
    seed_model_dir: Path, tmp_path: Path
) -> None:
    report = evaluate_model(seed_model_dir, data_dir=write_fake_corpora(tmp_path, per_class=12), progress=None)
    json.dumps(report)
    assert report["data_matches_card"] is False
    assert set(report["evaluation_only"]) == {
        "wikipedia-identity", "wikipedia-identity-fuzzed", "sfu-mild-or-worse", "sfu-toxic", "ethos",
        "unhealthy-conversations",
    }  # fmt: skip
    ethos = report["evaluation_only"]["ethos"]["abuse"]
    assert ethos["ours"]["rows"] == ethos["baseline"]["rows"] == 24
    assert "identity_term_auc_drop" in report
    # A dozen rows per class is too few to simulate a site: the curves leave every domain out (test_learning_curve).
    assert report["learning_curves"]["domains"] == {}
    for kind in ("ours", "baseline"):
        assert {"sms", "youtube-alpha", "youtube-beta"} <= set(report["cross_domain"][kind]["spam"])
        assert {"jigsaw", "davidson", "fox-news", "fox-threads"} <= set(report["cross_domain"][kind]["abuse"])
        assert report["operating_point"][kind]["review_rate"] is not None
    held_out = report["held_out"]["spam"]
    assert {"ece", "pr_auc", "roc_auc"} <= set(held_out["ours"]) and "f1" in held_out["ours"]["at_hold"]
    assert set(held_out["by_source"]) >= {"seed", "youtube"}
    # A seed-only model has no relevance parameters (and the fake videos no titles): the report says why not.
    assert report["article_aware"]["available"] is False and report["article_aware"]["why"]


def test_write_report_saves_json_plots_and_a_page_that_shows_them(seed_model_dir: Path, tmp_path: Path) -> None:
    report = evaluate_model(
        seed_model_dir, data_dir=write_fake_corpora(tmp_path, per_class=12), progress=None, refits=False
    )
    index = write_report(report, tmp_path / "report")
    assert json.loads((tmp_path / "report" / "report.json").read_text()) == json.loads(json.dumps(report))
    page = index.read_text()
    for head in ("spam", "abuse"):
        for kind in ("roc", "pr", "calibration"):
            png = tmp_path / "report" / f"{head}_{kind}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert png.name in page


def test_the_report_page_shows_the_abuse_opinion_beside_the_product_where_the_curves_measured_it(
    tmp_path: Path,
) -> None:
    def measured(roc_auc: float, bad: float) -> dict[str, object]:
        return {"roc_auc": roc_auc, "roc_auc_per_draw": [roc_auc], "bad_published_at_review_rate": bad}

    plain = {name: measured(0.6, 0.8) for name in ("general", "site_only", "recipe_mixed", "product")}
    opinion = {"product_opinion_card_weight": measured(0.65, 0.7), "product_opinion_served": measured(0.7, 0.6)}
    spam = {"head": "spam", "rows": 10, "groups": 2, "points": [{"decisions": 300, "draws": 3, **plain}]}
    point = {"decisions": 300, "draws": 3, **plain, **opinion, "opinion_site_weight_served": 2}
    abuse = {"head": "abuse", "rows": 10, "groups": 2, "points": [point]}
    curves = {"review_rate": 0.15, "domains": {"sfu": abuse, "youtube": spam}}
    page = write_report({"learning_curves": curves}, tmp_path).read_text()
    assert page.count("With the abuse opinion:") == 1 and "With the abuse opinion: sfu" in page
    assert "<td>0.650</td><td>0.700</td>" in page and "<td>2 of 3</td>" in page


def test_evaluation_measures_the_operating_point_on_the_rows_training_did(tmp_path: Path) -> None:
    # Flagged Civil Comments posts and replies in a language the model does not cover (German, Russian, Arabic and
    # French rows a fake corpus is far too small to cover) neither place thresholds nor count in the rates, in
    # training and in evaluation alike: the report's rates for the shipped model are the card's.
    data_dir = write_fake_corpora(tmp_path / "data", per_class=400)
    model_dir = train_model(output_root=tmp_path / "models", data_dir=data_dir)
    card = load_scorer(model_dir).card
    assert card.metrics["operating_point"]["measured_on"] == "test"
    assert not all(entry["covered"] for entry in card.metrics["languages"].values())
    report = evaluate_model(model_dir, data_dir=data_dir, progress=None, refits=False)
    for policy, kind in (("review-budget", "ours"), ("error-targets", "ours, error-targets")):
        expected, measured = card.metrics["operating_points"][policy], report["operating_point"][kind]
        assert measured["by_kind"] == expected["by_kind"]
        for rate in ("review_rate", "bad_published", "good_rejected"):
            assert measured[rate] == expected[rate]
