"""Concurrent submissions scored together: in this process, or in the scoring child while the loop serves HTTP.

One pass over a batch costs far less per reply than one pass per reply. With a child process every batch goes there,
a lone submission too: scored here it was quicker on an idle service (~0.6 ms), but under load the lone ones that
arrive while the child is idle put a whole scoring on the event loop's GIL, and the submit p99 at half the maximum
was ~1 ms worse (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from classifier import Scorer, Submission, Thresholds
from service.rules.policy import needs_explaining
from service.scoring.child_process import ScoringProcessDied
from service.scoring.health import Health
from service.scoring.model import ActiveModel
from service.scoring.scored import Scored, from_child, unscored, with_signatures
from service.scoring.supervisor import ChildSupervisor

log = logging.getLogger(__name__)

Waiting = list[tuple[Submission, "asyncio.Future[Scored]"]]
# The most replies in one batch for the child. A burst of submissions is scored in pieces, the first while the loop
# still reads the rest and the next while the first are committed, not as one batch once the whole burst is read:
# the paced submit p99 fell by ~4 ms (docs/performance.md). Scored on the loop, with nothing to overlap, a batch
# takes all that waits.
CHILD_BATCH = 8


class Batcher:
    """Scores with the active model, counting its failures; batches go to the supervised child when there is one."""

    __slots__ = ("_child", "_health", "_in_child", "_model", "_waiting")

    def __init__(self, model: ActiveModel, health: Health, child: ChildSupervisor) -> None:
        self._model, self._health, self._child = model, health, child
        self._waiting: Waiting = []
        self._in_child = 0  # batches sent to the child and not answered yet

    async def score(self, submission: Submission) -> Scored:
        """Score a submission together with those of the other requests waiting for scores: the ones that get here
        in the same turn of the event loop, and, with a child, those that came while it scored the last batch (in
        batches of CHILD_BATCH, each sent as soon as it is full)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Scored] = loop.create_future()
        self._waiting.append((submission, future))
        if len(self._waiting) >= CHILD_BATCH and self._child.process is not None:
            self._score_waiting()
        elif len(self._waiting) == 1 and not self._in_child:
            loop.call_soon(self._score_waiting)
        return await future

    def _score_waiting(self) -> None:
        scorer = self._model.scorer
        local = self._child.process is None or scorer is None or scorer.source is None or self._model.thresholds is None
        if local:
            batch, self._waiting = self._waiting, []
            _settle(batch, self.score_now([item for item, _ in batch]))
            return
        assert scorer is not None and scorer.source is not None  # not `local`
        while self._waiting:
            batch, self._waiting = self._waiting[:CHILD_BATCH], self._waiting[CHILD_BATCH:]
            self._score_in_child(scorer, batch)

    def _score_in_child(self, scorer: Scorer, batch: Waiting) -> None:
        assert scorer.source is not None
        thresholds = self._model.thresholds_of(scorer)  # they fit: _score_waiting checked
        self._in_child += 1

        def answered(succeeded: bool, value: Any) -> None:
            # Called from the step that read the answer (or at once, when no child runs): nothing may escape, or
            # the batch's requests would wait forever.
            try:
                self._scored_in_child(batch, scorer, thresholds, succeeded, value)
            except Exception:
                log.exception(
                    "the scoring process's answer could not be used; %d replies wait for a person", len(batch)
                )
                _settle(batch, unscored([item for item, _ in batch], thresholds))
            finally:
                self._in_child -= 1
                if self._waiting:  # what came while the child scored goes now
                    self._score_waiting()

        try:
            self._child.score_soon(scorer.source, [item for item, _ in batch], thresholds, answered)
        except Exception as exc:  # the batch could not be sent (say, it did not pickle): score it here
            answered(False, exc)

    def _scored_in_child(
        self, batch: Waiting, scorer: Scorer, thresholds: Thresholds, succeeded: bool, value: Any
    ) -> None:
        if succeeded:
            scores, signatures, languages = value
            _settle(batch, from_child(scores, signatures, languages, thresholds, scorer=scorer))
        elif isinstance(value, ScoringProcessDied):
            log.error("scoring process died; %d replies will wait for a person", len(batch))
            _settle(batch, unscored([item for item, _ in batch], thresholds))
        else:
            # What scoring raised in the child: score here instead, which isolates the reply that fails.
            _settle(batch, self.score_now([item for item, _ in batch]))

    def score_now(self, submissions: Sequence[Submission]) -> list[Scored]:
        """Score on the calling thread; a reply whose scoring raised gets None (logged without the text).

        The effective thresholds are worked out once per batch. The terms behind a score are traced only when it
        is high enough to hold the reply, where moderators read them.
        """
        scorer, thresholds = self._model.scorer, self._model.thresholds
        if scorer is None or thresholds is None:
            return unscored(submissions, None)
        try:
            scores = scorer.score_many(submissions, explain=lambda scores: needs_explaining(scores, thresholds))
        except Exception:
            if len(submissions) > 1:  # find the one that fails; the others still get their scores
                return [scored for submission in submissions for scored in self.score_now([submission])]
            log.exception("scoring failed; the reply will wait for a person")
            self._health.failed()
            if self._health.failing:
                in_a_row = self._health.failures_in_a_row
                self._model.problem = f"model {scorer.version} failed the last {in_a_row} replies"
            return unscored(submissions[:1], thresholds)
        self._health.scored()
        return with_signatures(scores, submissions, thresholds, scorer=scorer)


def _settle(batch: Waiting, results: Sequence[Scored]) -> None:
    for (_, future), scored in zip(batch, results, strict=True):
        if not future.done():  # its request may have been cancelled meanwhile
            future.set_result(scored)
