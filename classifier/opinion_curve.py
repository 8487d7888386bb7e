"""The abuse opinion in the learning curves (classifier/learning_curve.py): what the relevance extra's second opinion
adds to the product's model once a simulated site has N decisions, at the card's stack weight and at the weight
training would serve that site (classifier/opinion_site_weight.py).

Why here and not in a bench: `replyguard evaluate` is what reproduces the curves of docs/model.md, and the opinion is
part of the model a site with the extra runs. The columns follow the service's cascade: every reply whose abuse
score lies from the card's floor (ABUSE_FLOOR under the general head's calibration) up to the reject threshold is
asked, its raw logit pushed by the opinion and capped below the reject threshold (abuse_opinion.below_reject); the
others keep the product's score. Replies are judged against the site's typical opinion once 200 of its decisions
would be published by the model alone (as the service's SiteReference keeps it), before that against the reference
training would serve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray
from sklearn.pipeline import Pipeline

from classifier.abuse_opinion import (
    ABUSE_FLOOR,
    MIN_SITE_REPLIES,
    OpinionParameters,
    below_reject,
    opinion_parameters,
)
from classifier.embedding_cache import CachedEmbedder
from classifier.errors import ModelLoadError, RelevanceUnavailable
from classifier.lean import LinearHead
from classifier.opinion_site_weight import site_weight
from classifier.relevance import load_embedder
from classifier.rows import LabelledRow
from classifier.scorer import Scorer
from classifier.thresholds import Thresholds

__all__ = ["OPINION_MODELS", "OpinionColumns", "OpinionCurve", "load_opinion_curve"]

# The learning curves' extra columns: the product with the opinion at the card's weight, and as training serves it.
OPINION_MODELS: Final = ("product_opinion_card_weight", "product_opinion_served")


@dataclass(frozen=True, slots=True)
class OpinionColumns:
    """One point's scores with the opinion (by model name) and whether the site's own weight was served."""

    scores: dict[str, NDArray[np.float64]]
    site_weight_served: bool


@dataclass(frozen=True, slots=True)
class OpinionCurve:
    """The card's opinion, the thresholds its cascade asks under, and a way to embed texts (cached)."""

    parameters: OpinionParameters
    thresholds: Thresholds
    embed: Callable[[list[str]], NDArray[np.float32]]

    @property
    def card_ratio(self) -> float:
        return self.parameters.opinion_logit / self.parameters.abuse_logit

    def logits(self, rows: Sequence[LabelledRow]) -> NDArray[np.float64]:
        """The opinion's logit of each row."""
        return self.parameters.opinions(self.embed([row.text for row in rows]))

    def columns(
        self,
        general: Pipeline,
        product: Pipeline,
        test_scores: NDArray[np.float64],
        test_opinions: NDArray[np.float64],
        decisions: Sequence[LabelledRow] = (),
        out_of_fold: dict[int, float] | None = None,
        decided_opinions: NDArray[np.float64] | None = None,
    ) -> OpinionColumns:
        """The product's test scores with the opinion added (general: the head before it learned the site, which places
        the cascade's floor as training places it; product: its pipeline; test_scores: its calibrated scores of the
        test rows). With decisions (as_decisions order), their out-of-fold abuse scores from learn_site (by
        index into decisions) and their opinions, the site's weight is judged as training judges it; without, this is
        the general model with its card's opinion (N = 0)."""
        head = LinearHead.from_pipeline(product)
        logits = np.array([head.raw_logit(float(score)) for score in test_scores])
        floor = head.calibrated(LinearHead.from_pipeline(general).raw_logit(ABUSE_FLOOR))
        ratio, reference, applied = self.card_ratio, self.parameters.opinion_reference, False
        if decisions and out_of_fold and decided_opinions is not None:
            judged = sorted(out_of_fold)
            opinions = decided_opinions[judged]
            decided_scores = np.array([out_of_fold[i] for i in judged])
            weight = site_weight(
                np.array([head.raw_logit(float(score)) for score in decided_scores]),
                opinions,
                np.array([decisions[i].abuse for i in judged], dtype=np.int64),
                self.card_ratio,
            )
            ratio, applied = weight.ratio, weight.applied
            # The service's SiteReference: the median opinion of the site's replies the model alone would publish.
            ordinary = (decided_scores >= floor) & (decided_scores < self.thresholds.abuse_hold)
            if ordinary.sum() >= MIN_SITE_REPLIES:
                reference = float(np.median(opinions[ordinary]))
            elif weight.reference is not None:
                reference = weight.reference
        asked = (test_scores >= floor) & (test_scores < self.thresholds.abuse_reject)
        cap = head.raw_logit(below_reject(1.0, self.thresholds))

        def served(push: float, typical: float) -> NDArray[np.float64]:
            return np.where(asked, np.minimum(logits + push * (test_opinions - typical), cap), logits)

        scores = {OPINION_MODELS[0]: served(self.card_ratio, reference), OPINION_MODELS[1]: served(ratio, reference)}
        return OpinionColumns(scores, applied)


def load_opinion_curve(scorer: Scorer, model_dir: Path) -> OpinionCurve | str:
    """The model's abuse opinion for the learning curves, embedding through the cache beside the model's folder
    (training filled it with the corpora's vectors), or why there is none (no relevance extra, no opinion in the
    card)."""
    parameters = opinion_parameters(scorer.card)
    if isinstance(parameters, str):
        return parameters
    try:
        # One intra-op thread per core: evaluation embeds thousands of rows in batches, not one reply at a time.
        embedder = CachedEmbedder(load_embedder(threads=0), model_dir.parent)
    except (RelevanceUnavailable, ModelLoadError) as exc:
        return str(exc)
    return OpinionCurve(parameters, scorer.thresholds, embedder.embed)
