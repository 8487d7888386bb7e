"""`replyguard score`: JSON lines in, scores out, with the service's relevance adjustment when the line names its
article and relevance is available."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from classifier import ModelLoadError, Scorer, Submission
from classifier.relevance import RelevanceUnavailable, load_embedder
from classifier.relevance_shift import Article, RelevanceScorer, in_uncertain_band, relevance_parameters
from service.settings import Settings


def relevance_for(scorer: Scorer, settings: Settings) -> RelevanceScorer | None:
    """The model's relevance scorer when the setting, the extra and the card allow it; why not goes to stderr."""
    if settings.relevance == "off":
        return None
    parameters = relevance_parameters(scorer.card)
    if isinstance(parameters, str):
        print(f"replyguard: scoring without relevance: {parameters}", file=sys.stderr)
        return None
    try:
        return RelevanceScorer(scorer, load_embedder(), parameters)
    except (RelevanceUnavailable, ModelLoadError) as exc:
        print(f"replyguard: scoring without relevance: {exc}", file=sys.stderr)
        return None


def _with_relevance(out: dict[str, Any], item: dict[str, Any], relevance: RelevanceScorer, reject: float) -> None:
    """Adjust `out`'s spam score as the service does (same cascade), when the line names its article's title."""
    title = item.get("article_title")
    if not isinstance(title, str) or not title.strip() or not in_uncertain_band(out["spam_score"], reject):
        return
    parent = item.get("parent_body")
    url, excerpt = item.get("article_url"), item.get("article_excerpt")
    article = Article.at(
        title, excerpt=excerpt if isinstance(excerpt, str) else None, url=url if isinstance(url, str) else None
    )
    result = relevance.score(
        item["body"], out["spam_score"], article, parent_body=parent if isinstance(parent, str) else ""
    )
    out["relevance"] = {
        "trained_spam_score": out["spam_score"],
        "shift": round(result.shift, 4),
        "similarity_to_title": round(result.similarity_to_title, 4),
        "similarity_reference": result.similarity_reference,
        "link_leaves_site": result.link_leaves_site,
    }
    out["spam_score"] = result.spam_score


def score_lines(scorer: Any, source: TextIO, sink: TextIO, *, relevance: RelevanceScorer | None = None) -> int:
    """Score JSON lines from `source` into `sink`, in order; a bad line gets an `error` line, not a crash.

    With `relevance`, a line carrying `article_title` (and optionally `article_excerpt`, `article_url`,
    `parent_body`) gets the service's relevance-adjusted spam score, with the figures under `relevance`.
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
            domain = email.rsplit("@", 1)[-1].lower() if isinstance(email, str) and "@" in email else None
            scores = scorer.score(
                Submission(
                    body=item["body"],
                    name=str(item.get("name") or ""),
                    website=item.get("website") or None,
                    email_domain=domain,
                    has_parent=bool(item.get("parent_body")),
                )
            )
            out: dict[str, Any] = {
                "spam_score": scores.spam_score,
                "abuse_score": scores.abuse_score,
                "model_version": scores.model_version,
            }
            if relevance is not None:
                _with_relevance(out, item, relevance, scorer.thresholds.spam_reject)
        except (ValueError, TypeError) as exc:
            failures += 1
            out = {"error": f"line {number}: {exc}"}
        sink.write(json.dumps(out) + "\n")
    return 1 if failures else 0
