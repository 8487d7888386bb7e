"""What scoring answers for a submission: its scores, the thresholds that judge them, and the text's spam-run
signature, computed together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from classifier import Scores, Submission, Thresholds
from service.abuse.spam_runs import signature


@dataclass(frozen=True, slots=True)
class Scored:
    """A submission's scores (None without a model or when scoring failed) with the thresholds of the model that
    gave them, taken together so a promotion between the two cannot split them."""

    scores: Scores | None
    thresholds: Thresholds | None
    # The text's spam-run signature (service/abuse/spam_runs.py; None when too short to count), computed with the scores
    # so that in the scoring process it costs the event loop nothing. Present whether or not scoring worked.
    run_signature: list[str] | None = None


def with_signatures(
    scores: Sequence[Scores], submissions: Sequence[Submission], thresholds: Thresholds
) -> list[Scored]:
    """Scores given here, on the calling thread, with each text's signature."""
    return [Scored(item, thresholds, signature(sub.body)) for item, sub in zip(scores, submissions, strict=True)]


def unscored(submissions: Sequence[Submission], thresholds: Thresholds | None) -> list[Scored]:
    """No scores (no model, or scoring failed): the replies wait for a person, and their signatures still count
    towards a spam run."""
    return [Scored(None, thresholds, signature(item.body)) for item in submissions]
