"""Errors raised by the classifier package, and how they relate.

    Exception
     └── ClassifierError            anything the classifier refuses to do
          ├── ModelLoadError        a model folder cannot be trusted or read: a file is missing, the card's
          │                         sha256 or scikit-learn version does not match, or model.skops holds
          │                         types outside the trusted list
          ├── TrainingDataError     the corpora give a head too few rows or only one class to learn from
          └── RelevanceUnavailable  the `relevance` extra (sentence-embedding model, onnxruntime, tokenizers)
                                    is not installed, or its model file is not the pinned one

Catch ModelLoadError at start-up (refuse to serve, or train a new model); TrainingDataError means the
data folder is broken and retrying will not help. RelevanceUnavailable means scoring goes on without
relevance features (the model without them), and the caller should say so.
"""

from __future__ import annotations


class ClassifierError(Exception):
    """Base of every error the classifier package raises on purpose."""


class ModelLoadError(ClassifierError):
    """A model folder is missing, damaged, or was built for another environment; the message says which."""


class TrainingDataError(ClassifierError):
    """The training rows cannot produce a model (for example a head with a single class)."""


class RelevanceUnavailable(ClassifierError):
    """The sentence-embedding model behind relevance features cannot be loaded; the message says what to install."""
