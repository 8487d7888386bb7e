"""Errors raised by the classifier package, and how they relate.

    Exception
     └── ClassifierError            anything the classifier refuses to do
          ├── ModelLoadError        a model folder cannot be trusted or read: a file is missing, the card's
          │                         sha256 or scikit-learn version does not match, or model.skops holds
          │                         types outside the trusted list
          └── TrainingDataError     the corpora give a head too few rows or only one class to learn from

Catch ModelLoadError at start-up (refuse to serve, or train a new model); TrainingDataError means the
data folder is broken and retrying will not help.
"""

from __future__ import annotations


class ClassifierError(Exception):
    """Base of every error the classifier package raises on purpose."""


class ModelLoadError(ClassifierError):
    """A model folder is missing, damaged, or was built for another environment; the message says which."""


class TrainingDataError(ClassifierError):
    """The training rows cannot produce a model (for example a head with a single class)."""
