"""One head's fitted numbers pulled out of its pipeline, to score a hashed text without sklearn's per-call cost."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classifier.hashing import HashedText


@dataclass(frozen=True, slots=True)
class LinearHead:
    """score = expit(-(a * (w . x + b) + c)) with x the sublinear-tf, idf-weighted, l2-normalised counts.

    These are the same numbers, in the same order of operations, as Pipeline.predict_proba(...)[:, 1].
    """

    idf: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: float
    calibration_a: float
    calibration_b: float

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline) -> LinearHead:
        """Extract the numbers; raises ValueError if the pipeline is not the recipe in pipeline.py."""
        tfidf, calibrated = pipeline.named_steps["tfidf"], pipeline.named_steps["classifier"]
        if not isinstance(tfidf, TfidfTransformer) or not (tfidf.sublinear_tf and tfidf.norm == "l2"):
            raise ValueError("expected a sublinear, l2-normalised TfidfTransformer step named 'tfidf'")
        if not isinstance(calibrated, CalibratedClassifierCV) or len(calibrated.calibrated_classifiers_) != 1:
            raise ValueError("expected a CalibratedClassifierCV(ensemble=False) step named 'classifier'")
        pair = calibrated.calibrated_classifiers_[0]
        regression = pair.estimator
        if pair.method != "sigmoid" or not isinstance(regression, LogisticRegression):
            raise ValueError("expected a sigmoid-calibrated LogisticRegression")
        if list(calibrated.classes_) != [0, 1] or list(regression.classes_) != [0, 1]:
            raise ValueError("expected classes [0, 1], the positive class second")
        return cls(
            idf=np.asarray(tfidf.idf_, dtype=np.float64),
            coef=np.asarray(regression.coef_[0], dtype=np.float64),
            intercept=float(regression.intercept_[0]),
            calibration_a=float(pair.calibrators[0].a_),
            calibration_b=float(pair.calibrators[0].b_),
        )

    def weighted_values(self, hashed: HashedText) -> NDArray[np.float64]:
        """The tf-idf values of hashed.columns, as TfidfTransformer.transform would give them."""
        return self._weighted(hashed.columns, hashed.counts)

    def _weighted(self, columns: NDArray[np.int64], counts: NDArray[np.float64]) -> NDArray[np.float64]:
        values = (np.log(counts) + 1.0) * self.idf[columns]
        norm = float(np.sqrt(np.dot(values, values)))
        return values / norm if norm > 0.0 else values

    def score(self, hashed: HashedText) -> float:
        """Calibrated probability of the positive class."""
        return self.score_counts(hashed.columns, hashed.counts)

    def score_counts(self, columns: NDArray[np.int64], counts: NDArray[np.float64]) -> float:
        """The same probability from bare columns and counts (TextHasher.hash_counts)."""
        logit = float(np.dot(self._weighted(columns, counts), self.coef[columns])) + self.intercept
        return float(expit(-(self.calibration_a * logit + self.calibration_b)))

    def term_weights(self, hashed: HashedText) -> dict[str, float]:
        """Each term's share of w . x: column weight coef * tf-idf, split evenly over that column's occurrences.

        The values sum to the logit minus the intercept, so they explain the score exactly.
        """
        if not len(hashed.columns):
            return {}
        column_weight = self.weighted_values(hashed) * self.coef[hashed.columns] / hashed.counts
        position = np.searchsorted(hashed.columns, hashed.occurrence_columns)
        shares = column_weight[position] * hashed.occurrence_shares
        totals = np.bincount(hashed.occurrence_terms, weights=shares, minlength=len(hashed.terms))
        return dict(zip(hashed.terms, totals.tolist(), strict=True))
