"""The stacked spam score: its artifact is skops-safe and checked, and relevance moves the score the measured way."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from classifier import ModelLoadError, Scorer, Submission
from classifier.features import model_text
from classifier.relevance import RelevanceUnavailable
from classifier.stacking import (
    SHIPPED_STACKER,
    STACK_FEATURES,
    Article,
    RelevanceScorer,
    build_stacker,
    load_relevance_scorer,
    load_stacker,
    save_stacker,
)
from tests.classifier.test_relevance import EXTRA_INSTALLED, fake_embedder, needs_extra


def fitted_stacker() -> LogisticRegression:
    generator = np.random.default_rng(0)
    features = generator.normal(size=(200, len(STACK_FEATURES)))
    labels = (features @ np.array([1.0, -2.0, 1.5]) + generator.normal(scale=0.5, size=200) > 0).astype(int)
    return build_stacker().fit(features, labels)


def test_saved_stacker_loads_and_reproduces_decision_function(tmp_path: Path) -> None:
    model = fitted_stacker()
    save_stacker(model, tmp_path, trained_on="synthetic rows", metrics={})
    stacker = load_stacker(tmp_path)
    row = np.array([0.3, 0.2, 1.0])
    assert stacker.logit(row) == pytest.approx(float(model.decision_function(row[None, :])[0]), abs=1e-12)
    assert stacker.card["features"] == list(STACK_FEATURES)


def test_a_changed_stacker_file_is_refused(tmp_path: Path) -> None:
    save_stacker(fitted_stacker(), tmp_path, trained_on="synthetic rows", metrics={})
    with (tmp_path / "stacker.skops").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelLoadError, match="sha256"):
        load_stacker(tmp_path)


def test_a_stacker_for_other_features_is_refused(tmp_path: Path) -> None:
    save_stacker(fitted_stacker(), tmp_path, trained_on="synthetic rows", metrics={})
    card = json.loads((tmp_path / "stacker.json").read_text())
    card["features"] = ["spam_logit", "similarity_to_excerpt", "link_leaves_site"]
    (tmp_path / "stacker.json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="features"):
        load_stacker(tmp_path)


def test_a_missing_stacker_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="cannot be read"):
        load_stacker(tmp_path)


def test_the_shipped_stacker_loads_and_weighs_relevance_as_measured(tmp_path: Path) -> None:
    stacker = load_stacker()
    coefficients = dict(zip(STACK_FEATURES, stacker.model.coef_[0], strict=True))
    assert coefficients["spam_logit"] > 0
    assert coefficients["similarity_to_title"] < 0
    assert coefficients["link_leaves_site"] > 0
    shutil.copytree(SHIPPED_STACKER, tmp_path / "copy")
    assert load_stacker(tmp_path / "copy").card == stacker.card


def test_spam_logit_recovers_the_heads_raw_logit(seed_scorer: Scorer) -> None:
    relevance = RelevanceScorer(seed_scorer, fake_embedder()[0], load_stacker())
    text = "Earn money fast, visit cheap-pills.example.com now"
    pipeline = seed_scorer.pipelines["spam"]
    steps = pipeline.named_steps
    weighted = steps["tfidf"].transform(steps["features"].transform([model_text(Submission(body=text))]))
    raw = steps["classifier"].calibrated_classifiers_[0].estimator.decision_function(weighted)[0]
    assert relevance.spam_logit(seed_scorer.score(Submission(body=text)).spam_score) == pytest.approx(raw, abs=1e-6)


def test_relevance_scores_carry_the_features_behind_the_stacked_score(seed_scorer: Scorer) -> None:
    relevance = RelevanceScorer(seed_scorer, fake_embedder()[0], load_stacker())
    submission = Submission(body="Cheap watches at watches-deal.example.com")
    alone = relevance.score(submission, Article(title="Bike lanes downtown"))
    on_site = relevance.score(submission, Article(title="Bike lanes downtown", site="watches-deal.example.com"))
    off_site = relevance.score(submission, Article(title="Bike lanes downtown", excerpt="x", site="news.example.org"))
    assert not alone.link_leaves_site and not on_site.link_leaves_site and off_site.link_leaves_site
    assert alone.similarity_to_excerpt == 0.0 and alone.similarity_to_parent is None
    assert alone.trained_spam_score == seed_scorer.score(submission).spam_score
    # The shipped stacker weighs a link off the site up, so only that changes the score here.
    assert off_site.spam_score > on_site.spam_score == pytest.approx(alone.spam_score)
    answer = relevance.score(submission, Article(title="t"), parent_body="Cheap watches")
    assert answer.similarity_to_parent is not None


@needs_extra
def test_an_off_topic_promotion_scores_above_an_on_topic_reply(seed_scorer: Scorer) -> None:
    from classifier.relevance import load_embedder

    relevance = RelevanceScorer(seed_scorer, load_embedder(), load_stacker())
    article = Article(title="City council approves new bike lanes downtown", site="news.example.org")
    on_topic = relevance.score(Submission(body="Protected bike lanes downtown are overdue, good decision."), article)
    promotion = relevance.score(Submission(body="Best replica watches, order at watches-deal.example.com"), article)
    assert promotion.similarity_to_title < on_topic.similarity_to_title
    assert promotion.link_leaves_site and not on_topic.link_leaves_site
    assert promotion.spam_score > on_topic.spam_score
    assert on_topic.similarity_to_parent is None
    answer = relevance.score(Submission(body="I agree about the lanes."), article, parent_body="Bike lanes save lives.")
    assert answer.similarity_to_parent is not None and answer.similarity_to_parent > 0


@pytest.mark.skipif(EXTRA_INSTALLED, reason="the relevance extra is installed")
def test_without_the_extra_the_relevance_scorer_is_unavailable(seed_scorer: Scorer) -> None:
    with pytest.raises(RelevanceUnavailable):
        load_relevance_scorer(seed_scorer)


@needs_extra
def test_load_relevance_scorer_uses_the_shipped_stacker(seed_scorer: Scorer) -> None:
    relevance = load_relevance_scorer(seed_scorer)
    assert relevance.stacker.card == load_stacker().card
    assert relevance.score(Submission(body="hello"), Article(title="Hello")).similarity_to_title > 0
