"""The loaded model as the service uses it: scores, the terms behind them, and the tuned thresholds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import NDArray
from sklearn.pipeline import Pipeline

from classifier.artifact import read_card, read_models
from classifier.card import ModelCard
from classifier.errors import ModelLoadError
from classifier.features import model_text, signal_name
from classifier.hashing import HashedTexts, TextHasher
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

    def __reduce__(self) -> tuple[type[Contribution], tuple[str, str, float]]:
        # Rebuilt by the constructor: the default for frozen slots dataclasses calls fields() per object, which was
        # most of the cost of receiving scores from the scoring process.
        return Contribution, (self.head, self.term, self.weight)


@dataclass(frozen=True, slots=True)
class Scores:
    """Calibrated probabilities per head, the strongest positive contributions (spam first), and the model."""

    spam_score: float
    abuse_score: float
    contributions: tuple[Contribution, ...]
    model_version: str

    def __reduce__(self) -> tuple[type[Scores], tuple[float, float, tuple[Contribution, ...], str]]:
        return Scores, (self.spam_score, self.abuse_score, self.contributions, self.model_version)


class Scorer:
    """A loaded model. Immutable after construction, so concurrent score() calls need no lock."""

    def __init__(self, pipelines: Mapping[str, Pipeline], card: ModelCard, *, source: Path | None = None) -> None:
        self.version: str = card.version
        # The model folder it was loaded from, so another process can load the same model (None: built in memory).
        self.source: Path | None = source
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

    def linear_head(self, head: str) -> LinearHead:
        """One head's fitted numbers (the second opinions shift its raw logit and calibrate it again);
        ModelLoadError if the model has no such head of the recipe."""
        try:
            return LinearHead.from_pipeline(self.pipelines[head])
        except (KeyError, ValueError) as exc:
            raise ModelLoadError(f"model {self.version} has no {head} head of the recipe: {exc}") from exc

    def score(self, submission: Submission, *, explain: bool = True) -> Scores:
        """Score one submission on the lean path; equal to pipeline.predict_proba to within 1e-9.

        With explain=False the contributions are left empty: the service asks for them only when a score is high
        enough to hold the reply.
        """
        return self.score_many([submission], explain=explain)[0]

    def score_many(
        self, submissions: Sequence[Submission], *, explain: bool | Callable[[Scores], bool] = True
    ) -> list[Scores]:
        """Score each submission, in order; the same numbers as score() on each, in a fraction of the time.

        `explain` may decide per submission from its scores whether the terms behind them are wanted; they are
        attributed from the n-grams already hashed for the scores, not computed again.
        """
        texts = [model_text(submission) for submission in submissions]
        hashed = self._hasher.hash_texts(texts)
        pushes = {head: linear.pushes(hashed) for head, linear in self._heads.items()}
        spam = self._heads["spam"].probabilities(hashed, pushes["spam"]).tolist()
        abuse = self._heads["abuse"].probabilities(hashed, pushes["abuse"]).tolist()
        results = []
        for row in range(hashed.size):
            scores = Scores(spam_score=spam[row], abuse_score=abuse[row], contributions=(), model_version=self.version)
            if explain if isinstance(explain, bool) else explain(scores):
                scores = replace(scores, contributions=self._contributions(hashed, row, pushes))
            results.append(scores)
        return results

    def _contributions(
        self, hashed: HashedTexts, row: int, pushes: Mapping[str, NDArray[np.float64]]
    ) -> tuple[Contribution, ...]:
        """The strongest positive terms of each head for one row, from its entries' pushes."""
        low, high = int(hashed.bounds[row]), int(hashed.bounds[row + 1])
        # Every occurrence of a column carries an equal part of that column's push.
        position = np.searchsorted(hashed.columns[low:high], hashed.occurrences(row))
        per_occurrence = np.column_stack(
            [(pushes[head][low:high] / hashed.counts[low:high])[position] for head in self._heads]
        )
        terms, weights = self._hasher.attribute(hashed.texts[row], per_occurrence)
        contributions: list[Contribution] = []
        for index, head in enumerate(self._heads):
            column = weights[:, index]
            # Strongest first; a stable sort keeps ties in order of first appearance.
            strongest = [term for term in np.argsort(-column, kind="stable") if column[term] > 0]
            contributions.extend(
                Contribution(head=head, term=signal_name(terms[term]) or terms[term], weight=float(column[term]))
                for term in strongest[:MAX_CONTRIBUTIONS_PER_HEAD]
            )
        return tuple(contributions)


def load_scorer(model_dir: Path) -> Scorer:
    """Load the model folder (model.skops + card.json); ModelLoadError says why a folder is refused."""
    card = read_card(model_dir)
    return Scorer(read_models(model_dir, card), card, source=model_dir.resolve())
