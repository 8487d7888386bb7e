"""The scoring child process seen from the service: started with the model loaded, and replaced when it dies, with
/ready saying why until the new child has the model."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier import Scores, Submission, Thresholds
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

    async def score(
        self, model_dir: Path, submissions: Sequence[Submission], thresholds: Thresholds
    ) -> tuple[list[Scores], list[list[str] | None], list[str | None]]:
        """The child's scores, signatures and languages (ScoringProcess.score). A child that died on the batch raises
        ScoringProcessDied, and the new one loads the model in the background."""
        assert self.process is not None
        try:
            answer = await self.process.score(model_dir, submissions, thresholds)
        except ScoringProcessDied as exc:
            self.problem = str(exc)
            self._keep(self.load(model_dir))  # ready again once the new child has the model
            raise
        self.problem = None
        return answer

    def _keep(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)
