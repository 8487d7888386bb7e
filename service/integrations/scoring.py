"""The one place the compatible APIs call the model: ScoringState is being reworked, so only this function follows."""

from __future__ import annotations

from classifier import Scores, Submission, Thresholds
from service.scoring import ScoringState


def score_submission(scoring: ScoringState, submission: Submission) -> tuple[Scores | None, Thresholds | None]:
    """The scores and the thresholds they are judged by; (None, None) when no model could score it.

    Inline on the event loop, as the submit path does: one text costs ~0.3-1 ms (MEASUREMENTS.md).
    """
    thresholds = scoring.thresholds
    scores = scoring.score(submission)
    if scores is None or thresholds is None:
        return None, None
    return scores, thresholds
