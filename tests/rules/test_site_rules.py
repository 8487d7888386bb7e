"""The site's rules as pure functions: phrases on the model's normalised text, domains, entries, and how decide()
weighs site rules, modes and trust against the model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from classifier import Scores, Thresholds
from service.rules.policy import RuleHits, decide
from service.rules.site_rules import Entry, RuleSet, Sanction, entry_key, phrase_key
from service.storage import tables

NOW = datetime(2026, 12, 5, tzinfo=UTC)
THRESHOLDS = Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.5, abuse_reject=0.9)


def _rules(**lists: list[str]) -> RuleSet:
    entries = {
        name: {key: Entry(value=value) for value in values if (key := entry_key(name, value, email=value)[0])}
        for name, values in lists.items()
    }
    return RuleSet(entries=entries)


def _codes(hits: RuleHits) -> list[str]:
    return [reason.code for reason in hits.rejects + hits.holds]


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("buy cheap pills now", True),
        ("Buy CHEAP Pills now", True),
        ("ch3ap p1lls", True),
        ("c h e a p  p i l l s", True),
        ("ch\u0435ap pills", True),  # a Cyrillic e
        ("cheap\u200b pills", True),  # a zero-width space
        ("cheap, pills", True),  # punctuation between words is no disguise
        ("cheap pillsbury dough", False),  # whole words only
        ("cheapest pills", False),
        ("pills cheap", False),
    ],
)
def test_phrases_match_whole_words_of_the_normalised_text(body: str, found: bool) -> None:
    hits = _rules(banned_phrases=["Cheap Pills"]).evaluate(
        body=body, email="a@b.org", website=None, own_hosts=(), now=NOW
    )
    assert ("banned_phrase" in _codes(hits)) is found


@pytest.mark.parametrize(
    ("name", "value", "key"),
    [
        ("banned_phrases", "  Fr33   MONEY ", "free money"),
        ("banned_phrases", "!!!", None),
        ("blocked_link_domains", "WWW.Spam.Example.", "spam.example"),
        ("blocked_email_domains", "www.mail.example", "www.mail.example"),
        ("allowed_link_domains", "bad/path", None),
        ("allowed_link_domains", "a..b", None),
    ],
)
def test_entries_are_stored_under_the_key_they_match_on(name: str, value: str, key: str | None) -> None:
    assert entry_key(name, value)[0] == key


def test_domains_cover_their_subdomains_and_expired_entries_do_not_apply() -> None:
    rules = RuleSet(
        entries={
            "blocked_email_domains": {"spam.example": Entry("spam.example")},
            "blocked_link_domains": {"old.example": Entry("old.example", action="reject", expires_at=NOW)},
        }
    )
    hits = rules.evaluate(
        body="see http://old.example/x", email="x@a.spam.example", website=None, own_hosts=(), now=NOW
    )
    assert _codes(hits) == ["email_domain_blocked"]
    assert hits.counted_links == 1


def test_sanctions_match_the_address_whatever_its_case_and_end_by_themselves() -> None:
    rules = RuleSet(sanctions={"troll@example.org": Sanction("suspension", expires_at=NOW + timedelta(days=1))})
    assert rules.sanction_of("Troll@Example.org", NOW) is not None
    assert rules.sanction_of("troll@example.org", NOW + timedelta(days=2)) is None


def test_modes_fall_back_from_the_article_to_the_site_to_model() -> None:
    assert RuleSet().mode_for("a") == "model"
    rules = RuleSet(modes={"*": "all-held", "a": "model"})
    assert (rules.mode_for("a"), rules.mode_for("b")) == ("model", "all-held")


def test_the_constants_agree_with_the_tables() -> None:
    from service.rules import site_rules

    assert site_rules.LISTS == tables.RULE_LISTS
    assert site_rules.MODES == tables.MODERATION_MODES
    assert site_rules.SANCTIONS == tables.SANCTION_KINDS
    assert phrase_key("A  b") == "a b"


def _scores(spam: float) -> Scores:
    return Scores(spam_score=spam, abuse_score=0.01, model_version="v", contributions=())


def _decide(spam: float, **rules: object) -> tuple[str, list[str]]:
    verdict = decide(_scores(spam), thresholds=THRESHOLDS, article_status="open", link_count=0, max_links=3, **rules)  # type: ignore[arg-type]
    return verdict.status, [reason.code for reason in verdict.reasons]


@pytest.mark.parametrize(
    ("spam", "rules", "status", "first_code"),
    [
        (0.1, {}, "published", None),
        (0.6, {}, "pending", "spam_score_borderline"),
        (0.6, {"trusted": True}, "published", "trusted_author"),
        (0.95, {"trusted": True}, "rejected", "spam_score_high"),  # the model's reject still holds
        (0.1, {"repeats_recent": True, "trusted": True}, "published", "trusted_author"),
        (0.1, {"mode": "first-reply-held", "first_reply": True}, "pending", "first_reply"),
        (0.1, {"mode": "first-reply-held", "first_reply": True, "trusted": True}, "published", "trusted_author"),
        (0.1, {"mode": "all-held", "trusted": True}, "pending", "all_held"),
        (0.1, {"spam_run": True, "trusted": True}, "pending", "spam_run"),
        (0.1, {"site": RuleHits(counted_links=5)}, "pending", "too_many_links"),
        (0.1, {"site": RuleHits(counted_links=0), "link_count": 9}, "published", None),
    ],
)
def test_decide_weighs_modes_and_trust(
    spam: float, rules: dict[str, object], status: str, first_code: str | None
) -> None:
    link_count = int(rules.pop("link_count", 0))  # type: ignore[call-overload]
    verdict = decide(
        _scores(spam),
        thresholds=THRESHOLDS,
        article_status="open",
        link_count=link_count,
        max_links=3,
        **rules,  # type: ignore[arg-type]
    )
    assert verdict.status == status
    assert (verdict.reasons[0].code if verdict.reasons else None) == first_code


def test_site_rejects_win_over_trust_and_site_holds_over_trust() -> None:
    rules = _rules(banned_phrases=["casino"], suspect_phrases=["bonus"])
    banned = rules.evaluate(body="best casino", email="a@b.org", website=None, own_hosts=(), now=NOW)
    suspect = rules.evaluate(body="a bonus", email="a@b.org", website=None, own_hosts=(), now=NOW)
    assert _decide(0.1, site=banned, trusted=True)[0] == "rejected"
    assert _decide(0.1, site=suspect, trusted=True) == ("pending", ["suspect_phrase"])
