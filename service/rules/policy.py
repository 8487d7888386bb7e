"""The decision policy: scores + rules + thresholds -> (status, reasons). Pure: no I/O, no clock."""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec

from classifier import Contribution, Scores, Thresholds
from classifier.card import ModelCard
from classifier.relevance_shift import RelevanceScores
from classifier.thresholds import DEFAULT_POLICY, Outcome, head_outcome, outcome
from service.settings import Settings

_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


class Reason(msgspec.Struct, frozen=True, omit_defaults=True):
    """Why a comment got its status: a rule that fired, or a word/feature that pushed a score."""

    code: str
    message: str
    head: str | None = None
    term: str | None = None
    weight: float | None = None
    language: str | None = None  # language_not_covered: the reply's language (ISO 639-1)


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # "published" | "pending" | "rejected"
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class RuleHits:
    """What the site's rules (service/rules/site_rules.py) said about one reply: reasons to reject it, reasons to
    hold it that trust does not override, and how many of its links count toward the link limit (links to the site's
    own and allowed domains do not)."""

    rejects: tuple[Reason, ...] = ()
    holds: tuple[Reason, ...] = ()
    counted_links: int | None = None  # None: every link counts (no rules were evaluated)


NO_HITS = RuleHits()


@dataclass(frozen=True, slots=True)
class Overrides:
    """Operator settings: which of the card's threshold sets to use, then replacements for it, field by field."""

    policy: str = DEFAULT_POLICY
    spam_hold: float | None = None
    spam_reject: float | None = None
    abuse_hold: float | None = None
    abuse_reject: float | None = None


def overrides_from(settings: Settings) -> Overrides:
    return Overrides(
        policy=settings.threshold_policy,
        spam_hold=settings.spam_hold_threshold,
        spam_reject=settings.spam_reject_threshold,
        abuse_hold=settings.abuse_hold_threshold,
        abuse_reject=settings.abuse_reject_threshold,
    )


def effective_thresholds(card: Thresholds, overrides: Overrides) -> Thresholds:
    def pick(override: float | None, default: float) -> float:
        return default if override is None else override

    return Thresholds(
        spam_hold=pick(overrides.spam_hold, card.spam_hold),
        spam_reject=pick(overrides.spam_reject, card.spam_reject),
        abuse_hold=pick(overrides.abuse_hold, card.abuse_hold),
        abuse_reject=pick(overrides.abuse_reject, card.abuse_reject),
    )


def decision_thresholds(card: ModelCard, overrides: Overrides) -> Thresholds:
    """The thresholds replies are decided with, by the service and by `replyguard score`: the card's set for the
    operator's policy, then the operator's overrides. ValueError when the overrides do not fit (a hold above a reject).
    """
    return effective_thresholds(card.policy_thresholds(overrides.policy), overrides)


def count_links(text: str) -> int:
    return len(_LINK.findall(text))


def accepts_replies(article_status: str, mode: str = "model") -> bool:
    """Closed articles, and articles whose premoderation mode is `closed`, take no replies at all (the 403)."""
    return article_status != "closed" and mode != "closed"


def needs_explaining(scores: Scores | None, thresholds: Thresholds | None) -> bool:
    """Whether a head's score reaches its hold threshold, the only case where decide() quotes the terms behind it."""
    if scores is None or thresholds is None:
        return False
    return outcome(scores.spam_score, scores.abuse_score, thresholds) != "publish"


def _head_reasons(head: str, score: float, says: Outcome, contributions: tuple[Contribution, ...]) -> list[Reason]:
    if says == "publish":
        return []
    level = "high" if says == "reject" else "borderline"
    reasons = [Reason(code=f"{head}_score_{level}", message=f"{head} score {score:.2f}", head=head)]
    reasons += [
        Reason(code="feature", message=f"'{c.term}' pushed the {head} score", head=head, term=c.term, weight=c.weight)
        for c in contributions
        if c.head == head
    ]
    return reasons


def _relevance_reasons(relevance: RelevanceScores | None, *, spam_says: Outcome) -> list[Reason]:
    """Why relevance raised a spam score that holds (or rejects) the reply; nothing when it did not raise it."""
    if relevance is None or relevance.shift <= 0 or spam_says == "publish":
        return []
    reasons = []
    if relevance.similarity_to_title < relevance.similarity_reference:
        message = (
            f"unrelated to the article (similarity {relevance.similarity_to_title:.2f} to its title; "
            f"typical {relevance.similarity_reference:.2f})"
        )
        reasons.append(
            Reason(code="unrelated_to_article", message=message, head="spam", weight=relevance.similarity_to_title)
        )
    if relevance.link_leaves_site:
        reasons.append(
            Reason(code="link_leaves_site", message="a link leads away from the article's site", head="spam")
        )
    return reasons


def decide(
    scores: Scores | None,
    *,
    thresholds: Thresholds | None,
    article_status: str,
    link_count: int,
    max_links: int,
    honeypot_filled: bool = False,
    repeats_recent: bool = False,
    spam_run: bool = False,
    relevance: RelevanceScores | None = None,
    site: RuleHits = NO_HITS,
    mode: str = "model",
    first_reply: bool = False,
    trusted: bool = False,
    language: str | None = None,
    language_covered: bool = True,
    uncovered_language: str = "hold",
) -> Verdict:
    """Reject only what the model or a site rule is sure of; hold anything a rule or a borderline score flags;
    publish the rest.

    Without scores (no model, or scoring failed) nothing is published automatically and nothing is rejected by the
    model. `relevance`, when it adjusted the spam score in `scores`, adds why when it raised a score that holds the
    reply. `site` is what the site's lists and sanctions said; `mode` the article's premoderation mode
    (`first-reply-held` holds a reply when `first_reply`: its author has nothing published yet). A `trusted` author
    (service/domain/trust.py) is published over the service's own doubts (borderline scores, links, duplicates, a
    first reply) but never over the site's rules, a spam run or the model's reject.

    A reply in a `language` the model does not cover (`language_covered` False: ModelCard.covers_language) is not
    published on the model's word when the site's `uncovered_language` setting is `hold` (the default): it waits
    with `language_not_covered`, trusted author or not; with `publish` it is judged as any other. The model's and the
    rules' rejects apply either way, and a reply with no language (too short to tell) is judged as any other.
    """
    if honeypot_filled:
        return Verdict(
            status="rejected", reasons=(Reason(code="honeypot", message="a hidden form field was filled in"),)
        )
    if site.rejects:
        return Verdict(status="rejected", reasons=site.rejects)
    firm: list[Reason] = []  # holds that trust does not override
    doubts: list[Reason] = []  # holds that it does
    if article_status == "premoderated":
        firm.append(Reason(code="article_premoderated", message="every reply on this article waits for a person"))
    if mode == "all-held":
        firm.append(Reason(code="all_held", message="every reply waits for a person (premoderation mode all-held)"))
    if mode == "first-reply-held" and first_reply:
        doubts.append(Reason(code="first_reply", message="the author's first reply waits for a person"))
    links = link_count if site.counted_links is None else site.counted_links
    if links > max_links:
        doubts.append(Reason(code="too_many_links", message=f"{links} links (more than {max_links})"))
    if repeats_recent:
        doubts.append(Reason(code="duplicate", message="the same text was sent a short while ago"))
    if spam_run:
        firm.append(Reason(code="spam_run", message="near-copies of this text arrived from other senders just now"))
    firm += site.holds
    if language is not None and not language_covered and uncovered_language == "hold":
        firm.append(
            Reason(
                code="language_not_covered",
                message=f"written in {language}, a language the model does not cover",
                language=language,
            )
        )
    if scores is None or thresholds is None:
        firm.append(Reason(code="model_unavailable", message="no model could score this reply"))
        return Verdict(status="pending", reasons=tuple(firm + doubts))

    spam_says = head_outcome(scores.spam_score, hold=thresholds.spam_hold, reject=thresholds.spam_reject)
    abuse_says = head_outcome(scores.abuse_score, hold=thresholds.abuse_hold, reject=thresholds.abuse_reject)
    spam = _head_reasons("spam", scores.spam_score, spam_says, scores.contributions)
    abuse = _head_reasons("abuse", scores.abuse_score, abuse_says, scores.contributions)
    related = _relevance_reasons(relevance, spam_says=spam_says)
    reasons = tuple(firm + doubts + spam + related + abuse)
    model_says = outcome(scores.spam_score, scores.abuse_score, thresholds)
    if model_says == "reject":
        return Verdict(status="rejected", reasons=reasons)
    if firm:
        return Verdict(status="pending", reasons=reasons)
    if doubts or model_says == "review":
        if trusted:
            return Verdict(status="published", reasons=(TRUSTED, *reasons))
        return Verdict(status="pending", reasons=reasons)
    return Verdict(status="published", reasons=())


TRUSTED = Reason(code="trusted_author", message="published on trust: the author's recent replies were approved")


def trust_could_publish(verdict: Verdict) -> bool:
    """Whether this verdict (decided without trust) would be `published` for a trusted author: it is held, and only
    by doubts trust overrides. Only then is the author's standing worth a database read."""
    return verdict.status == "pending" and not any(reason.code in FIRM_CODES for reason in verdict.reasons)


FIRM_CODES = frozenset(
    {
        "article_premoderated",
        "all_held",
        "spam_run",
        "suspect_phrase",
        "link_domain_blocked",
        "model_unavailable",
        "language_not_covered",
    }
)
