"""The abuse head's second opinion: a sentence-embedding model's reading of an English reply, stacked with the trained
abuse logit. Fitted at training time, stored in the card, asked per reply by the service's cascade.

Why: on news replies the word-feature head and an embedding model make different mistakes (docs/model.md, "The
abuse head's second opinion"): a logistic regression on all-MiniLM-L6-v2 vectors of the labelled Jigsaw rows alone
ranks SFU's and the Globe and Mail's comments above the shipped head, and the two together above either.

Training (fit_opinion):
1. the opinion: a stock LogisticRegression on the vectors of up to MAX_OPINION_ROWS of the training split's Jigsaw
   rows (measured against the English training rows of every corpus: Jigsaw alone ranked every news set better,
   as Davidson's tweets pull the other way);
2. the stack: a LogisticRegression on [raw abuse logit, opinion logit] over up to MAX_STACK_ROWS validation rows
   (the held-out bucket thresholds are tuned on; the test bucket stays unseen for measuring) detected as English,
   which neither model trained on, read as a shift of the raw logit as relevance is (classifier/relevance_shift.py):

       shift = c_opinion * (opinion - opinion_reference) / c_logit

   with opinion_reference the median opinion of the non-abusive stack rows, so a typical clean reply is not moved.
   The adjusted score is the head's own calibration of (raw logit + shift): the card's thresholds keep their meaning;
3. the site's weight: with enough of a site's English decisions, c_opinion / c_logit is the site's own where it
   ranks those decisions better out of fold (classifier/opinion_site_weight.py).

The card keeps 384 weights, an intercept and three numbers (metrics["abuse_opinion"]); no artifact of its own.
Only English replies are asked (the embedding model was trained on English), and only inside ABUSE_FLOOR <= score <
abuse_reject: the cascade (service/scoring/relevance.py). The opinion may send a reply to a person or clear one, never
reject it: an adjusted score stops just below the reject threshold (`below_reject`). Rejection is unseen by anyone,
and on news replies, whose typical opinion sits above the corpora's, a free shift rejected 1-8% more of the clean
ones (docs/model.md).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from classifier.card import ModelCard
from classifier.dataset import HELD_OUT_BUCKETS, split_bucket
from classifier.embedding_cache import CachedEmbedder
from classifier.errors import RelevanceUnavailable
from classifier.lean import LinearHead
from classifier.opinion_site_weight import SiteWeight, site_weight
from classifier.relevance import DIMENSION, MODEL_SHA256, Embedder, embedding_section
from classifier.rows import LabelledRow
from classifier.scorer import Scorer, Scores
from classifier.thresholds import Thresholds

__all__ = [
    "ABUSE_FLOOR",
    "OpinionParameters",
    "OpinionScorer",
    "OpinionScores",
    "ScoredDecision",
    "SiteReference",
    "asks_opinion",
    "below_reject",
    "fit_opinion",
    "opinion_parameters",
]

# The corpus the opinion learns from, and how many of its training rows (a fixed sample: 6,000 of Jigsaw's ~16,000
# ranked the news sets within 0.003 of all of them, and embedding them takes ~1.5 minutes once, then the cache).
OPINION_SOURCE: Final = "jigsaw"
MAX_OPINION_ROWS: Final = 6000
MAX_STACK_ROWS: Final = 3000
# Fewer rows of either class than this (a seed-only model, a corpus folder without Jigsaw) would fit noise.
MIN_FIT_ROWS: Final = 50
# As for relevance: a logit coefficient this far below 1 no longer reads as "the trained score plus a shift".
MIN_LOGIT_COEFFICIENT: Final = 0.5
# The languages the embedding model reads; a reply too short to tell (None) is asked too.
LANGUAGES: Final = frozenset({"en"})
# The cascade: below this abuse score the reply is not asked (most clean replies, at no cost), and at or above the
# reject threshold it is rejected whatever the opinion says. `bench/abuse_opinion.py` measures what the floor misses.
ABUSE_FLOOR: Final = 0.05
SAMPLE_SEED: Final = 20261207
# SiteReference: a site's own reference once this many of its ordinary replies were asked, over the last SITE_WINDOW.
MIN_SITE_REPLIES: Final = 200
SITE_WINDOW: Final = 2000


# A decision the served abuse head learned from, with its language and its out-of-fold abuse score (classifier/site.py
# scores each decision by a correction fitted without it, under the served head's calibration).
ScoredDecision = tuple[LabelledRow, str | None, float]


def below_reject(score: float, thresholds: Thresholds) -> float:
    """An adjusted abuse score capped just below the reject threshold: the opinion never rejects a reply by itself."""
    return min(score, math.nextafter(thresholds.abuse_reject, 0.0))


def asks_opinion(abuse_score: float, thresholds: Thresholds, language: str | None, floor: float = ABUSE_FLOOR) -> bool:
    """Whether the cascade asks the opinion about a reply with this trained abuse score and detected language, under
    the thresholds it is decided with and the card's floor (OpinionParameters.floor)."""
    return (language is None or language in LANGUAGES) and floor <= abuse_score < thresholds.abuse_reject


@dataclass(frozen=True, slots=True)
class OpinionParameters:
    """The fitted numbers from the card: the opinion's weights and intercept, and the stack read as a shift."""

    weights: NDArray[np.float64]
    intercept: float
    abuse_logit: float
    opinion_logit: float
    opinion_reference: float
    # The cascade's floor in the served head's scores: ABUSE_FLOOR under the general head's calibration (see
    # fit_opinion), so a head recalibrated on a site's decisions asks about the same replies.
    floor: float = ABUSE_FLOOR

    def opinions(self, vectors: NDArray[np.float32]) -> NDArray[np.float64]:
        """The opinion's logit for each unit vector."""
        return np.asarray(vectors @ self.weights + self.intercept, dtype=np.float64)

    def shifts(self, opinions: NDArray[np.float64], reference: float | None = None) -> NDArray[np.float64]:
        """The push on the raw abuse logit: positive where the opinion finds a reply more abusive than typical (the
        card's reference, or a site's own: SiteReference)."""
        typical = self.opinion_reference if reference is None else reference
        return np.asarray(self.opinion_logit * (opinions - typical) / self.abuse_logit, dtype=np.float64)


class SiteReference:
    """What a typical reply of this site gets from the opinion: the median over its recent ordinary replies (asked,
    and below the hold threshold on the model's own score), once there are MIN_SITE_REPLIES of them; until then the
    card's reference, the corpora's typical clean reply.

    Why: sites differ in what their ordinary replies read like to the embedding model (the median opinion of the
    ordinary replies of SFU's articles is -3.3, the Globe and Mail's -2.8, the card's -3.3 from mostly Jigsaw rows;
    docs/model.md), and against the corpora's reference a heated but ordinary site gets its replies pushed toward
    review. Counting only replies the model itself would publish keeps a flood of abuse from moving the reference.
    Not thread-safe: the service calls it from its one embedding thread.
    """

    def __init__(self, card_reference: float, *, window: int = SITE_WINDOW, minimum: int = MIN_SITE_REPLIES) -> None:
        self.card_reference = card_reference
        self.minimum = minimum
        self._recent: deque[float] = deque(maxlen=window)
        self._median: float | None = None

    def value(self) -> float:
        """The reference to judge the next reply by."""
        if len(self._recent) < self.minimum:
            return self.card_reference
        if self._median is None:
            self._median = float(np.median(np.fromiter(self._recent, dtype=np.float64)))
        return self._median

    def observe(self, opinion: float) -> None:
        """One more ordinary reply's opinion."""
        self._recent.append(opinion)
        self._median = None

    @property
    def replies(self) -> int:
        """How many ordinary replies the reference has seen (at most the window)."""
        return len(self._recent)


def opinion_parameters(card: ModelCard) -> OpinionParameters | str:
    """The card's opinion parameters, or why it has none usable (a sentence for /ready and the logs)."""
    section = embedding_section(card, "abuse_opinion", what="abuse opinion", available_by_default=False)
    if isinstance(section, str):
        return section
    try:
        weights = np.asarray(section["weights"], dtype=np.float64)
        if weights.shape != (DIMENSION,) or not np.all(np.isfinite(weights)):
            raise ValueError(f"{weights.shape} weights, {DIMENSION} expected")
        stack = section["stack"]
        return OpinionParameters(
            weights=weights,
            intercept=float(section["intercept"]),
            abuse_logit=float(stack["abuse_logit"]),
            opinion_logit=float(stack["opinion_logit"]),
            opinion_reference=float(stack["opinion_reference"]),
            floor=_floor(section.get("floor", ABUSE_FLOOR)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        return f"model {card.version} has malformed abuse opinion parameters: {exc!r}"


def _floor(value: Any) -> float:
    floor = float(value)  # a card's JSON number; a string or a list raises and reads as malformed
    if not 0.0 < floor < 1.0:
        raise ValueError(f"floor {floor} is not a score between 0 and 1")
    return floor


def _sample(rows: list[LabelledRow], limit: int) -> list[LabelledRow]:
    if len(rows) <= limit:
        return rows
    chosen = np.random.default_rng(SAMPLE_SEED).choice(len(rows), size=limit, replace=False)
    return [rows[index] for index in sorted(chosen.tolist())]


def _labels(rows: Sequence[LabelledRow]) -> NDArray[np.int64]:
    return np.array([row.abuse for row in rows], dtype=np.int64)


def _enough(labels: NDArray[np.int64]) -> bool:
    return int(labels.sum()) >= MIN_FIT_ROWS and int((labels == 0).sum()) >= MIN_FIT_ROWS


def fit_opinion(
    abuse: Pipeline,
    train_rows: Sequence[LabelledRow],
    held_out_rows: Sequence[LabelledRow],
    held_out_languages: Sequence[str | None],
    embedder: CachedEmbedder,
    site_sources: Collection[str] = (),
    site_out_of_fold: Sequence[ScoredDecision] = (),
    floor_logit: float | None = None,
) -> dict[str, Any]:
    """metrics["abuse_opinion"] for the card: the opinion and its stack (see the module's docstring).

    `abuse` is the head as it will be served (after learning the site), so the stack is fitted on its own logits.
    `floor_logit` is the general head's raw logit at ABUSE_FLOOR (before the site recalibrated it): the card's floor
    is the served head's score there. A head recalibrated on a heated site's decisions scores its replies lower (the
    Globe and Mail: a fixed floor of 0.05 then asked 32-62% of them instead of 87%, and the opinion's gain of
    0.008-0.014 ROC AUC on the site's other replies was lost; docs/model.md).
    The site's decisions (held-out rows of `site_sources`, and `site_out_of_fold`: those the head learned from, with
    their out-of-fold scores) may set the stack's weight for this site instead of the corpora
    (classifier/opinion_site_weight.py); the card's `site_weight` says which and why.
    RelevanceUnavailable when there are too few rows of a class to fit either step, or the stack does not read as a
    shift of the logit; the card then says why and the service scores without the opinion.
    """
    opinion_rows = _sample(
        [row for row in train_rows if row.source == OPINION_SOURCE and row.abuse is not None], MAX_OPINION_ROWS
    )
    stack_rows = _sample(
        [
            row
            for row, language in zip(held_out_rows, held_out_languages, strict=True)
            if row.abuse is not None
            and (language is None or language in LANGUAGES)
            and split_bucket(row) == HELD_OUT_BUCKETS[0]
        ],
        MAX_STACK_ROWS,
    )
    opinion_labels, stack_labels = _labels(opinion_rows), _labels(stack_rows)
    if not _enough(opinion_labels) or not _enough(stack_labels):
        raise RelevanceUnavailable(
            f"{len(opinion_rows)} {OPINION_SOURCE} training rows and {len(stack_rows)} English held-out rows "
            f"(fewer than {MIN_FIT_ROWS} of a class in one of them)"
        )
    opinion = LogisticRegression(max_iter=3000).fit(embedder.embed([row.text for row in opinion_rows]), opinion_labels)
    head = LinearHead.from_pipeline(abuse)
    logits = np.array(
        [head.raw_logit(float(p)) for p in abuse.predict_proba([row.model_text() for row in stack_rows])[:, 1]]
    )
    opinions = np.asarray(opinion.decision_function(embedder.embed([row.text for row in stack_rows])))
    stack = LogisticRegression().fit(np.column_stack([logits, opinions]), stack_labels)
    logit_coefficient, opinion_coefficient = (round(float(c), 4) for c in stack.coef_[0])
    if logit_coefficient < MIN_LOGIT_COEFFICIENT or opinion_coefficient <= 0:
        raise RelevanceUnavailable(
            f"the stack's coefficients ({logit_coefficient} on the logit, {opinion_coefficient} on the opinion) do "
            "not read as a shift of the trained logit"
        )
    parameters = OpinionParameters(
        weights=np.asarray(opinion.coef_[0], dtype=np.float64),
        intercept=float(opinion.intercept_[0]),
        abuse_logit=logit_coefficient,
        opinion_logit=opinion_coefficient,
        opinion_reference=round(float(np.median(opinions[stack_labels == 0])), 4),
        floor=ABUSE_FLOOR if floor_logit is None else round(head.calibrated(floor_logit), 6),
    )
    shifted = logits + parameters.shifts(opinions)
    weight = _site_weight(
        parameters, opinion, abuse, head, held_out_rows, held_out_languages, embedder, site_sources, site_out_of_fold
    )
    if weight.applied and weight.reference is not None:  # served as the stack's opinion coefficient (the logit's
        # kept: the same ratio) and the site's typical opinion as the reference
        parameters = replace(
            parameters, opinion_logit=round(weight.ratio * logit_coefficient, 4), opinion_reference=weight.reference
        )
    return {
        "available": True,
        "weights": [round(float(weight), 6) for weight in parameters.weights],
        "intercept": round(parameters.intercept, 6),
        "floor": parameters.floor,
        "stack": {
            "abuse_logit": parameters.abuse_logit,
            "opinion_logit": parameters.opinion_logit,
            "opinion_reference": parameters.opinion_reference,
        },
        "site_weight": weight.report,
        "fitted_on": f"opinion: {len(opinion_rows)} {OPINION_SOURCE} training rows ({int(opinion_labels.sum())} "
        f"abusive); stack: {len(stack_rows)} validation rows detected as English ({int(stack_labels.sum())} abusive)",
        "embedding_sha256": MODEL_SHA256,
        "roc_auc": {
            "without": round(float(roc_auc_score(stack_labels, logits)), 4),
            "opinion_alone": round(float(roc_auc_score(stack_labels, opinions)), 4),
            "with": round(float(roc_auc_score(stack_labels, shifted)), 4),
        },
    }


def _site_weight(
    parameters: OpinionParameters,
    opinion: LogisticRegression,
    abuse: Pipeline,
    head: LinearHead,
    held_out_rows: Sequence[LabelledRow],
    held_out_languages: Sequence[str | None],
    embedder: CachedEmbedder,
    site_sources: Collection[str],
    site_out_of_fold: Sequence[ScoredDecision],
) -> SiteWeight:
    """The site's English decisions judge the corpora's stack weight against their own: the held-out ones by the
    served head, the ones it learned from by their out-of-fold scores, so no decision is judged by a head fitted on
    it."""

    def english(row: LabelledRow, language: str | None) -> bool:
        return row.abuse is not None and (language is None or language in LANGUAGES)

    held_out = [
        row
        for row, language in zip(held_out_rows, held_out_languages, strict=True)
        if row.source in site_sources and english(row, language)
    ]
    learned = [(row, score) for row, language, score in site_out_of_fold if english(row, language)]
    corpora_ratio = parameters.opinion_logit / parameters.abuse_logit
    decided = [*held_out, *(row for row, _ in learned)]
    if not decided:
        return site_weight(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64), corpora_ratio)
    scores = [
        *(abuse.predict_proba([row.model_text() for row in held_out])[:, 1] if held_out else []),
        *(score for _, score in learned),
    ]
    logits = np.array([head.raw_logit(float(score)) for score in scores])
    opinions = np.asarray(opinion.decision_function(embedder.embed([row.text for row in decided])), dtype=np.float64)
    weight = site_weight(logits, opinions, _labels(decided), corpora_ratio)
    return replace(weight, report=weight.report | {"held_out": len(held_out), "out_of_fold": len(learned)})


@dataclass(frozen=True, slots=True)
class OpinionScores:
    """The adjusted abuse score, the trained one it started from, the shift and the opinion behind it."""

    abuse_score: float
    trained_abuse_score: float
    shift: float
    opinion: float
    opinion_reference: float

    def figures(self) -> dict[str, float]:
        """What the opinion did, to 4 places, as the service's decision record keeps it."""
        return {
            "trained_abuse_score": round(self.trained_abuse_score, 4),
            "shift": round(self.shift, 4),
            "opinion": round(self.opinion, 4),
            "opinion_reference": round(self.opinion_reference, 4),
        }


class OpinionScorer:
    """A model's abuse calibration and opinion parameters with the embedder; immutable after construction."""

    def __init__(self, scorer: Scorer, embedder: Embedder, parameters: OpinionParameters) -> None:
        self.version = scorer.version
        self.embedder = embedder
        self.parameters = parameters
        self._head = scorer.linear_head("abuse")

    def score(
        self, body: str, trained_abuse_score: float, thresholds: Thresholds, *, site: SiteReference | None = None
    ) -> OpinionScores:
        """One reply's trained abuse score adjusted by the opinion, under the thresholds it is decided with, against
        the site's reference (which then counts the reply if the model alone would publish it) or the card's."""
        opinion = float(self.parameters.opinions(self.embedder.reply_vector(body)[None, :])[0])
        reference = self.parameters.opinion_reference if site is None else site.value()
        shift = float(self.parameters.shifts(np.array([opinion]), reference)[0])
        adjusted = self._head.calibrated(self._head.raw_logit(trained_abuse_score) + shift)
        if site is not None and trained_abuse_score < thresholds.abuse_hold:
            site.observe(opinion)
        return OpinionScores(
            abuse_score=below_reject(adjusted, thresholds),
            trained_abuse_score=trained_abuse_score,
            shift=shift,
            opinion=opinion,
            opinion_reference=reference,
        )

    def adjust(
        self, scores: Scores, body: str, thresholds: Thresholds, *, site: SiteReference | None = None
    ) -> tuple[Scores, OpinionScores]:
        """The scores with the abuse score adjusted, and the figures behind it. Callers ask only about replies
        asks_opinion() selects under the thresholds they decide with: this is the cascade's one pass."""
        result = self.score(body, scores.abuse_score, thresholds, site=site)
        return replace(scores, abuse_score=result.abuse_score), result
