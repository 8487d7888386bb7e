"""Progress lines for the long jobs (training, evaluation): a callable that takes one line of text."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

Progress = Callable[[str], None]


def to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def stopwatch(progress: Progress | None, job: str) -> Progress:
    """`progress` with each line prefixed by the job's name and the seconds since this call; silent for None."""
    if progress is None:
        return lambda _message: None
    started = time.perf_counter()
    return lambda message: progress(f"{job}: {message} ({time.perf_counter() - started:.0f} s)")
