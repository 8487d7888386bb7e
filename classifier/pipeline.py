"""The model recipe: one stock scikit-learn Pipeline per head, built in one place with literal settings."""

from __future__ import annotations

from typing import Final

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

HEADS: Final = ("spam", "abuse")
RANDOM_STATE: Final = 0
# The version of everything between a submission and the pipeline's input (normalise.py, features.py). The
# persisted pipeline cannot carry that code, so a model fitted under another recipe would score different
# text than it learned from: bump this whenever that code changes, and loading refuses older models.
# 3: long bodies are read as their first 1,500 and last 500 characters (features.model_body); 4: Latin look-alikes
# inside Cyrillic words become Cyrillic, and digits inside Cyrillic words read as Cyrillic letters (normalise.py);
# 5: amounts in roubles, hryvnias, złoty and written-out currencies count as money, and naming a messenger
# (Telegram, WhatsApp, Viber, in Latin or Cyrillic) is a signal (features.py).
RECIPE: Final = "5"
# 2**17 word + 2**17 char columns: 2**18 in all, few enough collisions for ~50k texts, small enough that the
# coefficients and idf weights of two heads fit in a few MB.
WORD_FEATURES: Final = 2**17
CHAR_FEATURES: Final = 2**17
# Matches HashingVectorizer's default: words of two or more word characters; pseudo-tokens such as
# "__link__" are words too.
TOKEN_PATTERN: Final = r"(?u)\b\w\w+\b"  # noqa: S105 (a regex, not a secret)


def build_features() -> FeatureUnion:
    """Word 1-2 grams and in-word char 2-5 grams, hashed without sign flips so each column has one sign.

    Texts arrive already normalised (see features.model_text), so the vectorizers do no lowercasing or
    accent stripping of their own: the lean scorer must see exactly the same tokens.
    """
    return FeatureUnion(
        [
            (
                "words",
                HashingVectorizer(
                    analyzer="word", ngram_range=(1, 2), token_pattern=TOKEN_PATTERN, n_features=WORD_FEATURES,
                    lowercase=False, alternate_sign=False, norm=None,
                ),
            ),
            (
                "chars",
                HashingVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), n_features=CHAR_FEATURES,
                    lowercase=False, alternate_sign=False, norm=None,
                ),
            ),
        ]
    )  # fmt: skip


def build_classifier() -> CalibratedClassifierCV:
    """Balanced logistic regression, Platt-scaled on 3-fold out-of-fold scores.

    ensemble=False keeps one linear model per head (fit on all rows) plus one sigmoid, so a score is
    sigmoid(a * (w.x + b) + c): the lean scorer can reproduce it and contributions are exact.
    """
    regression = LogisticRegression(
        C=4.0, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=RANDOM_STATE
    )
    return CalibratedClassifierCV(regression, method="sigmoid", cv=3, ensemble=False)


def build_head_pipeline() -> Pipeline:
    """Return an unfitted pipeline for one head: hashed n-grams -> sublinear tf-idf -> calibrated LR."""
    return Pipeline(
        [
            ("features", build_features()),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ("classifier", build_classifier()),
        ]
    )
