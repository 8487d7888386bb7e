"""The lean scoring path reproduces the persisted pipelines exactly, down to the hashed column of each n-gram."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction import FeatureHasher
from sklearn.utils import murmurhash3_32

from classifier import Scorer, Submission
from classifier.corpora import read_seed
from classifier.features import model_text
from classifier.hashing import TextHasher, hashed_index
from classifier.lean import LinearHead
from tests.classifier.examples import ABUSE, POLITE, SPAM, full_width


def varied_submissions(count: int) -> list[Submission]:
    """Seed and hand-written texts, cut, joined, shouted, padded with invisible characters, links and names."""
    generator = random.Random(7)
    bodies = [row.text for row in read_seed()] + [s.body for s in POLITE + SPAM + ABUSE]
    extras = ["", " ", "\u200b", "!!!!!!", full_width("free money"), "http://bit.ly/x", "a", "😀😀😀", "\u202eevil"]
    submissions = []
    for index in range(count):
        body = generator.choice(bodies)
        match index % 5:
            case 0:
                body = body[: generator.randint(0, len(body))]
            case 1:
                body = body + " " + generator.choice(bodies)
            case 2:
                body = body.upper() + generator.choice(extras)
            case 3:
                body = generator.choice(extras) + body.replace(" ", "\u200b ", 2)
        submissions.append(
            Submission(
                body,
                name=generator.choice(["", "Ann", "Best Cheap Loans Now", "www.spam.example.xyz"]),
                website=generator.choice([None, "", "https://blog.example.net"]),
            )
        )
    return submissions


def test_lean_scores_equal_predict_proba_on_hundreds_of_varied_texts(seed_scorer: Scorer) -> None:
    submissions = varied_submissions(400)
    texts = [model_text(s) for s in submissions]
    lean = seed_scorer.score_many(submissions)
    for head in ("spam", "abuse"):
        expected = seed_scorer.pipelines[head].predict_proba(texts)[:, 1]
        actual = np.array([getattr(scores, f"{head}_score") for scores in lean])
        assert np.max(np.abs(actual - expected)) < 1e-9


def test_text_hasher_counts_equal_the_feature_union_output(seed_scorer: Scorer) -> None:
    features = seed_scorer.pipelines["spam"].named_steps["features"]
    hasher = TextHasher(features)
    for submission in varied_submissions(100):
        text = model_text(submission)
        expected = features.transform([text]).tocsr()
        expected.sum_duplicates()
        hashed = hasher.hash_text(text)
        assert hashed.columns.tolist() == expected.indices.tolist()
        assert hashed.counts.tolist() == expected.data.tolist()


def test_term_weights_add_up_to_the_logit_without_intercept(seed_scorer: Scorer) -> None:
    pipeline = seed_scorer.pipelines["abuse"]
    head = LinearHead.from_pipeline(pipeline)
    hasher = TextHasher(pipeline.named_steps["features"])
    for submission in ABUSE + POLITE:
        text = model_text(submission)
        regression = pipeline.named_steps["classifier"].calibrated_classifiers_[0].estimator
        logit = regression.decision_function(pipeline[:-1].transform([text]))[0]
        weights = head.term_weights(hasher.hash_text(text))
        assert sum(weights.values()) == pytest.approx(logit - head.intercept, abs=1e-9)


@pytest.mark.parametrize("n_features", [2**17, 2**18, 1000])
def test_hashed_index_matches_feature_hasher_for_every_sign_of_hash(n_features: int) -> None:
    terms = [f"term{i}" for i in range(300)] + ["casino", full_width("free"), "日本語", "ab cd", " c", "__link__"]
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    for term in terms:
        assert hashed_index(term, n_features) == hasher.transform([[term]]).indices[0]


def test_unsigned_murmurhash_would_give_wrong_columns_for_negative_hashes() -> None:
    # Why hashed_index uses abs(signed hash): the unsigned hash disagrees whenever the signed one is negative.
    negative = next(f"term{i}" for i in range(100) if murmurhash3_32(f"term{i}", seed=0) < 0)
    assert murmurhash3_32(negative, seed=0, positive=True) % 2**18 != hashed_index(negative, 2**18)


def test_hash_counts_equal_the_traced_hash(seed_scorer: Scorer) -> None:
    hasher = TextHasher(seed_scorer.pipelines["spam"].named_steps["features"])
    for submission in varied_submissions(200):
        text = model_text(submission)
        columns, counts = hasher.hash_counts(text)
        traced = hasher.hash_text(text)
        assert columns.tolist() == traced.columns.tolist()
        assert counts.tolist() == traced.counts.tolist()


def test_scores_without_explanation_are_the_same_scores(seed_scorer: Scorer) -> None:
    for submission in varied_submissions(200):
        full, quick = seed_scorer.score(submission), seed_scorer.score(submission, explain=False)
        assert quick.contributions == ()
        assert (quick.spam_score, quick.abuse_score) == (full.spam_score, full.abuse_score)
