"""Relevance as a shift of the spam logit: training fits it into the card (or says why not), the card's parameters
are read back, and the shift moves scores the measured way through the card's own calibration."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from classifier import ModelCard, Scorer, Submission, Thresholds, train_model
from classifier import train as training
from classifier.features import model_text
from classifier.relevance import MODEL_SHA256, RelevanceUnavailable
from classifier.relevance_shift import (
    UNCERTAIN_FLOOR,
    Article,
    RelevanceParameters,
    RelevanceScorer,
    RelevanceScores,
    in_uncertain_band,
    in_uncertain_bands,
    relevance_parameters,
)
from tests.classifier.test_relevance import fake_embedder, needs_extra

# The shape of the measured fit (docs/model.md, issue 8): the logit kept, less similar and off-site pushed up.
PARAMETERS = RelevanceParameters(
    spam_logit=1.0, similarity_to_title=-2.0, link_leaves_site=1.3, similarity_reference=0.2
)


def card_with(seed_scorer: Scorer, relevance: object) -> ModelCard:
    return dataclasses.replace(seed_scorer.card, metrics={**seed_scorer.card.metrics, "relevance": relevance})


def test_the_shift_is_zero_for_a_typical_reply_and_grows_as_similarity_falls() -> None:
    assert PARAMETERS.shift(0.2, leaves_site=False) == pytest.approx(0.0)
    assert PARAMETERS.shift(0.0, leaves_site=False) == pytest.approx(0.4)
    assert PARAMETERS.shift(0.6, leaves_site=False) == pytest.approx(-0.8)
    assert PARAMETERS.shift(0.2, leaves_site=True) == pytest.approx(1.3)


def test_the_cascade_asks_from_the_floor_up_to_the_reject_threshold_it_decides_with() -> None:
    """One band for the service, `replyguard score` and the evaluation (its array form agrees at every edge)."""
    card = Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.5, abuse_reject=0.9)
    lowered = Thresholds(spam_hold=0.3, spam_reject=0.6, abuse_hold=0.5, abuse_reject=0.9)
    scores = np.array([0.0, UNCERTAIN_FLOOR - 1e-6, UNCERTAIN_FLOOR, 0.5999, 0.6, 0.8999, 0.9, 1.0])
    for thresholds in (card, lowered):
        one_by_one = [in_uncertain_band(score, thresholds) for score in scores.tolist()]
        assert in_uncertain_bands(scores, thresholds).tolist() == one_by_one
    assert [in_uncertain_band(score, card) for score in scores.tolist()] == [False, False, True, True, True, True,
                                                                             False, False]  # fmt: skip
    assert [in_uncertain_band(score, lowered) for score in scores.tolist()] == [False, False, True, True, False,
                                                                                False, False, False]  # fmt: skip


def test_the_figures_name_every_measure_rounded_as_the_decision_record_keeps_them() -> None:
    result = RelevanceScores(
        spam_score=0.81234567, trained_spam_score=0.61234567, shift=0.912345, similarity_to_title=-0.0612345,
        similarity_reference=0.2018, similarity_to_excerpt=None, similarity_to_parent=0.4444444, link_leaves_site=True,
    )  # fmt: skip
    assert result.figures() == {
        "trained_spam_score": 0.6123, "shift": 0.9123, "similarity_to_title": -0.0612, "similarity_reference": 0.2018,
        "similarity_to_excerpt": None, "similarity_to_parent": 0.4444, "link_leaves_site": True,
    }  # fmt: skip


def test_card_parameters_are_read_back(seed_scorer: Scorer) -> None:
    section = {
        "available": True,
        "coefficients": {"spam_logit": 1.0, "similarity_to_title": -2.0, "link_leaves_site": 1.3},
        "similarity_reference": 0.2,
        "embedding_sha256": MODEL_SHA256,
    }
    assert relevance_parameters(card_with(seed_scorer, section)) == PARAMETERS


@pytest.mark.parametrize(
    ("section", "why"),
    [
        ({"available": False, "why": "the relevance extra is not installed"}, "relevance extra is not installed"),
        ({"coefficients": {}, "similarity_reference": 0.2, "embedding_sha256": "other"}, "another embedding model"),
        ({"coefficients": {}, "similarity_reference": 0.2, "embedding_sha256": MODEL_SHA256}, "malformed"),
        (None, "has no relevance parameters"),
    ],
)
def test_a_card_without_usable_parameters_says_why(seed_scorer: Scorer, section: object, why: str) -> None:
    card = card_with(seed_scorer, section) if section is not None else seed_scorer.card
    found = relevance_parameters(card)
    assert isinstance(found, str) and why in found


def test_a_seed_only_model_has_too_few_youtube_rows_for_relevance(seed_scorer: Scorer) -> None:
    section = seed_scorer.card.metrics["relevance"]
    assert section["available"] is False and section["why"]


def test_training_without_the_extra_writes_why_into_the_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(**_: object) -> None:
        raise RelevanceUnavailable("the relevance extra is not installed")

    monkeypatch.setattr(training, "load_embedder", missing)
    monkeypatch.setattr(training, "fit_relevance", lambda *args: pytest.fail("fitted without an embedder"))
    card = ModelCard.from_json((train_model(output_root=tmp_path, data_dir=None) / "card.json").read_text())
    assert card.metrics["relevance"] == {"available": False, "why": "the relevance extra is not installed"}


def test_spam_logit_recovers_the_heads_raw_logit_and_calibrated_inverts_it(seed_scorer: Scorer) -> None:
    relevance = RelevanceScorer(seed_scorer, fake_embedder()[0], PARAMETERS)
    text = "Earn money fast, visit cheap-pills.example.com now"
    pipeline = seed_scorer.pipelines["spam"]
    steps = pipeline.named_steps
    weighted = steps["tfidf"].transform(steps["features"].transform([model_text(Submission(body=text))]))
    raw = steps["classifier"].calibrated_classifiers_[0].estimator.decision_function(weighted)[0]
    score = seed_scorer.score(Submission(body=text)).spam_score
    assert relevance.spam_logit(score) == pytest.approx(raw, abs=1e-6)
    assert relevance.calibrated(relevance.spam_logit(score)) == pytest.approx(score, abs=1e-9)


def test_relevance_scores_carry_the_figures_behind_the_adjusted_score(seed_scorer: Scorer) -> None:
    relevance = RelevanceScorer(seed_scorer, fake_embedder()[0], PARAMETERS)
    body = "Cheap watches at watches-deal.example.com"
    trained = seed_scorer.score(Submission(body=body)).spam_score
    on_site = relevance.score(body, trained, Article(title="Bike lanes downtown", site="watches-deal.example.com"))
    off_site = relevance.score(body, trained, Article(title="Bike lanes downtown", excerpt="x", site="news.example"))
    assert not on_site.link_leaves_site and off_site.link_leaves_site
    assert on_site.similarity_to_excerpt is None and on_site.similarity_to_parent is None
    assert off_site.similarity_to_excerpt is not None
    assert on_site.trained_spam_score == trained
    assert off_site.shift == pytest.approx(on_site.shift + 1.3)
    assert off_site.spam_score > on_site.spam_score
    answer = relevance.score(body, trained, Article(title="t"), parent_body="Cheap watches")
    assert answer.similarity_to_parent is not None


@needs_extra
def test_an_off_topic_promotion_is_shifted_up_and_an_on_topic_reply_is_not(seed_scorer: Scorer) -> None:
    from classifier.relevance import load_embedder

    relevance = RelevanceScorer(seed_scorer, load_embedder(), PARAMETERS)
    article = Article(title="City council approves new bike lanes downtown", site="news.example.org")
    on_body = "Protected bike lanes downtown are overdue, good decision by the council."
    off_body = "Best replica watches, order at watches-deal.example.com"
    on_topic = relevance.score(on_body, 0.3, article)
    promotion = relevance.score(off_body, 0.3, article)
    assert promotion.similarity_to_title < on_topic.similarity_to_title
    assert promotion.link_leaves_site and not on_topic.link_leaves_site
    assert promotion.spam_score > 0.3 >= on_topic.spam_score
