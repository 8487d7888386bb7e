"""What scoring answers for a submission: its scores, the thresholds that judge them, the text's spam-run signature
and its language, computed together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from classifier import Scorer, Scores, Submission, Thresholds
from classifier.language import detect_language
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
    # The text's language (classifier/language.py; None when too short to tell), found with the signature.
    language: str | None = None
    # Whether the model that gave `scores` covers that language (ModelCard.covers_language); True when there is no
    # language or no model (then nothing is published on the model's word anyway).
    language_covered: bool = True


def covered(scorer: Scorer | None, language: str | None) -> bool:
    """Whether `scorer`'s card covers `language`; True for no language (judged as ever) or no scorer."""
    return language is None or scorer is None or scorer.card.covers_language(language)


def with_signatures(
    scores: Sequence[Scores], submissions: Sequence[Submission], thresholds: Thresholds, *, scorer: Scorer
) -> list[Scored]:
    """Scores given here, on the calling thread, with each text's signature and language."""
    return [
        _scored(item, thresholds, signature(sub.body), detect_language(sub.body), scorer)
        for item, sub in zip(scores, submissions, strict=True)
    ]


def _scored(
    scores: Scores | None,
    thresholds: Thresholds | None,
    run_signature: list[str] | None,
    language: str | None,
    scorer: Scorer | None,
) -> Scored:
    return Scored(scores, thresholds, run_signature, language, covered(scorer, language))


def from_child(
    scores: Sequence[Scores],
    signatures: Sequence[list[str] | None],
    languages: Sequence[str | None],
    thresholds: Thresholds,
    *,
    scorer: Scorer,
) -> list[Scored]:
    """What the scoring process answered for a batch, with the coverage of the scorer it used."""
    return [
        _scored(item, thresholds, sign, language, scorer)
        for item, sign, language in zip(scores, signatures, languages, strict=True)
    ]


def unscored(submissions: Sequence[Submission], thresholds: Thresholds | None) -> list[Scored]:
    """No scores (no model, or scoring failed): the replies wait for a person, and their signatures still count
    towards a spam run; their language is still stored."""
    return [_scored(None, thresholds, signature(item.body), detect_language(item.body), None) for item in submissions]
