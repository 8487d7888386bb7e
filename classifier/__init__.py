"""replyguard's classifier: spam and abuse scores for reply submissions, trained offline, loaded by the service."""

from classifier.card import ModelCard
from classifier.compare import compare_models
from classifier.errors import ClassifierError, ModelLoadError, TrainingDataError
from classifier.evaluate import evaluate_model
from classifier.report import write_report
from classifier.rows import LabelledRow
from classifier.scorer import Contribution, Scorer, Scores, Thresholds, load_scorer
from classifier.submission import Submission
from classifier.train import train_model

__all__ = [
    "ClassifierError",
    "Contribution",
    "LabelledRow",
    "ModelCard",
    "ModelLoadError",
    "Scorer",
    "Scores",
    "Submission",
    "Thresholds",
    "TrainingDataError",
    "compare_models",
    "evaluate_model",
    "load_scorer",
    "train_model",
    "write_report",
]
