"""The loaded model as the service uses it: scores, the terms behind them, and the tuned thresholds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from sklearn.pipeline import Pipeline

from classifier.artifact import read_card, read_models
from classifier.card import ModelCard
from classifier.errors import ModelLoadError
from classifier.features import model_text, signal_name
from classifier.hashing import TextHasher
from classifier.lean import LinearHead
from classifier.pipeline import HEADS
from classifier.submission import Submission
from classifier.thresholds import Thresholds

__all__ = ["Contribution", "Scorer", "Scores", "Thresholds", "load_scorer"]

MAX_CONTRIBUTIONS_PER_HEAD: Final = 5


@dataclass(frozen=True, slots=True)
class Contribution:
    """One term's push on a head's logit; `term` is a word of the text or a submission signal like "link_count"."""

    head: str
    term: str
    weight: float


@dataclass(frozen=True, slots=True)
class Scores:
    """Calibrated probabilities per head, the strongest positive contributions (spam first), and the model."""

    spam_score: float
    abuse_score: float
    contributions: tuple[Contribution, ...]
    model_version: str


class Scorer:
    """A loaded model. Immutable after construction, so concurrent score() calls need no lock."""

    def __init__(self, pipelines: Mapping[str, Pipeline], card: ModelCard) -> None:
        self.version: str = card.version
        self.card: ModelCard = card
        self.thresholds: Thresholds = card.thresholds
        self.pipelines: Mapping[str, Pipeline] = MappingProxyType(dict(pipelines))
        try:
            features = [pipelines[head].named_steps["features"] for head in HEADS]
            # One hashing pass serves both heads, which holds only while their feature settings agree.
            settings = [[(name, step.get_params()) for name, step in f.transformer_list] for f in features]
            if any(setting != settings[0] for setting in settings):
                raise ValueError("the heads hash text differently")
            self._hasher = TextHasher(features[0])
            self._heads = {head: LinearHead.from_pipeline(pipelines[head]) for head in HEADS}
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"model {card.version} is not the expected recipe: {exc}") from exc

    def score(self, submission: Submission, *, explain: bool = True) -> Scores:
        """Score one submission on the lean path; equal to pipeline.predict_proba to within 1e-9.

        With explain=False the contributions are left empty and the terms are not traced, which halves the cost:
        the service asks for them only when a score is high enough to hold the reply.
        """
        text = model_text(submission)
        if not explain:
            columns, counts = self._hasher.hash_counts(text)
            return Scores(
                spam_score=self._heads["spam"].score_counts(columns, counts),
                abuse_score=self._heads["abuse"].score_counts(columns, counts),
                contributions=(),
                model_version=self.version,
            )
        hashed = self._hasher.hash_text(text)
        probabilities = {}
        contributions: list[Contribution] = []
        for head, linear in self._heads.items():
            probabilities[head] = linear.score(hashed)
            weights = linear.term_weights(hashed)
            strongest = sorted((item for item in weights.items() if item[1] > 0), key=lambda item: -item[1])
            contributions.extend(
                Contribution(head=head, term=signal_name(term) or term, weight=weight)
                for term, weight in strongest[:MAX_CONTRIBUTIONS_PER_HEAD]
            )
        return Scores(
            spam_score=probabilities["spam"],
            abuse_score=probabilities["abuse"],
            contributions=tuple(contributions),
            model_version=self.version,
        )

    def score_many(self, submissions: Sequence[Submission]) -> list[Scores]:
        """Score each submission, in order; identical to calling score() on each."""
        return [self.score(submission) for submission in submissions]


def load_scorer(model_dir: Path) -> Scorer:
    """Load the model folder (model.skops + card.json); ModelLoadError says why a folder is refused."""
    card = read_card(model_dir)
    return Scorer(read_models(model_dir, card), card)
