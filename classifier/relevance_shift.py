"""Relevance as a shift of the spam head's raw logit: fitted at training time, stored in the card, applied per reply.

Training (fit_relevance) fits a stock LogisticRegression on [raw spam logit, similarity to the title, a link leaves
the site] over the held-out YouTube rows (the only corpus with an article per row: the video's title). Its logit
coefficient measured about 1, so the other two weigh in as a shift in raw-logit units:

    shift = (c_sim * (similarity - similarity_reference) + c_link * link_leaves_site) / c_logit

with similarity_reference the median title similarity of the non-spam rows it was fitted on: a typical on-topic
reply without an off-site link is not moved. The adjusted score is the card's own calibration applied to
(raw logit + shift), so the card's thresholds still mean what they were tuned for. Four plain numbers in the card
(metrics["relevance"]), no artifact of their own. Only the spam head shifts: relevance measured no safe gain for
abuse (docs/model.md, issue 8). Similarities to the excerpt and the parent reply are measured, not weighed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from classifier.card import ModelCard
from classifier.errors import RelevanceUnavailable
from classifier.relevance import MODEL_SHA256, Embedder, embedding_section, link_leaves_site
from classifier.rows import LabelledRow
from classifier.scorer import Scorer, Scores
from classifier.thresholds import Thresholds
from classifier.videos import VIDEO_TITLES, YOUTUBE_SITE

__all__ = [
    "Article",
    "RelevanceParameters",
    "RelevanceScorer",
    "RelevanceScores",
    "fit_relevance",
    "fit_shift",
    "in_uncertain_band",
    "in_uncertain_bands",
    "relevance_parameters",
]

FEATURES: Final = ("spam_logit", "similarity_to_title", "link_leaves_site")
# Fewer held-out rows than this (a seed-only model) would fit noise: such a card says relevance is unavailable.
MIN_FIT_ROWS: Final = 100
# A logit coefficient this far below 1 means the fit no longer reads as "the trained score plus a shift".
MIN_LOGIT_COEFFICIENT: Final = 0.5
# The cascade: below this spam score the fast model is sure enough that a reply is not spam that the embedding
# model (6-11 ms per reply) is not asked. With the model trained on the full corpora the largest shift seen in
# practice (title similarity -0.2 and a link off the site: +1.9 raw-logit units) lifts 0.02 to 0.22, far below its
# hold threshold, so nothing held is missed; most ordinary replies score below it and cost nothing. At or above the
# reject threshold the reply is rejected whatever relevance says, so it is not asked either. `replyguard evaluate`
# reports the review rate and the share of replies embedded with and without the cascade (classifier/article_eval.py).
UNCERTAIN_FLOOR: Final = 0.02


def in_uncertain_band(spam_score: float, thresholds: Thresholds) -> bool:
    """Whether the cascade asks relevance about a reply with this trained spam score (see UNCERTAIN_FLOOR), under the
    thresholds the reply is decided with (the service's: its policy and the operator's overrides applied)."""
    return UNCERTAIN_FLOOR <= spam_score < thresholds.spam_reject


def in_uncertain_bands(spam: NDArray[np.float64], thresholds: Thresholds) -> NDArray[np.bool_]:
    """in_uncertain_band() for many replies at once."""
    return np.asarray((spam >= UNCERTAIN_FLOOR) & (spam < thresholds.spam_reject), dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class RelevanceParameters:
    """The fitted numbers from the card: coefficients per FEATURES and the on-topic similarity reference."""

    spam_logit: float
    similarity_to_title: float
    link_leaves_site: float
    similarity_reference: float

    def shift(self, similarity_to_title: float, *, leaves_site: bool) -> float:
        """The push on the raw spam logit: positive for a reply less related than typical, or linking off-site."""
        push = self.similarity_to_title * (similarity_to_title - self.similarity_reference)
        return (push + self.link_leaves_site * float(leaves_site)) / self.spam_logit

    def shifts(self, similarity: NDArray[np.float64], leaves: NDArray[np.float64]) -> NDArray[np.float64]:
        """shift() for many replies at once."""
        push = self.similarity_to_title * (similarity - self.similarity_reference)
        return np.asarray((push + self.link_leaves_site * leaves) / self.spam_logit, dtype=np.float64)


def relevance_parameters(card: ModelCard) -> RelevanceParameters | str:
    """The card's relevance parameters, or why it has none usable (a sentence for /ready and the logs)."""
    section = embedding_section(card, "relevance", what="relevance parameters", available_by_default=True)
    if isinstance(section, str):
        return section
    try:
        coefficients = section["coefficients"]
        return RelevanceParameters(
            **{name: float(coefficients[name]) for name in FEATURES},
            similarity_reference=float(section["similarity_reference"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        return f"model {card.version} has malformed relevance parameters: {exc!r}"


def _raw_logits(pipeline: Pipeline, texts: Sequence[str]) -> np.ndarray:
    """The spam head's uncalibrated w.x + b, computed by the pipeline's own steps."""
    regression = pipeline.named_steps["classifier"].calibrated_classifiers_[0].estimator
    return np.asarray(regression.decision_function(pipeline[:-1].transform(list(texts))), dtype=np.float64)


def fit_shift(
    logits: NDArray[np.float64], similarity: NDArray[np.float64], leaves: NDArray[np.float64], labels: NDArray[np.int64]
) -> RelevanceParameters:
    """A stock LogisticRegression on [raw logit, similarity to the title, link off the site], read as a shift of the
    logit; the reference is the median similarity of the non-spam rows. RelevanceUnavailable if it does not read so."""
    model = LogisticRegression().fit(np.column_stack([logits, similarity, leaves]), labels)
    coefficients = dict(zip(FEATURES, (round(float(c), 4) for c in model.coef_[0]), strict=True))
    if coefficients["spam_logit"] < MIN_LOGIT_COEFFICIENT:
        raise RelevanceUnavailable(f"the fitted logit coefficient {coefficients['spam_logit']} is not a shift of 1")
    reference = round(float(np.median(similarity[labels == 0])), 4)
    return RelevanceParameters(**coefficients, similarity_reference=reference)


def fit_relevance(spam: Pipeline, held_out: Sequence[LabelledRow], embedder: Embedder) -> dict[str, Any]:
    """metrics["relevance"] for the card: the shift's parameters fitted on the held-out YouTube rows.

    Held-out rows never trained `spam`, so its logits there are out of sample, as they are for a live reply.
    RelevanceUnavailable if there are too few such rows or the fit does not read as a shift of the logit.
    """
    rows = [row for row in held_out if row.group in VIDEO_TITLES and row.spam is not None]
    labels = np.array([row.spam for row in rows], dtype=np.int64)
    if len(rows) < MIN_FIT_ROWS or len(set(labels.tolist())) < 2:
        raise RelevanceUnavailable(f"{len(rows)} held-out YouTube rows (fewer than {MIN_FIT_ROWS} or one class)")
    logits = _raw_logits(spam, [row.model_text() for row in rows])
    titles = embedder.embed(list(VIDEO_TITLES.values()))
    title_of = dict(zip(VIDEO_TITLES, titles, strict=True))
    replies = embedder.embed([row.text for row in rows])
    similarity = np.array([float(title_of[row.group] @ vector) for row, vector in zip(rows, replies, strict=True)])
    leaves = np.array([float(link_leaves_site(row.text, YOUTUBE_SITE)) for row in rows])
    parameters = fit_shift(logits, similarity, leaves, labels)
    shifted = logits + parameters.shifts(similarity, leaves)
    return {
        "available": True,
        "coefficients": {name: getattr(parameters, name) for name in FEATURES},
        "similarity_reference": parameters.similarity_reference,
        "fitted_on": f"{len(rows)} held-out YouTube rows ({int(labels.sum())} spam): raw spam logit, cosine "
        f"similarity to the video's title, a link off {YOUTUBE_SITE}",
        "embedding_sha256": MODEL_SHA256,
        "roc_auc": {
            "without": round(float(roc_auc_score(labels, logits)), 4),
            "with": round(float(roc_auc_score(labels, shifted)), 4),
        },
    }


@dataclass(frozen=True, slots=True)
class Article:
    """What a reply is posted under: the title, an excerpt if there is one, and the site's host name."""

    title: str
    excerpt: str = ""
    site: str | None = None

    @classmethod
    def at(cls, title: str, *, excerpt: str | None, url: str | None) -> Article:
        """The article as stored or sent (excerpt and URL optional); its site is the host of its URL."""
        return cls(title=title, excerpt=excerpt or "", site=urlsplit(url).hostname if url else None)


@dataclass(frozen=True, slots=True)
class RelevanceScores:
    """The adjusted spam score, the trained one it started from, the shift between them and the figures behind it.

    Similarities are cosines in [-1, 1]; similarity_to_excerpt and similarity_to_parent are None without an excerpt
    or a parent. Only the title similarity and the link enter the shift.
    """

    spam_score: float
    trained_spam_score: float
    shift: float
    similarity_to_title: float
    similarity_reference: float
    similarity_to_excerpt: float | None
    similarity_to_parent: float | None
    link_leaves_site: bool

    def figures(self) -> dict[str, float | bool | None]:
        """What relevance did, as the service's decision record and `replyguard score` report it: the trained score,
        the shift and the similarities to 4 places (None where not measured), and whether a link leaves the site."""
        numbers = {
            "trained_spam_score": self.trained_spam_score,
            "shift": self.shift,
            "similarity_to_title": self.similarity_to_title,
            "similarity_reference": self.similarity_reference,
            "similarity_to_excerpt": self.similarity_to_excerpt,
            "similarity_to_parent": self.similarity_to_parent,
        }
        rounded: dict[str, float | bool | None] = {
            name: None if value is None else round(float(value), 4) for name, value in numbers.items()
        }
        return rounded | {"link_leaves_site": self.link_leaves_site}


class RelevanceScorer:
    """A model's spam calibration and relevance parameters with the embedder; immutable after construction."""

    def __init__(self, scorer: Scorer, embedder: Embedder, parameters: RelevanceParameters) -> None:
        self.version = scorer.version
        self.embedder = embedder
        self.parameters = parameters
        self._head = scorer.linear_head("spam")

    def score(
        self, body: str, trained_spam_score: float, article: Article, *, parent_body: str = ""
    ) -> RelevanceScores:
        """Adjust one reply's trained spam score by its relevance to the article (and its parent, measured only)."""
        title, excerpt, parent = self.embedder.similarities(body, [article.title, article.excerpt, parent_body])
        leaves = bool(article.site) and link_leaves_site(body, article.site or "")
        shift = self.parameters.shift(title, leaves_site=leaves)
        return RelevanceScores(
            spam_score=self.calibrated(self.spam_logit(trained_spam_score) + shift),
            trained_spam_score=trained_spam_score,
            shift=shift,
            similarity_to_title=title,
            similarity_reference=self.parameters.similarity_reference,
            similarity_to_excerpt=excerpt if article.excerpt.strip() else None,
            similarity_to_parent=parent if parent_body.strip() else None,
            link_leaves_site=leaves,
        )

    def adjust(
        self, scores: Scores, body: str, article: Article, *, parent_body: str = ""
    ) -> tuple[Scores, RelevanceScores]:
        """The scores with the spam score adjusted by relevance, and the figures behind it. Callers ask only about
        replies in_uncertain_band() under the thresholds they decide with: this is the cascade's one pass."""
        result = self.score(body, scores.spam_score, article, parent_body=parent_body)
        return replace(scores, spam_score=result.spam_score), result

    def spam_logit(self, spam_score: float) -> float:
        """The spam head's raw logit w.x + b, recovered from its calibrated score."""
        return self._head.raw_logit(spam_score)

    def calibrated(self, logit: float) -> float:
        """The card's calibration of a raw spam logit: the inverse of spam_logit."""
        return self._head.calibrated(logit)
