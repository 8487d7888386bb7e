"""A seed-only model publishes ordinary replies and holds back obvious spam and abuse; scores explain themselves."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from classifier import Scorer, Submission
from classifier.features import MODEL_HEAD_CHARS, MODEL_TAIL_CHARS, SIGNAL_NAMES, model_body, model_text, signal_name
from classifier.pipeline import TOKEN_PATTERN
from tests.classifier.examples import ABUSE, POLITE, SPAM


@pytest.mark.parametrize("submission", POLITE, ids=lambda s: s.body[:30])
def test_polite_replies_in_any_script_score_below_both_hold_thresholds(
    seed_scorer: Scorer, submission: Submission
) -> None:
    scores = seed_scorer.score(submission)
    assert scores.spam_score < seed_scorer.thresholds.spam_hold
    assert scores.abuse_score < seed_scorer.thresholds.abuse_hold


@pytest.mark.parametrize("submission", SPAM, ids=lambda s: s.body[:30])
def test_obvious_spam_scores_above_the_spam_hold_threshold(seed_scorer: Scorer, submission: Submission) -> None:
    assert seed_scorer.score(submission).spam_score >= seed_scorer.thresholds.spam_hold


@pytest.mark.parametrize("submission", ABUSE, ids=lambda s: s.body[:30])
def test_obvious_abuse_scores_above_the_abuse_hold_threshold(seed_scorer: Scorer, submission: Submission) -> None:
    assert seed_scorer.score(submission).abuse_score >= seed_scorer.thresholds.abuse_hold


def test_seed_thresholds_are_ordered_inside_the_unit_interval(seed_scorer: Scorer) -> None:
    t = seed_scorer.thresholds
    assert 0 < t.spam_hold < t.spam_reject < 1
    assert 0 < t.abuse_hold < t.abuse_reject < 1


@pytest.mark.parametrize("submission", POLITE + SPAM + ABUSE, ids=lambda s: s.body[:30])
def test_contribution_terms_are_words_of_the_text_or_signal_names(seed_scorer: Scorer, submission: Submission) -> None:
    text = model_text(submission)
    words = set(re.findall(TOKEN_PATTERN, text)) | set(text.split())
    contributions = seed_scorer.score(submission).contributions
    for head in ("spam", "abuse"):
        mine = [c for c in contributions if c.head == head]
        assert len(mine) <= 5
        assert all(c.weight > 0 for c in mine)
        assert [c.weight for c in mine] == sorted((c.weight for c in mine), reverse=True)
    for contribution in contributions:
        signals = set(SIGNAL_NAMES.values()) | {signal_name(token) for token in text.split()}
        assert contribution.term in words or contribution.term in signals


def test_spam_contributions_name_the_submission_signals_and_the_selling_words(seed_scorer: Scorer) -> None:
    link_drop = {c.term for c in seed_scorer.score(SPAM[0]).contributions if c.head == "spam"}
    assert link_drop & {"link_count", "has_website", "name_many_words"}
    channel = {c.term for c in seed_scorer.score(SPAM[5]).contributions if c.head == "spam"}
    assert channel & {"subscribe", "channel"}


def test_score_many_equals_score_on_each_and_names_the_model(seed_scorer: Scorer) -> None:
    submissions = POLITE + SPAM + ABUSE
    many = seed_scorer.score_many(submissions)
    assert many == [seed_scorer.score(s) for s in submissions]
    assert {s.model_version for s in many} == {seed_scorer.version}


def test_concurrent_scoring_gives_the_same_scores_as_sequential(seed_scorer: Scorer) -> None:
    submissions = (POLITE + SPAM + ABUSE) * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(seed_scorer.score, submissions))
    assert parallel == [seed_scorer.score(s) for s in submissions]


def test_empty_and_whitespace_bodies_score_without_error(seed_scorer: Scorer) -> None:
    for body in ("", "   ", "\u200b\u200b"):
        scores = seed_scorer.score(Submission(body))
        assert 0.0 <= scores.spam_score <= 1.0
        assert 0.0 <= scores.abuse_score <= 1.0


def test_a_long_reply_is_read_as_its_start_and_its_end(seed_scorer: Scorer) -> None:
    start, end = "I disagree with the second point. " * 50, " Free casino bonus at casino-wins.xyz now!" * 12
    middle = " The committee met on Tuesday and voted on the budget." * 200
    long = Submission(start + middle + end, name="Sam")
    assert len(long.body) > MODEL_HEAD_CHARS + MODEL_TAIL_CHARS
    read = model_body(long.body)
    assert read.startswith(start[:MODEL_HEAD_CHARS]) and read.endswith(end[-MODEL_TAIL_CHARS:])
    assert model_text(long) == model_text(Submission(read, name="Sam"))
    # Whatever is in the middle does not move the scores; what is at the end does.
    other_middle = Submission(start + " Lorem ipsum dolor sit amet." * 400 + end, name="Sam")
    assert seed_scorer.score(long).spam_score == seed_scorer.score(other_middle).spam_score
    short = Submission("I disagree with the second point.", name="Sam")
    assert model_text(short) == model_text(Submission(model_body(short.body), name="Sam"))
