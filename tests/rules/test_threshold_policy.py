"""REPLYGUARD_THRESHOLD_POLICY picks which of the card's threshold sets decides, end to end through the HTTP API."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from litestar.testing import TestClient

from classifier import Submission, load_scorer
from classifier.card import ModelCard
from classifier.thresholds import BAD_PUBLISHED_MAX, POLICIES, REVIEW_BUDGET
from service.settings import Settings, SettingsError
from tests.conftest import build_app

# Replies with something sharp or salesy in them: some land between the two policies' hold thresholds.
CANDIDATES = [
    "Honestly this is a stupid take and the author should know better.",
    "What a joke of an article, did anyone even check the numbers?",
    "You people will believe anything you read, unbelievable.",
    "This is garbage reporting, plain and simple.",
    "Shut up already, nobody asked for your opinion on this.",
    "Idiotic policy from idiotic politicians, what did you expect?",
    "The mayor is a clown and this council is a circus.",
    "Check out my channel for more videos like this one!",
    "I make extra money from home every week, ask me how.",
    "Great post, visit my site for the best deals on shoes.",
    "Damn, that is a crazy result for the home team.",
    "This writer clearly has no clue what she is talking about.",
]


def _between(model_dir: Path) -> str:
    """A body the error-targets policy holds and the review-budget policy publishes, from this model's scores."""
    scorer = load_scorer(model_dir)
    strict, budget = scorer.card.policy_thresholds("error-targets"), scorer.card.policy_thresholds("review-budget")
    for body in CANDIDATES:
        scores = scorer.score(Submission(body, name="Sam"), explain=False)
        if strict.spam_hold <= scores.spam_score < budget.spam_hold and scores.abuse_score < budget.abuse_hold:
            return body
        if strict.abuse_hold <= scores.abuse_score < budget.abuse_hold and scores.spam_score < budget.spam_hold:
            return body
    pytest.fail("no candidate body falls between the two policies' hold thresholds; add sharper candidates")


def _card(model_dir: Path) -> ModelCard:
    return load_scorer(model_dir).card


def test_training_places_both_policies_and_reports_what_each_costs(model_dir: Path) -> None:
    points = _card(model_dir).metrics["operating_points"]
    assert set(points) == set(POLICIES)
    strict, budget = points["error-targets"], points["review-budget"]
    assert strict["rule"] == "targets"
    assert budget["review_rate"] <= REVIEW_BUDGET + 0.03  # tuned on validation rows, measured on test rows
    assert strict["review_rate"] > budget["review_rate"]
    assert strict["bad_published"] < budget["bad_published"]
    assert strict["bad_published"] <= 4 * BAD_PUBLISHED_MAX  # 1% on validation; the test rows are a new sample
    assert _card(model_dir).policy_thresholds("review-budget") == _card(model_dir).thresholds


def test_the_error_targets_policy_holds_what_the_default_publishes(settings: Settings, model_dir: Path) -> None:
    body = _between(model_dir)
    reply = {"name": "Sam", "email": "sam@example.org", "body": body}
    with TestClient(build_app(settings)) as default:
        published = default.post("/api/v1/articles/policy-a/comments", json=reply)
    with TestClient(build_app(replace(settings, threshold_policy="error-targets"))) as strict:
        held = strict.post("/api/v1/articles/policy-b/comments", json=reply)
    assert published.status_code == 201 and published.json()["status"] == "published"
    assert held.status_code == 201 and held.json()["status"] == "pending"  # held: below both reject thresholds


def test_an_unknown_policy_is_refused_at_start_up() -> None:
    with pytest.raises(SettingsError, match="REPLYGUARD_THRESHOLD_POLICY"):
        Settings.from_env({"REPLYGUARD_THRESHOLD_POLICY": "lenient"})
    with pytest.raises(ValueError, match="unknown threshold policy"):
        ModelCard.policy_thresholds(_placeholder_card(), "lenient")


def _placeholder_card() -> ModelCard:
    from classifier import Thresholds

    return ModelCard(
        version="v", created_at="", sha256="", sklearn_version="", library_versions={}, data_fingerprints={},
        metrics={}, thresholds=Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.5, abuse_reject=0.9),
    )  # fmt: skip


def test_a_card_without_policies_answers_with_its_own_thresholds() -> None:
    card = _placeholder_card()
    assert card.policy_thresholds("error-targets") == card.thresholds
