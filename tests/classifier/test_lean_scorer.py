"""The lean scoring path reproduces the persisted pipelines exactly, down to the hashed column of each n-gram."""

from __future__ import annotations

import random
from typing import Any

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


def test_hashed_texts_equal_the_feature_union_output(seed_scorer: Scorer) -> None:
    features = seed_scorer.pipelines["spam"].named_steps["features"]
    texts = [model_text(submission) for submission in varied_submissions(100)] + ["", "   "]
    expected = features.transform(texts).tocsr()
    expected.sum_duplicates()
    hashed = TextHasher(features).hash_texts(texts)
    assert hashed.bounds.tolist() == expected.indptr.tolist()
    assert hashed.columns.tolist() == expected.indices.tolist()
    assert hashed.counts.tolist() == expected.data.tolist()


def _reference_term_weights(pipeline: Any, text: str) -> dict[str, float]:
    """Term weights by brute force: every column's push, split over its occurrences and their words."""
    head = LinearHead.from_pipeline(pipeline)
    words, chars = (step for _, step in pipeline.named_steps["features"].transformer_list)
    row = pipeline.named_steps["features"].transform([text]).tocsr()
    row.sum_duplicates()
    x = pipeline.named_steps["tfidf"].transform(row)
    per_occurrence = {int(c): float(x[0, c] * head.coef[c] / row[0, c]) for c in row.indices}
    tokenize, n_words = words.build_tokenizer(), int(words.n_features)
    totals: dict[str, float] = {}
    tokens = tokenize(text)
    for n in range(words.ngram_range[0], words.ngram_range[1] + 1):
        for start in range(len(tokens) - n + 1):
            push = per_occurrence[hashed_index(" ".join(tokens[start : start + n]), n_words)]
            for owner in tokens[start : start + n]:
                totals[owner] = totals.get(owner, 0.0) + push / n
    for chunk in text.split():
        owners = tokenize(chunk) or [chunk]
        for ngram in chars.build_analyzer()(chunk):
            push = per_occurrence[n_words + hashed_index(ngram, int(chars.n_features))]
            for owner in owners:
                totals[owner] = totals.get(owner, 0.0) + push / len(owners)
    return totals


def test_attributed_term_weights_equal_brute_force_and_add_up_to_the_logit(seed_scorer: Scorer) -> None:
    pipeline = seed_scorer.pipelines["abuse"]
    head = LinearHead.from_pipeline(pipeline)
    hasher = TextHasher(pipeline.named_steps["features"])
    for submission in ABUSE + POLITE + SPAM:
        text = model_text(submission)
        hashed = hasher.hash_texts([text])
        pushes = head.pushes(hashed)
        position = np.searchsorted(hashed.columns, hashed.occurrences(0))
        terms, attributed = hasher.attribute(text, (pushes / hashed.counts)[position][:, None])
        weights = dict(zip(terms, attributed[:, 0].tolist(), strict=True))
        expected = _reference_term_weights(pipeline, text)
        assert list(weights) == list(expected)
        assert list(weights.values()) == pytest.approx(list(expected.values()), abs=1e-12)
        regression = pipeline.named_steps["classifier"].calibrated_classifiers_[0].estimator
        logit = regression.decision_function(pipeline[:-1].transform([text]))[0]
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


def test_a_reply_scores_the_same_alone_and_in_any_batch(seed_scorer: Scorer) -> None:
    submissions = varied_submissions(120)
    alone = [seed_scorer.score(submission) for submission in submissions]
    assert seed_scorer.score_many(submissions) == alone
    assert seed_scorer.score_many(submissions[::-1]) == alone[::-1]


def test_explain_decides_per_reply_which_scores_carry_their_terms(seed_scorer: Scorer) -> None:
    submissions = POLITE + SPAM + ABUSE
    held = seed_scorer.score_many(submissions, explain=lambda scores: scores.spam_score >= 0.5)
    for scores, full in zip(held, seed_scorer.score_many(submissions), strict=True):
        assert scores.contributions == (full.contributions if full.spam_score >= 0.5 else ())
        assert (scores.spam_score, scores.abuse_score) == (full.spam_score, full.abuse_score)


def test_scores_without_explanation_are_the_same_scores(seed_scorer: Scorer) -> None:
    for submission in varied_submissions(200):
        full, quick = seed_scorer.score(submission), seed_scorer.score(submission, explain=False)
        assert quick.contributions == ()
        assert (quick.spam_score, quick.abuse_score) == (full.spam_score, full.abuse_score)
