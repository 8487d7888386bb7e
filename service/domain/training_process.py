"""Training and judging a challenger in a child process of its own: CPU-bound for minutes on the full corpora, it
never holds the event loop (or its GIL), and it is killed when the service shuts down or the round is cancelled."""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from classifier import LabelledRow, ModelLoadError, Scorer, compare_models, load_scorer, train_model
from classifier.site_compare import compare_on_site

# How often the parent looks for the child's answer: training takes seconds to minutes, so this costs nothing.
POLL_SECONDS: Final = 0.2


class TrainingFailed(RuntimeError):
    """Training or judging raised in the child, or the child died (killed, out of memory); the message says which."""


@dataclass(frozen=True, slots=True)
class TrainingJob:
    """What the child needs: where models go, the corpora, the labels to train on (the site's held-out decisions
    excluded), those held-out decisions, the champion's folder (None: no model is active) and the threshold policy."""

    output_root: Path
    data_dir: Path | None
    labels: list[LabelledRow]
    held_out: list[LabelledRow]
    champion_dir: Path | None
    policy: str


def train_and_judge(job: TrainingJob) -> dict[str, Any]:
    """Train a challenger, judge it against the champion on the site's held-out decisions and, when they are too few
    to decide, on the corpora's held-out rows (compare.py); `promote` is the verdict."""
    challenger_dir = train_model(output_root=job.output_root, data_dir=job.data_dir, extra_rows=job.labels)
    challenger = load_scorer(challenger_dir)
    champion: Scorer | None = None
    outcome: dict[str, Any] = {"challenger_dir": str(challenger_dir), "corpora": None}
    if job.champion_dir is not None:
        try:
            champion = load_scorer(job.champion_dir)
        except ModelLoadError as exc:  # another recipe or scikit-learn: it cannot compete
            outcome["champion_error"] = str(exc)
    site = compare_on_site(champion, challenger, job.held_out, policy=job.policy)
    outcome["site"] = site
    if champion is not None and job.champion_dir is not None and not site["decided"]:
        corpora = compare_models(job.champion_dir, challenger_dir, data_dir=job.data_dir, extra_rows=job.labels)
        outcome["corpora"] = corpora
        outcome["promote"] = bool(corpora["challenger_not_worse"])
    else:
        outcome["promote"] = bool(site["challenger_better"])
    return outcome


def _child(sender: multiprocessing.connection.Connection, job: TrainingJob) -> None:
    parent = multiprocessing.parent_process()
    if parent is not None:  # a parent killed outright skips its shutdown: end with it rather than train for no one
        threading.Thread(target=_exit_when_gone, args=(parent.sentinel,), daemon=True).start()
    try:
        sender.send(("ok", train_and_judge(job)))
    except Exception as exc:  # any failure goes back to the parent, as text
        sender.send(("error", f"{type(exc).__name__}: {exc}"))


def _exit_when_gone(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


async def run_training(job: TrainingJob) -> dict[str, Any]:
    """train_and_judge(job) in a new child process; TrainingFailed if it raised or died. Cancelling kills the child
    (a model folder appears whole or not at all, so nothing half-written is left behind)."""
    context = multiprocessing.get_context("spawn")  # not fork: the service's threads would be copied mid-state
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, job), name="replyguard-training")
    process.start()
    sender.close()
    try:
        while not receiver.poll():
            if not process.is_alive() and not receiver.poll():
                raise TrainingFailed(f"the training process died (exit code {process.exitcode})")
            await asyncio.sleep(POLL_SECONDS)
        status, answer = receiver.recv()
    except BaseException:  # cancelled (shutdown) or failed: the child stops now, not minutes later
        process.kill()
        raise
    finally:
        await asyncio.to_thread(process.join)
        receiver.close()
    if status != "ok":
        raise TrainingFailed(str(answer))
    return dict(answer)
