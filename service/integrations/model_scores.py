"""The one place the compatible APIs call the model."""

from __future__ import annotations

from classifier import Scores, Submission, Thresholds
from service.scoring.state import ScoringState


async def score_submission(scoring: ScoringState, submission: Submission) -> tuple[Scores | None, Thresholds | None]:
    """The scores and the thresholds they are judged by; (None, None) when no model could score it.

    Batched with concurrent submissions like the submit path's (service/scoring/batcher.py), so it never holds the event
    loop for more than a batch's scoring.
    """
    scored = await scoring.score(submission)
    if scored.scores is None or scored.thresholds is None:
        return None, None
    return scored.scores, scored.thresholds
