"""The scoring child process seen from the service: started with the model loaded, and replaced when it dies, with
/ready saying why until the new child has the model."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier import Submission, Thresholds
from service.scoring.child_process import ScoringProcess, ScoringProcessDied

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ChildSupervisor:
    process: ScoringProcess | None = None
    problem: str | None = None  # set while the scoring process is being replaced after it died
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self, process: ScoringProcess, model_dir: Path | None) -> None:
        """Start scoring in `process`, with the model in `model_dir` (if any) loaded there first."""
        process.start()
        self.process = process
        if model_dir is not None:
            await self.load(model_dir)

    async def load(self, model_dir: Path) -> None:
        assert self.process is not None
        try:
            pid = await self.process.load(model_dir)
            log.info("scoring process ready", extra={"pid": pid, "model_dir": str(model_dir)})
            self.problem = None
        except Exception as exc:
            log.exception("the scoring process cannot load the model")
            self.problem = f"the scoring process cannot load the model: {type(exc).__name__}"

    def score_soon(
        self,
        model_dir: Path,
        submissions: Sequence[Submission],
        thresholds: Thresholds,
        on_answer: Callable[[bool, Any], None],
    ) -> None:
        """The child's scores, signatures and languages (ScoringProcess.score_soon), handed to `on_answer` from the
        step that reads them. A child that died on the batch answers ScoringProcessDied, and the new one loads the
        model in the background (/ready says why until it has)."""
        assert self.process is not None

        def answered(succeeded: bool, value: Any) -> None:
            if isinstance(value, ScoringProcessDied):
                self.problem = str(value)
                self._keep(self.load(model_dir))  # ready again once the new child has the model
            elif succeeded:
                self.problem = None
            on_answer(succeeded, value)

        try:
            self.process.score_soon(model_dir, submissions, thresholds, answered)
        except ScoringProcessDied as exc:
            answered(False, exc)

    def _keep(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)
