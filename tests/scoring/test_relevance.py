"""Article relevance through the HTTP API, with the real model and the real embedding model: an off-topic promotion
under a registered article scores higher than without relevance and the queue says why; an on-topic reply is not
moved up; /ready says whether relevance is on."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from litestar.testing import TestClient

from classifier import Scorer, Scores, Submission, Thresholds, load_scorer
from classifier.abuse_opinion import ABUSE_FLOOR, MIN_SITE_REPLIES, OpinionScores, opinion_parameters
from classifier.relevance import MODEL_SHA256, Embedder, RelevanceUnavailable
from classifier.relevance_shift import UNCERTAIN_FLOOR, relevance_parameters
from service.scoring import relevance as relevance_module
from service.scoring.relevance import MAX_WAITING_OPINIONS, Relevance
from service.settings import Settings
from tests.classifier.test_relevance import EXTRA_INSTALLED, FakeSession, FakeTokenizer, fake_embedder, needs_extra
from tests.conftest import build_app
from tests.replies import reply

ARTICLE = "/api/v1/articles/bike-lanes"
QUEUE = "/api/v1/moderation/queue"
REGISTERED = {
    "title": "City council approves new bike lanes downtown",
    "url": "https://www.news.example/2026/bike-lanes",
    "excerpt": "The council voted 7-2 to build protected bike lanes on Main Street and Fifth Avenue by next summer.",
}
# Written for these tests; both fall in the band where relevance is asked (see test_demo_replies_are_uncertain).
PROMOTION = "My grandmother knits lovely wool scarves, her page is grannyknits.example.com"
ON_TOPIC = "The council minutes are at https://www.news.example/council/minutes"
OTHER_EMAIL = "kim@example.net"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Both clients write to one database, and each test posts one text through both to compare them: the duplicate
    rule (the same body on the same article within the window, whoever sent it) would hold the second copy."""
    return settings.with_overrides(duplicate_window_minutes=0)


@pytest.fixture
def client_without_relevance(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(build_app(settings.with_overrides(relevance="off"))) as test_client:
        yield test_client


def _submit(
    client: TestClient[Any],
    admin_headers: dict[str, str],
    body: str,
    *,
    article: str | None = ARTICLE,
    email: str = "ana@example.org",
) -> dict[str, Any]:
    """Register the article (unless None: an article nobody described), post `body` under it, and return the reply
    as moderators see it."""
    if article is not None:
        assert client.put(article, json=REGISTERED, headers=admin_headers).status_code == 200
    created = client.post(f"{article or '/api/v1/articles/untitled'}/comments", json=reply(body, email=email))
    assert created.status_code == 201, created.text
    detail = client.get(f"/api/v1/moderation/comments/{created.json()['id']}", headers=admin_headers)
    assert detail.status_code == 200, detail.text
    return dict(detail.json())


def _codes(item: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in item["reasons"]]


def test_ready_says_relevance_is_off_when_the_setting_is_off(client_without_relevance: TestClient[Any]) -> None:
    response = client_without_relevance.get("/ready")
    assert response.status_code == 200
    assert response.json()["relevance"] == "off: setting off (REPLYGUARD_RELEVANCE=off)"


@pytest.mark.skipif(EXTRA_INSTALLED, reason="the relevance extra is installed")
def test_ready_says_relevance_is_off_without_the_extra(client: TestClient[Any]) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["relevance"].startswith("off: the relevance extra is not installed")


@needs_extra
def test_ready_says_relevance_is_on_with_the_extra_and_a_fitted_card(client: TestClient[Any]) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json()["relevance"] == "on"


@needs_extra
def test_demo_replies_are_uncertain_for_the_fast_model(client: TestClient[Any]) -> None:
    # The cascade asks relevance only in [UNCERTAIN_FLOOR, reject): the end-to-end tests below rely on it.
    scoring = client.app.state.scoring
    for body in (PROMOTION, ON_TOPIC):
        submission = Submission(body=body, name="Ana Reader", email_domain="example.org")
        scores = scoring.score_now([submission])[0].scores
        assert UNCERTAIN_FLOOR <= scores.spam_score < scoring.thresholds.spam_reject
    assert not isinstance(relevance_parameters(load_scorer(scoring.scorer.source).card), str)


@needs_extra
def test_an_off_topic_promotion_scores_higher_with_relevance_and_says_why(
    client: TestClient[Any], client_without_relevance: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    without = _submit(client_without_relevance, admin_headers, PROMOTION)
    with_relevance = _submit(client, admin_headers, PROMOTION, email=OTHER_EMAIL)
    assert with_relevance["spam_score"] > without["spam_score"]
    assert "unrelated_to_article" not in _codes(without)
    assert "unrelated_to_article" in _codes(with_relevance)
    assert "link_leaves_site" in _codes(with_relevance)
    unrelated = next(r for r in with_relevance["reasons"] if r["code"] == "unrelated_to_article")
    assert unrelated["message"].startswith("unrelated to the article (similarity ")
    # The decision keeps the model's score before relevance, and the figures that moved it.
    record = next(r for r in with_relevance["decisions"][0]["reasons"] if r["code"] == "relevance")
    assert f"{without['spam_score']:.3f} -> {with_relevance['spam_score']:.3f}" in record["message"]
    # Held or rejected, it is in the moderators' queue with the reason.
    queue = client.get(QUEUE, params={"status": with_relevance["status"]}, headers=admin_headers).json()["items"]
    listed = next(item for item in queue if item["id"] == with_relevance["id"])
    assert "unrelated_to_article" in _codes(listed)


@needs_extra
def test_an_on_topic_reply_is_not_moved_up(
    client: TestClient[Any], client_without_relevance: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    without = _submit(client_without_relevance, admin_headers, ON_TOPIC)
    with_relevance = _submit(client, admin_headers, ON_TOPIC, email=OTHER_EMAIL)
    assert with_relevance["status"] == without["status"] == "published"
    assert with_relevance["spam_score"] <= without["spam_score"]
    assert "unrelated_to_article" not in _codes(with_relevance)


@needs_extra
def test_a_reply_under_an_article_without_a_title_is_scored_by_the_model_alone(
    client: TestClient[Any], client_without_relevance: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    without = _submit(client_without_relevance, admin_headers, PROMOTION, article=None)
    with_relevance = _submit(client, admin_headers, PROMOTION, article=None, email=OTHER_EMAIL)
    assert with_relevance["spam_score"] == without["spam_score"]
    assert "unrelated_to_article" not in _codes(with_relevance)


def test_without_the_extra_the_service_scores_without_relevance_and_says_why(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    def missing(**_: object) -> None:
        raise RelevanceUnavailable("onnxruntime is not installed")

    monkeypatch.setattr(relevance_module, "load_embedder", missing)
    with TestClient(build_app(settings)) as test_client:
        response = test_client.get("/ready")
    assert response.status_code == 200
    assert response.json()["relevance"] == ("off: the relevance extra is not installed (onnxruntime is not installed)")


def test_a_model_without_their_parameters_turns_relevance_and_the_opinion_off(model_dir: Path) -> None:
    scorer = load_scorer(model_dir)
    bare = Scorer(scorer.pipelines, dataclasses.replace(scorer.card, metrics={}), source=None)
    state = Relevance(embedder=fake_embedder()[0])
    assert state.status(bare) == f"off: model {bare.version} has no relevance parameters"
    assert state.opinion_status(bare) == f"off: model {bare.version} has no abuse opinion"
    assert state.status(None) == state.opinion_status(None) == "off: no model is loaded"
    assert Relevance(embedder=None, problem="setting off").opinion_status(scorer) == "off: setting off"
    state.close()


# Written for these tests: a rude English reply the fast model is unsure about, and the same in German.
RUDE = "Honestly you are a clueless fool and everyone here can see it."
RUDE_GERMAN = "Ehrlich gesagt bist du ein ahnungsloser Dummkopf, und jeder hier sieht das."


@needs_extra
def test_the_abuse_opinion_moves_an_uncertain_english_reply_and_the_decision_keeps_the_figures(
    client: TestClient[Any], client_without_relevance: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    scoring = client.app.state.scoring
    assert not isinstance(opinion_parameters(load_scorer(scoring.scorer.source).card), str)
    without = _submit(client_without_relevance, admin_headers, RUDE, article=None)
    assert ABUSE_FLOOR <= without["abuse_score"] < scoring.thresholds.abuse_reject  # in the band the cascade asks
    seconded = _submit(client, admin_headers, RUDE, article=None, email=OTHER_EMAIL)
    assert seconded["abuse_score"] != without["abuse_score"]
    assert seconded["spam_score"] == without["spam_score"]  # the opinion reads abuse only
    record = next(r for r in seconded["decisions"][0]["reasons"] if r["code"] == "abuse_opinion")
    assert f"{without['abuse_score']:.3f} -> {seconded['abuse_score']:.3f}" in record["message"]
    assert record["head"] == "abuse" and isinstance(record["weight"], float)  # the shift, in raw-logit units
    assert "abuse_opinion" not in [r["code"] for r in without["decisions"][0]["reasons"]]


@needs_extra
def test_a_reply_in_another_language_is_not_asked_for_an_opinion(
    client: TestClient[Any], client_without_relevance: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    without = _submit(client_without_relevance, admin_headers, RUDE_GERMAN, article=None)
    seconded = _submit(client, admin_headers, RUDE_GERMAN, article=None, email=OTHER_EMAIL)
    assert seconded["language"] == "de"
    assert seconded["abuse_score"] == without["abuse_score"]
    assert "abuse_opinion" not in [r["code"] for r in seconded["decisions"][0]["reasons"]]


@needs_extra
def test_ready_says_whether_the_abuse_opinion_is_on(
    client: TestClient[Any], client_without_relevance: TestClient[Any]
) -> None:
    assert client.get("/ready").json()["abuse_opinion"] == "on"
    assert client_without_relevance.get("/ready").json()["abuse_opinion"] == (
        "off: setting off (REPLYGUARD_RELEVANCE=off)"
    )


class SlowSession(FakeSession):
    """The seam model, taking 50 ms a run: long enough for replies to queue behind it."""

    def run(self, outputs: None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        time.sleep(0.05)
        return super().run(outputs, feeds)


def test_when_too_many_opinions_wait_a_reply_is_scored_by_the_model_alone(model_dir: Path) -> None:
    scorer = load_scorer(model_dir)
    section = {
        "available": True, "weights": [0.01] * 384, "intercept": 0.0, "embedding_sha256": MODEL_SHA256,
        "stack": {"abuse_logit": 1.0, "opinion_logit": 0.5, "opinion_reference": 0.0},
    }  # fmt: skip
    fitted = Scorer(scorer.pipelines, dataclasses.replace(scorer.card, metrics={"abuse_opinion": section}))
    state = Relevance(embedder=Embedder(SlowSession(), FakeTokenizer()))
    thresholds = Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.3, abuse_reject=0.8)
    scores = Scores(spam_score=0.1, abuse_score=0.5, contributions=(), model_version=fitted.version)

    async def burst() -> list[object]:
        asks = [
            state.second_opinion(fitted, scores, thresholds, body=f"reply number {n}", language="en")
            for n in range(MAX_WAITING_OPINIONS + 4)
        ]
        return await asyncio.gather(*asks)

    answers = asyncio.run(burst())
    state.close()
    assert sum(answer is not None for answer in answers) == MAX_WAITING_OPINIONS
    assert answers[-1] is None and state.opinions_skipped_busy == 4


def test_the_service_judges_opinions_against_its_sites_ordinary_replies_once_it_has_enough(model_dir: Path) -> None:
    scorer = load_scorer(model_dir)
    section = {
        "available": True, "weights": [0.01] * 384, "intercept": 0.0, "embedding_sha256": MODEL_SHA256,
        "stack": {"abuse_logit": 1.0, "opinion_logit": 0.5, "opinion_reference": -9.0},
    }  # fmt: skip
    fitted = Scorer(scorer.pipelines, dataclasses.replace(scorer.card, metrics={"abuse_opinion": section}))
    state = Relevance(embedder=fake_embedder()[0])
    thresholds = Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.3, abuse_reject=0.8)
    ordinary = Scores(spam_score=0.1, abuse_score=0.1, contributions=(), model_version=fitted.version)

    async def ask(count: int) -> list[OpinionScores]:
        answers = []
        for n in range(count):  # one at a time, as a quiet site's replies come
            answer = await state.second_opinion(fitted, ordinary, thresholds, body=f"reply {n}", language="en")
            assert answer is not None
            answers.append(answer[1])
        return answers

    answers = asyncio.run(ask(MIN_SITE_REPLIES + 1))
    state.close()
    assert {answer.opinion_reference for answer in answers[:MIN_SITE_REPLIES]} == {-9.0}  # the card's, until then
    expected = float(np.median([answer.opinion for answer in answers[:MIN_SITE_REPLIES]]))
    assert answers[-1].opinion_reference == pytest.approx(expected)


def test_the_service_asks_the_opinion_from_the_card_s_floor_not_a_fixed_one(model_dir: Path) -> None:
    # A head recalibrated on a heated site's decisions scores its replies lower; training moves the card's floor with
    # it (abuse_opinion.fit_opinion), and the service asks from there.
    scorer = load_scorer(model_dir)
    section = {
        "available": True, "weights": [0.01] * 384, "intercept": 0.0, "embedding_sha256": MODEL_SHA256,
        "floor": 0.02, "stack": {"abuse_logit": 1.0, "opinion_logit": 0.5, "opinion_reference": 0.0},
    }  # fmt: skip
    fitted = Scorer(scorer.pipelines, dataclasses.replace(scorer.card, metrics={"abuse_opinion": section}))
    state = Relevance(embedder=fake_embedder()[0])
    thresholds = Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.3, abuse_reject=0.8)

    def asked(abuse_score: float) -> bool:
        scores = Scores(spam_score=0.1, abuse_score=abuse_score, contributions=(), model_version=fitted.version)
        return asyncio.run(state.second_opinion(fitted, scores, thresholds, body="a reply", language="en")) is not None

    try:
        assert asked(0.03) and asked(0.02)  # below ABUSE_FLOOR, above the card's floor
        assert not asked(0.019)
    finally:
        state.close()
