"""The stacked spam score: the trained spam score plus the reply's relevance to its article, and its artifact.

The stacked score ranks better (docs/model.md, issue 8) but is not calibrated like the trained one: its scale was
fitted on YouTube, where half the comments are spam. The card's thresholds were tuned for the trained score, so
the stacked one needs its own thresholds before it decides anything.

A stock LogisticRegression over STACK_FEATURES, fitted on comments grouped by article (bench/relevance_eval.py
fits it on the YouTube videos with out-of-group logits of the recipe). Saved as stacker.skops beside stacker.json,
and loaded only if the file's sha256, scikit-learn version, features, recipe and embedding model all match.
Only the spam head is stacked: relevance measured no safe gain for abuse (docs/model.md, issue 8).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import sklearn
import skops.io as sio
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from classifier.artifact import types_in_file
from classifier.errors import ModelLoadError
from classifier.lean import LinearHead
from classifier.pipeline import RECIPE
from classifier.relevance import MODEL_SHA256, Embedder, link_leaves_site, load_embedder
from classifier.scorer import Scorer
from classifier.submission import Submission

__all__ = [
    "STACK_FEATURES",
    "Article",
    "RelevanceScorer",
    "RelevanceScores",
    "Stacker",
    "build_stacker",
    "load_relevance_scorer",
    "load_stacker",
    "save_stacker",
]

# The raw (uncalibrated) logit of the recipe's spam head, the reply's cosine similarity to the article title, and
# 1.0 when a link in the reply leaves the article's site.
STACK_FEATURES: Final = ("spam_logit", "similarity_to_title", "link_leaves_site")
STACKER_FILE: Final = "stacker.skops"
STACKER_CARD: Final = "stacker.json"
SHIPPED_STACKER: Final = Path(__file__).parent / "stacker"
_TRUSTED: Final = ("sklearn.linear_model._logistic.LogisticRegression", "numpy.ndarray", "numpy.float64")
_STRUCTURAL: Final = frozenset(
    f"builtins.{name}" for name in ("dict", "list", "tuple", "str", "int", "float", "bool", "NoneType")
)
# Calibrated scores are clipped this far from 0 and 1 before their logit is taken back.
_EPSILON: Final = 1e-12


def build_stacker() -> LogisticRegression:
    """The unfitted stacker: scikit-learn's default LogisticRegression (three features need no tuning)."""
    return LogisticRegression()


@dataclass(frozen=True, slots=True)
class Stacker:
    """A fitted stacker and its card; `logit` reproduces decision_function without sklearn's per-call cost."""

    model: LogisticRegression
    card: dict[str, Any]

    def logit(self, features: NDArray[np.float64]) -> float:
        """The stacked spam logit for one row of STACK_FEATURES, equal to decision_function to within 1e-12."""
        return float(np.dot(self.model.coef_[0], features) + self.model.intercept_[0])


def save_stacker(model: LogisticRegression, folder: Path, *, trained_on: str, metrics: dict[str, Any]) -> Path:
    """Write stacker.skops and stacker.json into folder (created if needed); returns the folder."""
    if list(model.classes_) != [0, 1] or model.coef_.shape != (1, len(STACK_FEATURES)):
        raise ValueError(f"expected a binary LogisticRegression over {STACK_FEATURES}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STACKER_FILE
    sio.dump(model, path)
    card = {
        "features": list(STACK_FEATURES),
        "coefficients": dict(zip(STACK_FEATURES, np.round(model.coef_[0], 4).tolist(), strict=True)),
        "intercept": round(float(model.intercept_[0]), 4),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "sklearn": sklearn.__version__,
        "recipe": RECIPE,
        "embedding_sha256": MODEL_SHA256,
        "trained_on": trained_on,
        "metrics": metrics,
    }
    (folder / STACKER_CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return folder


def load_stacker(folder: Path = SHIPPED_STACKER) -> Stacker:
    """Read a stacker folder; ModelLoadError says why one is refused."""
    try:
        card = json.loads((folder / STACKER_CARD).read_text(encoding="utf-8"))
        path = folder / STACKER_FILE
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"stacker in {folder} cannot be read: {exc}") from exc
    expected = {
        "sha256": digest,
        "sklearn": sklearn.__version__,
        "features": list(STACK_FEATURES),
        "recipe": RECIPE,
        "embedding_sha256": MODEL_SHA256,
    }
    for key, value in expected.items():
        if card.get(key) != value:
            raise ModelLoadError(f"stacker in {folder}: {key} is {card.get(key)!r}, expected {value!r}")
    untrusted = types_in_file(path) - set(_TRUSTED) - _STRUCTURAL
    if untrusted:
        raise ModelLoadError(f"{path} contains types outside the trusted list: {sorted(untrusted)}")
    model = sio.load(path, trusted=list(_TRUSTED))
    if not isinstance(model, LogisticRegression):
        raise ModelLoadError(f"{path} does not hold a LogisticRegression")
    return Stacker(model=model, card=card)


@dataclass(frozen=True, slots=True)
class Article:
    """What a reply is posted under: the title, an excerpt if there is one, and the site's host name."""

    title: str
    excerpt: str = ""
    site: str | None = None


@dataclass(frozen=True, slots=True)
class RelevanceScores:
    """The stacked spam score, the trained one it started from, and the relevance features behind it.

    Similarities are cosines in [-1, 1]; similarity_to_excerpt is 0.0 without an excerpt, similarity_to_parent
    None without a parent. Only the title similarity and the link enter the stacked score; the others are measured
    but not weighed (no article-paired training data for them yet).
    """

    spam_score: float
    trained_spam_score: float
    similarity_to_title: float
    similarity_to_excerpt: float
    similarity_to_parent: float | None
    link_leaves_site: bool


class RelevanceScorer:
    """The trained scorer plus relevance to the article; immutable after construction, like Scorer."""

    def __init__(self, scorer: Scorer, embedder: Embedder, stacker: Stacker) -> None:
        self.scorer = scorer
        self.embedder = embedder
        self.stacker = stacker
        try:
            head = LinearHead.from_pipeline(scorer.pipelines["spam"])
        except (KeyError, ValueError) as exc:
            raise ModelLoadError(f"model {scorer.version} has no spam head of the recipe: {exc}") from exc
        self._calibration = (head.calibration_a, head.calibration_b)

    def score(self, submission: Submission, article: Article, *, parent_body: str = "") -> RelevanceScores:
        """Score one reply under its article (and its parent reply, if it answers one)."""
        trained = self.scorer.score(submission, explain=False).spam_score
        title, excerpt, parent = self.embedder.similarities(
            submission.body, [article.title, article.excerpt, parent_body]
        )
        leaves = bool(article.site) and link_leaves_site(submission.body, article.site or "")
        features = np.array([self.spam_logit(trained), title, float(leaves)])
        return RelevanceScores(
            spam_score=float(expit(self.stacker.logit(features))),
            trained_spam_score=trained,
            similarity_to_title=title,
            similarity_to_excerpt=excerpt,
            similarity_to_parent=parent if parent_body.strip() else None,
            link_leaves_site=leaves,
        )

    def spam_logit(self, spam_score: float) -> float:
        """The spam head's raw logit w.x + b, recovered from its calibrated score p = expit(-(a * logit + b'))."""
        a, b = self._calibration
        p = min(max(spam_score, _EPSILON), 1.0 - _EPSILON)
        return (-math.log(p / (1.0 - p)) - b) / a


def load_relevance_scorer(scorer: Scorer, *, stacker_dir: Path = SHIPPED_STACKER, threads: int = 1) -> RelevanceScorer:
    """The scorer with relevance, from the shipped stacker and the embedding model.

    Raises RelevanceUnavailable without the relevance extra: score with `scorer` alone then, and say so.
    ModelLoadError means the stacker folder is damaged or was built for other code or another scikit-learn.
    """
    return RelevanceScorer(scorer, load_embedder(threads=threads), load_stacker(stacker_dir))
