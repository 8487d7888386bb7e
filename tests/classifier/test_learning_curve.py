"""The learning curves' simulated sites: groups never straddle site and test, decisions pass the real code path."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from classifier import LabelledRow
from classifier.abuse_opinion import OpinionParameters
from classifier.corpora import read_seed
from classifier.learning_curve import MODELS, SITE_SHARE, as_decisions, bad_published, learning_curves, site_split
from classifier.opinion_curve import OPINION_MODELS, OpinionCurve
from classifier.relevance import DIMENSION
from classifier.thresholds import Thresholds
from classifier.train import EXTRA_WEIGHT

SPAM = "cheap {} watches at our outlet, message now for the price of {}"
HAM = "the {} report was clear, thanks for covering the council vote {}"


def _video_rows(videos: int = 6, per_video: int = 60) -> list[LabelledRow]:
    rows = []
    for video in range(videos):
        for i in range(per_video):
            text = (SPAM if i % 3 == 0 else HAM).format(f"v{video}", i)
            rows.append(LabelledRow(text, spam=int(i % 3 == 0), source="youtube", group=f"youtube-{video}"))
    return rows


def test_a_site_split_keeps_each_group_on_one_side_and_gives_the_site_its_share() -> None:
    rows = _video_rows()
    for draw in range(3):
        site, test = site_split(rows, draw)
        assert sorted(site + test) == list(range(len(rows)))
        assert not {rows[i].group for i in site} & {rows[i].group for i in test}
        assert len(site) >= SITE_SHARE * len(rows)
    assert site_split(rows, 0) == site_split(rows, 0)
    assert site_split(rows, 0) != site_split(rows, 1)


def test_a_domain_read_as_one_group_splits_by_row() -> None:
    rows = [LabelledRow(f"message {i}", spam=i % 2, source="sms", group="sms") for i in range(100)]
    site, test = site_split(rows, 0)
    assert len(site) == 70 and len(test) == 30 and sorted(site + test) == list(range(100))


def test_decisions_arrive_like_the_service_s_newest_first_with_recency_and_moderator_weights() -> None:
    decided = as_decisions([LabelledRow("oldest", spam=0, source="youtube"), LabelledRow("newest", spam=1)])
    assert [row.text for row in decided] == ["newest", "oldest"]
    assert [row.source for row in decided] == ["moderators", "moderators"]
    assert [row.weight for row in decided] == [EXTRA_WEIGHT, 0.5 * EXTRA_WEIGHT]


def test_bad_published_is_what_neither_the_reject_threshold_nor_the_reviewed_share_catches() -> None:
    labels = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    scores = np.array([0.9, 0.5, 0.1, 0.6, 0.2, 0.3, 0.1, 0.2, 0.3, 0.1])
    # 0.9 is above every good reply: rejected. Of the rest, people review the top 20% of all ten (0.6 and 0.5).
    assert bad_published(labels, scores, review_rate=0.2) == pytest.approx(1 / 3)
    assert bad_published(labels, scores, review_rate=0.1) == pytest.approx(2 / 3)  # only 0.6 reviewed
    assert bad_published(labels, np.where(labels == 1, 0.99, 0.01), review_rate=0.0) == 0.0


def test_curves_report_every_model_at_each_count_of_decisions_the_site_has() -> None:
    report = learning_curves([*read_seed(), *_video_rows()], {}, progress=None)
    curve = report["domains"]["youtube"]
    assert (curve["head"], curve["rows"], curve["groups"]) == ("spam", 360, 6)
    assert [point["decisions"] for point in curve["points"]] == [0, 100, 300]  # 1,000 is more than the site has
    start, learned, most = curve["points"]
    assert start["product"]["roc_auc"] == start["general"]["roc_auc"]  # nothing decided yet
    for model in MODELS:
        assert learned[model]["roc_auc"] is not None and len(learned[model]["roc_auc_per_draw"]) == report["draws"]
    # The videos' spam is the same template everywhere: 100 decisions teach it whatever the seed knew.
    assert learned["product"]["roc_auc"] >= 0.99
    assert "sfu" not in report["domains"]  # absent sets are left out
    # From 300 decisions the site's own thresholds are placed, and the curve sets what they imply beside what they do.
    assert "site_thresholds" not in learned
    assert set(most["site_thresholds"]) == {
        "expected_review", "expected_bad_published", "test_review", "test_bad_published", "test_good_rejected"
    }  # fmt: skip
    assert all(0.0 <= value <= 1.0 for value in most["site_thresholds"].values())


def _news_rows(groups: int = 20, per_group: int = 30) -> list[LabelledRow]:
    """Comments of an evaluation-only news set: a quarter abusive, only half of those with a word that says so."""
    rows = []
    draw = np.random.default_rng(1)
    for group in range(groups):
        for i in range(per_group):
            abusive = i % 4 == 0
            word = "idiot" if abusive and i % 8 == 0 else "reader"
            # A name drawn at random: nothing but the word tells the model which comment is abusive.
            name = "".join(draw.choice(list("abcdefghij"), size=6))
            text = f"comment by {name} under article {group}: the {word} wrote about the council vote"
            rows.append(LabelledRow(text, abuse=int(abusive), source="sfu", group=f"sfu-{group}"))
    return rows


def _opinion_that_knows(rows: list[LabelledRow]) -> OpinionCurve:
    """An opinion that reads abuse in every row (what the word features miss), through the curves' own code."""
    abusive = {row.text for row in rows if row.abuse}
    noise = np.random.default_rng(0)

    def embed(texts: list[str]) -> NDArray[np.float32]:
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        vectors[:, 0] = [1.0 if text in abusive else -1.0 for text in texts]
        vectors[:, 0] += noise.normal(scale=1.0, size=len(texts))
        return vectors

    weights = np.zeros(DIMENSION)
    weights[0] = 1.0
    parameters = OpinionParameters(weights, 0.0, abuse_logit=1.0, opinion_logit=0.02, opinion_reference=-1.0)
    return OpinionCurve(parameters, Thresholds(0.5, 0.99, 0.5, 0.99), embed)


def test_with_the_abuse_opinion_the_abuse_domains_get_its_columns_and_a_site_that_follows_it_gets_its_weight() -> None:
    rows = _news_rows()
    report = learning_curves(
        [*read_seed(), *_video_rows(videos=4)], {"sfu": rows}, progress=None, opinion=_opinion_that_knows(rows)
    )
    assert report["abuse_opinion"] is True
    assert all(OPINION_MODELS[0] not in point for point in report["domains"]["youtube"]["points"])  # spam: none
    start, few, most = report["domains"]["sfu"]["points"]
    # Nothing decided: the card's weight is what is served.
    assert start[OPINION_MODELS[0]]["roc_auc"] == start[OPINION_MODELS[1]]["roc_auc"] > start["product"]["roc_auc"]
    # 100 decisions are too few to judge a weight of the site's own; 300 that follow the opinion earn it.
    assert few["opinion_site_weight_served"] == 0 and most["opinion_site_weight_served"] == report["draws"]
    assert most[OPINION_MODELS[1]]["roc_auc"] > most[OPINION_MODELS[0]]["roc_auc"] > most["product"]["roc_auc"]
