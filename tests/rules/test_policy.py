"""The decision policy as a table of boundary cases: pure function, no database, no model."""

from __future__ import annotations

import pytest

from classifier import Contribution, Scores, Thresholds
from classifier.relevance_shift import RelevanceScores
from service.rules.policy import Overrides, accepts_replies, count_links, decide, effective_thresholds

T = Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.4, abuse_reject=0.8)


def scores(spam: float, abuse: float) -> Scores:
    contributions = (Contribution(head="spam", term="casino", weight=2.0), Contribution("abuse", "idiot", 1.5))
    return Scores(spam_score=spam, abuse_score=abuse, contributions=contributions, model_version="v1")


@pytest.mark.parametrize(
    ("spam", "abuse", "status"),
    [
        (0.0, 0.0, "published"),
        (0.4999, 0.3999, "published"),
        (0.5, 0.0, "pending"),  # at the hold threshold: held
        (0.0, 0.4, "pending"),
        (0.8999, 0.7999, "pending"),
        (0.9, 0.0, "rejected"),  # at the reject threshold: rejected
        (0.0, 0.8, "rejected"),
        (1.0, 1.0, "rejected"),
    ],
)
def test_scores_at_each_threshold(spam: float, abuse: float, status: str) -> None:
    verdict = decide(scores(spam, abuse), thresholds=T, article_status="open", link_count=0, max_links=3)
    assert verdict.status == status


def test_published_replies_carry_no_reasons() -> None:
    assert decide(scores(0.1, 0.1), thresholds=T, article_status="open", link_count=0, max_links=3).reasons == ()


def test_held_reply_names_the_score_and_the_words_behind_it() -> None:
    verdict = decide(scores(0.6, 0.1), thresholds=T, article_status="open", link_count=0, max_links=3)
    codes = [r.code for r in verdict.reasons]
    assert codes == ["spam_score_borderline", "feature"]
    assert verdict.reasons[1].term == "casino"


def test_rejection_reason_says_high() -> None:
    verdict = decide(scores(0.1, 0.95), thresholds=T, article_status="open", link_count=0, max_links=3)
    assert verdict.reasons[0].code == "abuse_score_high"


@pytest.mark.parametrize(("links", "status"), [(3, "published"), (4, "pending")])
def test_more_links_than_allowed_wait(links: int, status: str) -> None:
    verdict = decide(scores(0.0, 0.0), thresholds=T, article_status="open", link_count=links, max_links=3)
    assert verdict.status == status


def test_premoderated_article_holds_a_clean_reply() -> None:
    verdict = decide(scores(0.0, 0.0), thresholds=T, article_status="premoderated", link_count=0, max_links=3)
    assert verdict.status == "pending"
    assert verdict.reasons[0].code == "article_premoderated"


def test_premoderation_does_not_save_a_certain_rejection() -> None:
    verdict = decide(scores(0.99, 0.0), thresholds=T, article_status="premoderated", link_count=0, max_links=3)
    assert verdict.status == "rejected"


def test_without_scores_nothing_is_published_or_rejected() -> None:
    verdict = decide(None, thresholds=None, article_status="open", link_count=0, max_links=3)
    assert verdict.status == "pending"
    assert verdict.reasons[-1].code == "model_unavailable"


def test_closed_articles_take_no_replies() -> None:
    assert not accepts_replies("closed")
    assert accepts_replies("open") and accepts_replies("premoderated")


def test_overrides_replace_only_the_given_thresholds() -> None:
    merged = effective_thresholds(T, Overrides(spam_reject=0.99))
    assert merged == Thresholds(spam_hold=0.5, spam_reject=0.99, abuse_hold=0.4, abuse_reject=0.8)


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no links here", 0),
        ("see https://a.example/x and http://b.example", 2),
        ("www.shop.example is great", 1),
        ("HTTPS://LOUD.EXAMPLE/PATH", 1),
    ],
)
def test_count_links(text: str, links: int) -> None:
    assert count_links(text) == links


def test_a_recent_repeat_waits_for_a_person() -> None:
    verdict = decide(
        scores(0.0, 0.0), thresholds=T, article_status="open", link_count=0, max_links=3, repeats_recent=True
    )
    assert verdict.status == "pending" and verdict.reasons[0].code == "duplicate"


def relevance(shift: float, similarity: float, *, leaves: bool) -> RelevanceScores:
    return RelevanceScores(
        spam_score=0.0, trained_spam_score=0.0, shift=shift, similarity_to_title=similarity,
        similarity_reference=0.2, similarity_to_excerpt=None, similarity_to_parent=None, link_leaves_site=leaves,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("spam", "shift", "similarity", "leaves", "codes"),
    [
        (0.6, 0.5, 0.05, False, ["unrelated_to_article"]),  # raised, held: say why
        (0.95, 1.5, 0.05, True, ["unrelated_to_article", "link_leaves_site"]),  # raised, rejected
        (0.6, 1.3, 0.25, True, ["link_leaves_site"]),  # only the link raised it: the topic is typical
        (0.4, 0.5, 0.05, False, []),  # raised, still published: nothing to explain
        (0.6, -0.3, 0.5, False, []),  # lowered: not a reason to hold
    ],
)
def test_relevance_reasons_when_it_raised_a_held_score(
    spam: float, shift: float, similarity: float, leaves: bool, codes: list[str]
) -> None:
    verdict = decide(
        scores(spam, 0.0), thresholds=T, article_status="open", link_count=0, max_links=3,
        relevance=relevance(shift, similarity, leaves=leaves),
    )  # fmt: skip
    found = [reason.code for reason in verdict.reasons if reason.code in {"unrelated_to_article", "link_leaves_site"}]
    assert found == codes
    if "unrelated_to_article" in codes:
        message = next(r.message for r in verdict.reasons if r.code == "unrelated_to_article")
        assert message == f"unrelated to the article (similarity {similarity:.2f} to its title; typical 0.20)"


@pytest.mark.parametrize(
    ("spam", "abuse", "language", "covered", "setting", "status"),
    [
        (0.0, 0.0, "de", False, "hold", "pending"),  # clean, but the model cannot read German
        (0.0, 0.0, "de", False, "publish", "published"),  # the site lets the model judge it
        (0.0, 0.0, "de", True, "hold", "published"),  # a model that covers German
        (0.0, 0.0, None, False, "hold", "published"),  # too short to tell: judged as ever
        (0.95, 0.0, "de", False, "hold", "rejected"),  # the model's reject still applies
        (0.6, 0.0, "de", False, "publish", "pending"),  # and so do its holds under `publish`
    ],
)
def test_a_reply_in_an_uncovered_language(
    spam: float, abuse: float, language: str | None, covered: bool, setting: str, status: str
) -> None:
    verdict = decide(
        scores(spam, abuse), thresholds=T, article_status="open", link_count=0, max_links=2,
        language=language, language_covered=covered, uncovered_language=setting,
    )  # fmt: skip
    assert verdict.status == status
    held = [reason for reason in verdict.reasons if reason.code == "language_not_covered"]
    assert len(held) == (1 if status != "published" and setting == "hold" and language and not covered else 0)
    if held:
        assert language is not None and held[0].language == language and language in held[0].message


def test_trust_does_not_publish_over_the_coverage_hold() -> None:
    verdict = decide(
        scores(0.0, 0.0), thresholds=T, article_status="open", link_count=0, max_links=2,
        language="uk", language_covered=False, trusted=True,
    )  # fmt: skip
    assert verdict.status == "pending" and [r.code for r in verdict.reasons] == ["language_not_covered"]
