"""The abuse head's second opinion: training fits the opinion and its stack into the card (or says why not), the
card's numbers are read back, the cascade asks only English replies in its band, and the shift moves the abuse score
through the head's own calibration. Corpus vectors are cached between trainings."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest

from classifier import ModelCard, Scorer, Submission, Thresholds
from classifier.abuse_opinion import (
    ABUSE_FLOOR,
    MIN_FIT_ROWS,
    OPINION_SOURCE,
    OpinionParameters,
    OpinionScorer,
    OpinionScores,
    SiteReference,
    asks_opinion,
    below_reject,
    fit_opinion,
    opinion_parameters,
)
from classifier.dataset import HELD_OUT_BUCKETS, split_bucket
from classifier.embedding_cache import CACHE_FOLDER, CachedEmbedder
from classifier.lean import LinearHead
from classifier.relevance import DIMENSION, MODEL_SHA256, RelevanceUnavailable
from classifier.rows import LabelledRow
from tests.classifier.test_relevance import fake_embedder, needs_extra

THRESHOLDS = Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.3, abuse_reject=0.8)

# Written for these tests: insults and ordinary remarks built from separate words, so any embedding tells them apart.
INSULTS = [
    f"{start} {noun}, {end}"
    for start, noun, end in itertools.product(
        ("you are a pathetic", "shut up you stupid", "what a disgusting", "nobody likes you, worthless"),
        ("idiot", "moron", "loser", "clown", "fool", "troll", "creep"),
        ("get lost", "go away", "you disgust me", "crawl back under your rock"),
    )
]
REMARKS = [
    f"{start} {topic} {end}"
    for start, topic, end in itertools.product(
        ("I think the", "Thanks for reporting on the", "Good point about the", "I read the article on the"),
        ("budget", "bridge repair", "school board", "library hours", "bus route", "harvest festival", "tax vote"),
        ("and I agree.", "seems fair to me.", "deserves more coverage.", "was well explained."),
    )
]


def rows(texts: list[str], label: int, source: str) -> list[LabelledRow]:
    return [LabelledRow(text=text, abuse=label, source=source) for text in texts]


def validation_rows(texts: list[str], label: int) -> list[LabelledRow]:
    """Variants of the texts that fall in the validation bucket (a tenth of all texts, by hash): the stack's rows."""
    tails = ("", " Really.", " Honestly.", " Seriously.", " Yes.", " Well.", " Again.", " Sure.", " Indeed.", " Truly.")
    variants = [f"{text}{tail}" for text in texts for tail in tails]
    chosen = [text for text in variants if split_bucket(LabelledRow(text=text)) == HELD_OUT_BUCKETS[0]]
    found = rows(chosen, label, "civil-comments")
    assert len(found) >= MIN_FIT_ROWS
    return found


def card_with(scorer: Scorer, section: object) -> ModelCard:
    return dataclasses.replace(scorer.card, metrics={**scorer.card.metrics, "abuse_opinion": section})


PARAMETERS = OpinionParameters(
    weights=np.zeros(DIMENSION), intercept=0.0, abuse_logit=0.6, opinion_logit=0.3, opinion_reference=-1.0
)


def test_the_cascade_asks_english_or_unknown_replies_from_the_floor_up_to_the_reject_threshold() -> None:
    assert asks_opinion(ABUSE_FLOOR, THRESHOLDS, "en")
    assert asks_opinion(0.79, THRESHOLDS, None)
    assert not asks_opinion(ABUSE_FLOOR - 1e-6, THRESHOLDS, "en")
    assert not asks_opinion(0.8, THRESHOLDS, "en")  # rejected whatever the opinion says
    assert not asks_opinion(0.5, THRESHOLDS, "de")  # the embedding model reads English
    # A card's own floor (a head recalibrated on a site's decisions) moves the band's lower end.
    assert asks_opinion(0.02, THRESHOLDS, "en", floor=0.02) and not asks_opinion(0.019, THRESHOLDS, "en", floor=0.02)


def test_the_opinion_never_rejects_by_itself(seed_scorer: Scorer) -> None:
    embedder, _ = fake_embedder()
    body = "You are a pathetic idiot"
    vector = embedder.embed([body])[0].astype(np.float64)
    # An opinion far above the reference: the shift alone would carry any score past the reject threshold.
    strong = OpinionScorer(seed_scorer, embedder, dataclasses.replace(PARAMETERS, weights=100 * vector))
    result = strong.score(body, 0.5, THRESHOLDS)
    assert result.shift > 10
    assert THRESHOLDS.abuse_hold < result.abuse_score < THRESHOLDS.abuse_reject  # held for a person, not rejected
    assert below_reject(0.2, THRESHOLDS) == 0.2


def test_the_shift_is_zero_at_the_reference_and_grows_with_the_opinion() -> None:
    assert PARAMETERS.shifts(np.array([-1.0, 0.0, -3.0])).tolist() == pytest.approx([0.0, 0.5, -1.0])


def test_card_parameters_are_read_back_and_a_bad_section_says_why(seed_scorer: Scorer) -> None:
    section = {
        "available": True,
        "weights": [0.0] * DIMENSION,
        "intercept": 0.0,
        "stack": {"abuse_logit": 0.6, "opinion_logit": 0.3, "opinion_reference": -1.0},
        "embedding_sha256": MODEL_SHA256,
    }
    read = opinion_parameters(card_with(seed_scorer, section))
    assert isinstance(read, OpinionParameters)
    assert (read.abuse_logit, read.opinion_logit, read.opinion_reference) == (0.6, 0.3, -1.0)
    assert read.floor == ABUSE_FLOOR  # a card from before the floor moved with the calibration
    placed = opinion_parameters(card_with(seed_scorer, {**section, "floor": 0.02}))
    assert isinstance(placed, OpinionParameters) and placed.floor == 0.02
    for broken, why in (
        ({**section, "weights": [0.0] * 3}, "malformed"),
        ({**section, "weights": [float("nan")] * DIMENSION}, "malformed"),
        ({**section, "stack": {}}, "malformed"),
        ({**section, "floor": 1.5}, "malformed"),
        ({**section, "floor": "low"}, "malformed"),
        ({**section, "embedding_sha256": "other"}, "another embedding model"),
        ({"available": False, "why": "no Jigsaw rows"}, "no Jigsaw rows"),
    ):
        found = opinion_parameters(card_with(seed_scorer, broken))
        assert isinstance(found, str) and why in found
    missing = opinion_parameters(dataclasses.replace(seed_scorer.card, metrics={}))
    assert isinstance(missing, str) and "has no abuse opinion" in missing


def test_the_opinion_moves_only_the_abuse_score_and_keeps_the_trained_one(seed_scorer: Scorer) -> None:
    embedder, _ = fake_embedder()
    body = "You are a pathetic idiot"
    vector = embedder.embed([body])[0].astype(np.float64)
    # Weights along the reply's own vector: its opinion is 1, two units above the reference.
    opinion = OpinionScorer(seed_scorer, embedder, dataclasses.replace(PARAMETERS, weights=vector))
    scores = dataclasses.replace(seed_scorer.score(Submission(body=body)), abuse_score=0.2)  # in the band
    adjusted, figures = opinion.adjust(scores, body, THRESHOLDS)
    assert isinstance(figures, OpinionScores)
    assert figures.opinion == pytest.approx(1.0, abs=1e-4) and figures.shift == pytest.approx(1.0, abs=1e-3)
    assert figures.trained_abuse_score == scores.abuse_score
    assert adjusted.abuse_score == figures.abuse_score > scores.abuse_score
    assert (adjusted.spam_score, adjusted.model_version) == (scores.spam_score, scores.model_version)
    # The same calibration both ways: no shift gives back the trained score.
    still = OpinionScorer(seed_scorer, embedder, dataclasses.replace(PARAMETERS, opinion_logit=0.0))
    assert still.score(body, scores.abuse_score, THRESHOLDS).abuse_score == pytest.approx(scores.abuse_score, abs=1e-9)
    assert figures.figures().keys() == {"trained_abuse_score", "shift", "opinion", "opinion_reference"}


def fitted(seed_scorer: Scorer, cache: CachedEmbedder) -> dict[str, object]:
    train = rows(INSULTS, 1, OPINION_SOURCE) + rows(REMARKS, 0, OPINION_SOURCE) + rows(REMARKS[:5], 0, "sms")
    test_bucket = rows(INSULTS[:3], 0, "civil-comments")  # mislabelled on purpose: the stack must not read them
    held_out = validation_rows(INSULTS, 1) + validation_rows(REMARKS, 0) + test_bucket
    assert all(split_bucket(row) != HELD_OUT_BUCKETS[0] for row in test_bucket)
    languages: list[str | None] = ["en"] * len(held_out)
    return fit_opinion(seed_scorer.pipelines["abuse"], train, held_out, languages, cache)


def test_training_fits_an_opinion_that_ranks_and_a_stack_that_reads_as_a_shift(
    seed_scorer: Scorer, tmp_path: Path
) -> None:
    assert len(INSULTS) >= MIN_FIT_ROWS and len(REMARKS) >= MIN_FIT_ROWS
    embedder, session = fake_embedder()
    section = fitted(seed_scorer, CachedEmbedder(embedder, tmp_path))
    assert section["available"] is True
    auc = section["roc_auc"]
    assert isinstance(auc, dict) and auc["opinion_alone"] > 0.95 and auc["with"] >= auc["without"]
    parameters = opinion_parameters(card_with(seed_scorer, section))
    assert isinstance(parameters, OpinionParameters) and parameters.opinion_logit > 0
    # An insult is pushed up; remarks straddle the reference (their median), far below it.
    insult, *remarks = parameters.shifts(parameters.opinions(embedder.embed(["shut up you stupid moron", *REMARKS])))
    assert insult > 0 and insult > max(remarks) and min(remarks) < 0
    # A second training embeds nothing new: every corpus text's vector comes from the cache beside the models.
    assert (tmp_path / CACHE_FOLDER).is_dir()
    runs = session.runs
    again = CachedEmbedder(embedder, tmp_path)
    assert fitted(seed_scorer, again) == section
    assert again.embedded == 0 and session.runs == runs


def test_the_sites_held_out_english_decisions_judge_the_stacks_weight(seed_scorer: Scorer, tmp_path: Path) -> None:
    embedder, _ = fake_embedder()
    train = rows(INSULTS, 1, OPINION_SOURCE) + rows(REMARKS, 0, OPINION_SOURCE)
    corpora = validation_rows(INSULTS, 1) + validation_rows(REMARKS, 0)
    tails = (" Site.", " Here.", " Now.")
    site = rows([f"{t}{tail}" for t in INSULTS for tail in tails], 1, "moderators")
    site += rows([f"{t}{tail}" for t in REMARKS for tail in tails], 0, "moderators")
    german = rows(["Du bist ein erbärmlicher Idiot, verschwinde."] * 5, 1, "moderators")  # not the opinion's to read
    held_out = corpora + site + german
    languages: list[str | None] = [*(["en"] * (len(corpora) + len(site))), *(["de"] * len(german))]
    # Decisions the head learned from come with their out-of-fold scores; a German one is not the opinion's to read.
    learned = [(row, "en", 0.9 if row.abuse else 0.1) for row in rows(INSULTS[:30], 1, "moderators")]
    learned += [(row, "en", 0.1) for row in rows(REMARKS[:30], 0, "moderators")]
    learned += [(german[0], "de", 0.9)]
    cache = CachedEmbedder(embedder, tmp_path)
    abuse = seed_scorer.pipelines["abuse"]
    section = fit_opinion(abuse, train, held_out, languages, cache, {"moderators"}, learned)
    report, stack = section["site_weight"], section["stack"]
    assert isinstance(report, dict) and isinstance(stack, dict)
    assert (report["held_out"], report["out_of_fold"]) == (len(site), 60)
    assert report["decisions"] == len(site) + 60 and report["abusive"] == len(INSULTS) * len(tails) + 30
    assert set(report["roc_auc_out_of_fold"]) == {"corpora_weight", "site_weight", "blended_weight"}
    # What is served follows the judgement: the site's push per unit of logit, or the corpora's.
    served = stack["opinion_logit"] / stack["abuse_logit"]
    expected = report["served_ratio"] if report["applied"] else report["corpora_ratio"]
    assert served == pytest.approx(expected, abs=1e-3)
    if report["applied"]:
        assert stack["opinion_reference"] == report["site_reference"]
    # Without the site's sources named, its rows are not decisions and the corpora's weight is kept, saying why.
    alone = fit_opinion(abuse, train, held_out, languages, cache)
    assert alone["site_weight"]["decisions"] == 0 and alone["site_weight"]["applied"] is False
    assert section["floor"] == alone["floor"] == ABUSE_FLOOR  # no general head named: the fixed floor
    # With the general head's raw logit at the floor, the card's floor is the served head's score there.
    head = LinearHead.from_pipeline(abuse)
    placed = fit_opinion(abuse, train, held_out, languages, cache, floor_logit=head.raw_logit(0.02))
    assert placed["floor"] == pytest.approx(0.02, abs=1e-6)
    assert alone["stack"]["opinion_logit"] / alone["stack"]["abuse_logit"] == pytest.approx(
        report["corpora_ratio"], abs=1e-3
    )


def test_too_few_rows_of_a_class_say_why(seed_scorer: Scorer, tmp_path: Path) -> None:
    embedder, _ = fake_embedder()
    train = rows(INSULTS[:10], 1, OPINION_SOURCE) + rows(REMARKS, 0, OPINION_SOURCE)
    with pytest.raises(RelevanceUnavailable, match="fewer than"):
        fit_opinion(seed_scorer.pipelines["abuse"], train, train, ["en"] * len(train), CachedEmbedder(embedder, None))


def test_a_damaged_cache_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    embedder, session = fake_embedder()
    cache = CachedEmbedder(embedder, tmp_path)
    first = cache.embed(["one reply", "another reply"])
    assert cache.path is not None
    cache.path.write_bytes(b"not an npz file")
    again = CachedEmbedder(embedder, tmp_path)
    assert np.array_equal(again.embed(["one reply", "another reply"]), first)
    assert again.embedded == 2 and session.runs > 0
    assert CachedEmbedder(embedder, tmp_path).embed([]).shape == (0, DIMENSION)


@needs_extra
def test_with_the_real_embedding_model_an_unseen_insult_is_pushed_up_and_ranked_above_a_remark(
    seed_scorer: Scorer,
) -> None:
    from classifier.relevance import load_embedder

    section = fitted(seed_scorer, CachedEmbedder(load_embedder(), None))
    parameters = opinion_parameters(card_with(seed_scorer, section))
    assert isinstance(parameters, OpinionParameters)
    opinion = OpinionScorer(seed_scorer, load_embedder(), parameters)
    # Neither text is among the fitted ones (whose few templated remarks set the reference: an unseen remark may sit
    # above it, so only the order and the insult's direction are asserted).
    wide = dataclasses.replace(THRESHOLDS, abuse_reject=1 - 1e-9)  # the cap out of the way: the fit is a toy's
    insult = opinion.score("Get lost, you brainless clown. Nobody wants you here.", 0.4, wide)
    remark = opinion.score("The new bus timetable starts next Monday, I believe.", 0.4, wide)
    assert insult.abuse_score > 0.4 and insult.abuse_score > remark.abuse_score


def test_a_site_reference_is_the_cards_until_enough_ordinary_replies_then_their_recent_median() -> None:
    site = SiteReference(-3.0, window=5, minimum=3)
    site.observe(-1.0)
    site.observe(-2.0)
    assert site.value() == -3.0 and site.replies == 2
    site.observe(0.0)
    assert site.value() == -1.0
    for opinion in (5.0, 6.0, 7.0):  # the window keeps the last 5: -2, 0, 5, 6, 7
        site.observe(opinion)
    assert site.value() == 5.0 and site.replies == 5


def test_only_replies_the_model_alone_would_publish_teach_the_site_reference(seed_scorer: Scorer) -> None:
    embedder, _ = fake_embedder()
    body = "You are a pathetic idiot"
    vector = embedder.embed([body])[0].astype(np.float64)
    opinion = OpinionScorer(seed_scorer, embedder, dataclasses.replace(PARAMETERS, weights=vector))
    site = SiteReference(PARAMETERS.opinion_reference, minimum=1)
    held = opinion.score(body, THRESHOLDS.abuse_hold, THRESHOLDS, site=site)  # held by the model: not counted
    assert site.replies == 0 and held.opinion_reference == PARAMETERS.opinion_reference
    first = opinion.score(body, 0.1, THRESHOLDS, site=site)  # judged against the card's, then counted
    assert first.opinion_reference == PARAMETERS.opinion_reference and site.replies == 1
    second = opinion.score(body, 0.1, THRESHOLDS, site=site)  # against the site's typical reply: itself
    assert second.opinion_reference == pytest.approx(first.opinion) and second.shift == pytest.approx(0.0, abs=1e-9)
