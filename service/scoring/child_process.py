"""Scoring in a child process, so the event loop keeps only HTTP and the database and scoring uses another core.

Under load the submit path was CPU-bound in one process; scoring was about a third of the time holding the GIL
(docs/performance.md). The child loads the same model folder with the same skops trusted-type check and runs the
same Scorer.score_many, so the answers are those of scoring in-process. The parent sends batches of submissions
(service/scoring/batcher.py), several in flight at once when a burst comes; the child answers them in turn.

The two talk over a socket pair that the event loop reads and writes itself (a reader callback, no task).
A ProcessPoolExecutor did this before, through a feeder thread and a manager thread in the server process: at half
the submit maximum a batch's round trip took ~4.1 ms for ~1.8 ms of scoring, the rest waiting for those threads to
get the GIL (docs/performance.md). What crosses is pickled: both ends are this code, and no one else holds the
socket (models from disk are a different matter: skops, classifier/persistence.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeVar

from classifier import Scorer, Scores, Submission, Thresholds, load_scorer
from classifier.language import detect_language, load_detector
from service.abuse.spam_runs import signature
from service.rules.policy import needs_explaining
from service.settings import SCORING_TIMEOUT_SECONDS

log = logging.getLogger(__name__)
T = TypeVar("T")

# In the child: the model it scores with, by folder. One is kept; a promotion loads the next on its first batch.
_loaded: dict[Path, Scorer] = {}


def _scorer_for(model_dir: Path) -> Scorer:
    scorer = _loaded.get(model_dir)
    if scorer is None:
        _loaded.clear()
        scorer = _loaded[model_dir] = load_scorer(model_dir)
        gc.freeze()  # as at the app's start-up: full collections then skip the libraries and the model
    return scorer


def _load(model_dir: Path) -> int:
    load_detector()
    _scorer_for(model_dir)
    return os.getpid()


def _score(
    model_dir: Path, submissions: Sequence[Submission], thresholds: Thresholds
) -> tuple[list[Scores], list[list[str] | None], list[str | None]]:
    scores = _scorer_for(model_dir).score_many(submissions, explain=lambda scores: needs_explaining(scores, thresholds))
    bodies = [submission.body for submission in submissions]
    return scores, [signature(body) for body in bodies], [detect_language(body) for body in bodies]


# A message either way: its length (8 bytes, big-endian), then the pickle. To the child (function, arguments); back
# (True, what it returned) or (False, what it raised).
_LENGTH = struct.Struct(">Q")
# The most the parent reads at once: recv allocates this much before it shrinks to what came, and an answer for a
# batch is a few kilobytes (a larger one is read in several pieces).
_READ_SIZE = 1 << 16
# How long stop() waits for the batch in hand before it ends the child outright.
STOP_SECONDS = 30.0


def _serve(connection: socket.socket) -> None:
    """The child's whole life: answer each request in turn until the parent closes its end or is gone."""
    _exit_with_parent()
    # Ctrl-C in a terminal reaches the whole process group: the server decides when this process ends (stop()).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    incoming = connection.makefile("rb")
    while True:
        header = incoming.read(_LENGTH.size)
        if len(header) < _LENGTH.size:
            return  # the parent closed its end (stop) or ended
        request = incoming.read(_LENGTH.unpack(header)[0])
        function, args = pickle.loads(request)  # noqa: S301 (from the parent, over a socket no one else holds)
        try:
            answer = _answer((True, function(*args)))
        except Exception as exc:
            answer = _answer((False, exc))
        try:
            connection.sendall(answer)
        except OSError:
            return  # the parent is gone, or gave up on this child


def _framed(value: object) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data


def _answer(value: tuple[bool, Any]) -> bytes:
    try:
        return _framed(value)
    except Exception as exc:  # an exception that does not pickle still reaches the parent, as text
        return _framed((False, RuntimeError(f"{type(value[1]).__name__}: {value[1]} ({exc})")))


def _exit_with_parent() -> None:
    """In the child, first thing: end when the server process ends, however it ended, even while a batch is scored.
    (Between batches the socket's end of file does it too.)"""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_when_ready, args=(parent.sentinel,), daemon=True).start()


def _exit_when_ready(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # readable once the parent has exited
    os._exit(0)


class ScoringProcessDied(RuntimeError):
    """The child process ended while scoring a batch (killed, out of memory) or stopped answering (stuck); a new one
    is started."""


# What a request's sender is told: (True, what the child returned), (False, what it raised), or (False,
# ScoringProcessDied) when the child ended before answering.
OnAnswer = Callable[[bool, Any], None]


class ScoringProcess:
    """One child process that scores batches; started and stopped with the app (service/web/runtime.py).

    Requests are written at once from the caller's step of the event loop, and the answers are read by a reader
    callback that hands each to its sender in that same step, in the order sent (the child answers in turn). Under
    load each turn of the loop a batch waits for costs as much as the other requests' work in that turn: a send
    task, a receive task and their wake-ups cost several turns a batch. A caller that is cancelled cannot cut an
    exchange in half, since no caller reads the socket.
    """

    def __init__(self, *, answer_timeout: float = SCORING_TIMEOUT_SECONDS) -> None:
        # A child that answers nothing for this long while requests wait is stuck (a loop, a pathological input) and
        # is replaced as if it had died: without this, every later submission would queue behind it forever.
        self.answer_timeout = answer_timeout
        self._child: BaseProcess | None = None
        self._socket: socket.socket | None = None
        self._waiting: deque[OnAnswer] = deque()  # senders of the requests not answered yet, oldest first
        self._inbox = bytearray()  # answer bytes read and not yet handed out
        self._outbox = bytearray()  # request bytes the socket did not take yet
        self._loop: asyncio.AbstractEventLoop | None = None
        self._silent_since = 0.0  # loop time of the last answer, or of the first request sent while none waited
        self._watchdog: asyncio.TimerHandle | None = None

    def start(self) -> None:
        # spawn, not fork: the parent has threads (database, executor) that a forked child would inherit mid-state.
        ours, theirs = socket.socketpair()
        child = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(theirs,), name="replyguard-scoring", daemon=True
        )
        child.start()
        theirs.close()  # the child has its own copy: our end sees end-of-file once the child is gone
        ours.setblocking(False)
        self._child, self._socket = child, ours

    async def load(self, model_dir: Path) -> int:
        """Load the model in the child before traffic needs it; returns the child's process id."""
        return await self._run(_load, model_dir)

    def score_soon(
        self, model_dir: Path, submissions: Sequence[Submission], thresholds: Thresholds, on_answer: OnAnswer
    ) -> None:
        """Score a batch with the model in `model_dir`: the scores with terms for those that reach a hold threshold,
        each text's spam-run signature (service/abuse/spam_runs.py) and its language (classifier/language.py).

        The batch is sent now, and `on_answer` gets the answer as soon as it is read (in the reader callback, so it
        must not raise): what scoring raised in the child, or ScoringProcessDied when the child died on the batch
        (the next one is started). Raises ScoringProcessDied when no child is running.
        """
        self.send(on_answer, _score, model_dir, list(submissions), thresholds)

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def settle(succeeded: bool, value: Any) -> None:
            if future.done():  # the caller was cancelled meanwhile
                return
            if succeeded:
                future.set_result(value)
            else:
                future.set_exception(value)

        self.send(settle, function, *args)
        return await future

    def send(self, on_answer: OnAnswer, function: Callable[..., Any], *args: Any) -> None:
        """Write one request now (what the socket does not take is written when it can); its answer goes to
        `on_answer`. Raises ScoringProcessDied when no child is running."""
        connection = self._socket
        if connection is None:
            raise ScoringProcessDied("the scoring process is not running")
        request = _framed((function, args))  # first: a request that does not pickle is never half sent
        loop = self._loop = asyncio.get_running_loop()
        self._waiting.append(on_answer)
        if len(self._waiting) == 1:
            loop.add_reader(connection.fileno(), self._read)
            self._silent_since = loop.time()
            if self._watchdog is not None:
                self._watchdog.cancel()
            self._watchdog = loop.call_later(self.answer_timeout, self._check_answering)
        if not self._outbox:
            try:
                request = request[connection.send(request) :]
            except BlockingIOError:
                pass
            except OSError as exc:  # a reset or broken pipe: the child is gone
                self._died(exc)
                return
            if request:
                loop.add_writer(connection.fileno(), self._write_more)
        self._outbox += request

    def _write_more(self) -> None:
        connection, loop = self._socket, self._loop
        if connection is None or loop is None:
            return
        try:
            del self._outbox[: connection.send(self._outbox)]
        except BlockingIOError:
            return
        except OSError as exc:
            self._died(exc)
            return
        if not self._outbox:
            loop.remove_writer(connection.fileno())

    def _read(self) -> None:
        connection, loop = self._socket, self._loop
        if connection is None or loop is None:
            return
        try:
            chunk = connection.recv(_READ_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            self._died(exc)
            return
        if not chunk:
            self._died(EOFError("the scoring process closed its end"))
            return
        self._inbox += chunk
        while len(self._inbox) >= _LENGTH.size:
            end = _LENGTH.size + _LENGTH.unpack_from(self._inbox)[0]
            if len(self._inbox) < end:
                break
            succeeded, value = pickle.loads(self._inbox[_LENGTH.size : end])  # noqa: S301 (from our own child)
            del self._inbox[:end]
            self._silent_since = loop.time()
            self._waiting.popleft()(succeeded, value)
        if not self._waiting and self._socket is connection:
            loop.remove_reader(connection.fileno())

    def _check_answering(self) -> None:
        """Replace the child when requests have waited `answer_timeout` without any answer; otherwise look again when
        that could next be true. (Runs on the loop; nothing to do once every request is answered.)"""
        self._watchdog = None
        loop = self._loop
        if not self._waiting or loop is None or self._socket is None:
            return
        silent = loop.time() - self._silent_since
        if silent < self.answer_timeout:
            self._watchdog = loop.call_later(self.answer_timeout - silent, self._check_answering)
            return
        log.error(
            "the scoring process answered nothing for %.0f s with %d requests waiting; replacing it",
            silent,
            len(self._waiting),
        )
        self._died(TimeoutError(f"no answer from the scoring process for {silent:.0f} s"))

    def _died(self, exc: BaseException) -> None:
        """The child is gone (killed, out of memory) or stuck: every request in flight is answered so, and the next
        child starts for the next batch."""
        waiting, self._waiting = self._waiting, deque()
        log.error("the scoring process died; starting another")
        self._discard()
        self.start()
        died = ScoringProcessDied("the scoring process died while scoring")
        died.__cause__ = exc
        for on_answer in waiting:
            on_answer(False, died)

    def _discard(self) -> None:
        child, connection, loop = self._child, self._socket, self._loop
        self._child = self._socket = None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._inbox.clear()
        self._outbox.clear()
        if connection is not None:
            if loop is not None and not loop.is_closed():
                loop.remove_reader(connection.fileno())
                loop.remove_writer(connection.fileno())
            connection.close()
        if child is not None:
            child.kill()  # it may only have broken its end; a dead one is just reaped
            child.join()

    def stop(self) -> None:
        """Let the child finish the batch in hand, then end it (at shutdown, after the replies are drained)."""
        child, connection = self._child, self._socket
        self._child = self._socket = None
        if connection is not None:
            with contextlib.suppress(OSError):  # already broken: the child is gone or going
                connection.shutdown(socket.SHUT_WR)  # the child reads end of file after its current batch
        if child is not None:
            child.join(STOP_SECONDS)
            if child.is_alive():
                child.kill()
                child.join()
        if connection is not None:
            connection.close()
