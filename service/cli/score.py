"""`replyguard score`: JSON lines in, scores out, with the service's relevance adjustment when the line names its
article and relevance is available, and the abuse head's second opinion where the service would ask it."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from classifier import ModelLoadError, Scorer, Scores, Submission, Thresholds
from classifier.abuse_opinion import OpinionScorer, OpinionScores, asks_opinion, opinion_parameters
from classifier.language import detect_language
from classifier.relevance import RelevanceUnavailable, load_embedder
from classifier.relevance_shift import (
    Article,
    RelevanceScorer,
    RelevanceScores,
    in_uncertain_band,
    relevance_parameters,
)
from classifier.submission import email_domain
from service.rules.policy import decision_thresholds, overrides_from
from service.settings import Settings


@dataclass(frozen=True, slots=True)
class Cascade:
    """The service's cascades for one model: its relevance scorer and abuse opinion (either may be None), and the
    thresholds the service decides with (the card's set for REPLYGUARD_THRESHOLD_POLICY, then the
    REPLYGUARD_*_THRESHOLD overrides)."""

    relevance: RelevanceScorer | None
    thresholds: Thresholds
    opinion: OpinionScorer | None = None

    def adjust(self, scores: Scores, item: dict[str, Any]) -> tuple[Scores, RelevanceScores | None]:
        """The line's scores adjusted as the service adjusts a reply (same band, same pass), when the line names its
        article's title; otherwise the scores as they are and None."""
        title = item.get("article_title")
        if (
            self.relevance is None
            or not isinstance(title, str)
            or not title.strip()
            or not in_uncertain_band(scores.spam_score, self.thresholds)
        ):
            return scores, None
        parent = item.get("parent_body")
        url, excerpt = item.get("article_url"), item.get("article_excerpt")
        article = Article.at(
            title, excerpt=excerpt if isinstance(excerpt, str) else None, url=url if isinstance(url, str) else None
        )
        return self.relevance.adjust(
            scores, item["body"], article, parent_body=parent if isinstance(parent, str) else ""
        )

    def second_opinion(self, scores: Scores, body: str) -> tuple[Scores, OpinionScores | None]:
        """The abuse score adjusted as the service adjusts it (English or unknown language, in the band)."""
        if self.opinion is None:
            return scores, None
        if not asks_opinion(scores.abuse_score, self.thresholds, detect_language(body), self.opinion.parameters.floor):
            return scores, None
        return self.opinion.adjust(scores, body, self.thresholds)


def relevance_for(scorer: Scorer, settings: Settings) -> Cascade | None:
    """The model's cascades (relevance, the abuse opinion) when the setting, the extra, the card and the threshold
    settings allow them; why not goes to stderr."""
    if settings.relevance == "off":
        return None
    parameters, opinion = relevance_parameters(scorer.card), opinion_parameters(scorer.card)
    if isinstance(parameters, str):
        print(f"replyguard: scoring without relevance: {parameters}", file=sys.stderr)
    if isinstance(opinion, str):
        print(f"replyguard: scoring without the abuse opinion: {opinion}", file=sys.stderr)
    if isinstance(parameters, str) and isinstance(opinion, str):
        return None
    try:
        # As the service: overrides that do not fit the card decide nothing automatically, relevance included.
        thresholds = decision_thresholds(scorer.card, overrides_from(settings))
    except ValueError as exc:
        print(f"replyguard: scoring without relevance: threshold settings do not fit the model: {exc}", file=sys.stderr)
        return None
    try:
        embedder = load_embedder()
        return Cascade(
            relevance=None if isinstance(parameters, str) else RelevanceScorer(scorer, embedder, parameters),
            thresholds=thresholds,
            opinion=None if isinstance(opinion, str) else OpinionScorer(scorer, embedder, opinion),
        )
    except (RelevanceUnavailable, ModelLoadError) as exc:
        print(f"replyguard: scoring without relevance: {exc}", file=sys.stderr)
        return None


def score_lines(scorer: Any, source: TextIO, sink: TextIO, *, relevance: Cascade | None = None) -> int:
    """Score JSON lines from `source` into `sink`, in order; a bad line gets an `error` line, not a crash.

    With `relevance`, a line carrying `article_title` (and optionally `article_excerpt`, `article_url`,
    `parent_body`) gets the service's relevance-adjusted spam score, with the figures under `relevance`; and a line
    the service would ask the abuse opinion about gets the adjusted abuse score, with the figures under
    `abuse_opinion`.
    """
    failures = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("body"), str):
                raise ValueError("each line must be a JSON object with a string `body`")
            email = item.get("email")
            scores = scorer.score(
                Submission(
                    body=item["body"],
                    name=str(item.get("name") or ""),
                    website=item.get("website") or None,
                    email_domain=email_domain(email) if isinstance(email, str) else None,
                    has_parent=bool(item.get("parent_body")),
                )
            )
            adjusted, seconded = None, None
            if relevance is not None:
                scores, adjusted = relevance.adjust(scores, item)
                scores, seconded = relevance.second_opinion(scores, item["body"])
            out: dict[str, Any] = {
                "spam_score": scores.spam_score,
                "abuse_score": scores.abuse_score,
                "model_version": scores.model_version,
            }
            if adjusted is not None:
                out["relevance"] = adjusted.figures()
            if seconded is not None:
                out["abuse_opinion"] = seconded.figures()
        except (ValueError, TypeError) as exc:
            failures += 1
            out = {"error": f"line {number}: {exc}"}
        sink.write(json.dumps(out) + "\n")
    return 1 if failures else 0
