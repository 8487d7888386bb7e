"""The service's scoring: concurrent requests are scored as one batch, with the same answers as one by one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from classifier import Scorer, Submission, load_scorer
from service.abuse.spam_runs import signature
from service.rules.policy import Overrides, decision_thresholds, effective_thresholds
from service.scoring.model import ActiveModel
from service.scoring.scored import Scored
from service.scoring.state import ScoringState
from tests.classifier.examples import ABUSE, POLITE, SPAM


@pytest.fixture(scope="module")
def scorer(model_dir: Path) -> Scorer:
    return load_scorer(model_dir)


class CountingScorer:
    """A real scorer that records the size of each batch it is asked to score, and fails on a chosen body."""

    def __init__(self, scorer: Scorer, *, fail_on: str | None = None) -> None:
        self.scorer, self.fail_on, self.batches = scorer, fail_on, list[int]()
        self.thresholds, self.version, self.card = scorer.thresholds, scorer.version, scorer.card

    def score_many(self, submissions: Any, **options: Any) -> Any:
        self.batches.append(len(submissions))
        if any(submission.body == self.fail_on for submission in submissions):
            raise ValueError("boom")
        return self.scorer.score_many(submissions, **options)


def score_together(state: ScoringState, submissions: list[Submission]) -> list[Scored]:
    async def all_at_once() -> list[Scored]:
        return await asyncio.gather(*(state.score(submission) for submission in submissions))

    return asyncio.run(all_at_once())


def test_concurrent_submissions_are_scored_in_one_batch_with_the_answers_of_one_by_one(scorer: Scorer) -> None:
    counting = CountingScorer(scorer)
    state = ScoringState(scorer=counting, overrides=Overrides())  # type: ignore[arg-type]
    submissions = POLITE + SPAM + ABUSE
    together = score_together(state, submissions)
    assert counting.batches == [len(submissions)]
    alone = [score_together(state, [submission])[0] for submission in submissions]
    assert together == alone
    thresholds = effective_thresholds(scorer.thresholds, Overrides())
    for scored in together:
        assert scored.thresholds == thresholds
        held = scored.scores is not None and (
            scored.scores.spam_score >= thresholds.spam_hold or scored.scores.abuse_score >= thresholds.abuse_hold
        )
        assert bool(scored.scores and scored.scores.contributions) == held


def test_a_reply_that_breaks_scoring_waits_alone_while_its_batch_is_scored(scorer: Scorer) -> None:
    counting = CountingScorer(scorer, fail_on=SPAM[0].body)
    state = ScoringState(scorer=counting, overrides=Overrides(spam_hold=0.1))  # type: ignore[arg-type]
    scored = score_together(state, [POLITE[0], SPAM[0], ABUSE[0]])
    assert [item.scores is None for item in scored] == [False, True, False]
    assert all(item.thresholds is not None and item.thresholds.spam_hold == 0.1 for item in scored)


def test_without_a_model_nothing_is_scored() -> None:
    scored = score_together(ScoringState(scorer=None, overrides=Overrides()), POLITE[:2])
    assert [(item.scores, item.thresholds) for item in scored] == [(None, None)] * 2
    # The spam-run signature does not need the model: a run is caught even while no model scores.
    assert all(item.run_signature for item in scored)


def test_batches_carry_each_text_s_spam_run_signature(scorer: Scorer) -> None:
    texts = [POLITE[0], SPAM[0], POLITE[0]]
    scored = score_together(ScoringState(scorer=scorer, overrides=Overrides()), texts)
    assert [item.run_signature for item in scored] == [signature(text.body) for text in texts]
    assert scored[0].run_signature == scored[2].run_signature and scored[0].run_signature != scored[1].run_signature


def test_the_thresholds_follow_the_scorer_and_the_overrides_they_were_worked_out_for(
    scorer: Scorer, seed_scorer: Scorer
) -> None:
    model = ActiveModel(scorer, Overrides())
    first = model.thresholds
    assert first == decision_thresholds(scorer.card, Overrides())
    again = model.thresholds
    assert again is first  # remembered: every batch asks
    model.use(seed_scorer)  # a promotion: the new card's thresholds, not the old ones
    promoted = model.thresholds
    assert promoted == decision_thresholds(seed_scorer.card, Overrides())
    model.overrides = Overrides(spam_hold=0.1)  # new settings are never answered from before
    overridden = model.thresholds
    assert overridden == decision_thresholds(seed_scorer.card, Overrides(spam_hold=0.1))
    model.overrides = Overrides(spam_hold=0.99, spam_reject=0.5)  # a hold above the reject does not fit any card
    misfit = model.thresholds
    assert misfit is None
    assert model.problem is not None
    with pytest.raises(ValueError, match="spam thresholds"):  # asked again, it is checked again, not remembered
        model.thresholds_of(seed_scorer)
