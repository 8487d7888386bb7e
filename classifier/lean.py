"""One head's fitted numbers pulled out of its pipeline, to score hashed texts without sklearn's per-call cost."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from classifier.hashing import HashedTexts

# Calibrated scores are clipped this far from 0 and 1 before their logit is taken back.
_EPSILON = 1e-12


@dataclass(frozen=True, slots=True)
class LinearHead:
    """score = expit(-(a * (w . x + b) + c)) with x the sublinear-tf, idf-weighted, l2-normalised counts.

    These are the numbers of Pipeline.predict_proba(...)[:, 1], equal to it to within float rounding (1e-9).
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

    def pushes(self, hashed: HashedTexts) -> NDArray[np.float64]:
        """Each stored entry's push on its row's logit, coef * tf-idf value; a row's pushes add up to its logit
        minus the intercept, which is what explains a score exactly.

        Row by row the same operations as TfidfTransformer.transform then the dot product; every sum runs over one
        row's entries in order, so a text gets the same numbers alone or in any batch.
        """
        values = (np.log(hashed.counts) + 1.0) * self.idf[hashed.columns]
        norms = np.sqrt(np.bincount(hashed.rows, weights=values * values, minlength=hashed.size))
        norms[norms == 0.0] = 1.0  # only an empty row has a zero norm: it has no entries to divide
        return values / norms[hashed.rows] * self.coef[hashed.columns]

    def probabilities(self, hashed: HashedTexts, pushes: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probability of the positive class, per row, from pushes()."""
        logits = np.bincount(hashed.rows, weights=pushes, minlength=hashed.size) + self.intercept
        return np.asarray(expit(-(self.calibration_a * logits + self.calibration_b)), dtype=np.float64)

    def raw_logit(self, score: float) -> float:
        """The raw logit w.x + b behind a calibrated score p = expit(-(a * logit + b)): calibrated()'s inverse.

        Second opinions (relevance, the abuse opinion) shift this logit and calibrate it again, so the card's
        thresholds keep the meaning they were tuned for.
        """
        p = min(max(score, _EPSILON), 1.0 - _EPSILON)
        return (-math.log(p / (1.0 - p)) - self.calibration_b) / self.calibration_a

    def calibrated(self, logit: float) -> float:
        """The calibrated score of a raw logit."""
        return float(expit(-(self.calibration_a * logit + self.calibration_b)))
