"""Structured (JSON-lines) logs on stderr, with email addresses and secrets redacted before a line is written."""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import math
import queue
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import unquote

import msgspec

# Deliberately broad: a false positive costs a redacted word, a false negative leaks a private address.
EMAIL = re.compile(r"[^\s@<>\"'(),;:\[\]]+@[^\s@<>\"'(),;:\[\]]+\.[^\s@<>\"'(),;:\[\]]+")
# Secrets the service issues, by their prefixes: moderator tokens (rg_, service/domain/auth.py), API keys (rgk_,
# service/integrations/keys.py) and Coral's phase secrets (empsec_); and the value of any query parameter named like
# a secret, whatever it holds (Perspective clients send keys in the query string, which the access log writes).
SECRET_PARAMETERS = "key|api_key|apikey|token|access_token|csrf_token|secret|password"  # noqa: S105 - names
SECRET = re.compile(
    rf"((?:[?&]|\b)(?:{SECRET_PARAMETERS})=)[^&\s\"']+|\brgk_[A-Za-z0-9_-]+|\brg_[A-Za-z0-9_-]{{8,}}|\bempsec_[A-Za-z0-9]+",
    re.IGNORECASE,
)
# How many layers of percent-encoding are taken off before looking (uvicorn's access log writes the path quoted
# again, so an address in a path reads a%40b there; a client may encode twice).
DECODING_ROUNDS = 3
# Record attributes that are not "extra" fields; uvicorn's color_message only duplicates the message with ANSI codes.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


# What every hidden thing needs somewhere in the text: an @ (an address), a % (an encoding that may hide one), or
# the start of a secret (its prefix, or the "=" after a secret-named parameter; every name in SECRET_PARAMETERS ends
# in one of these). Most lines (the access log of ordinary requests) have none of them, and a few substring tests
# cost a fraction of the full redaction (issue 19: formatting an access-log line took 56 us, a seventh of a cached
# list page's CPU).
SECRET_MARKS = ("rg_", "rgk_", "empsec_", "key=", "token=", "secret=", "password=")


def _maybe_hidden(text: str) -> bool:
    if "@" in text or "%" in text:
        return True
    folded = text.lower()
    return any(mark in folded for mark in SECRET_MARKS)


def _hide_secret(match: re.Match[str]) -> str:
    return f"{match.group(1)}[key]" if match.group(1) else "[key]"


def _hidden(text: str) -> str:
    return SECRET.sub(_hide_secret, EMAIL.sub("[email]", text))


def _decoded(text: str) -> str:
    for _ in range(DECODING_ROUNDS):
        decoded = unquote(text, errors="replace")
        if decoded == text:
            break
        text = decoded
    return text


def redact(text: str) -> str:
    """The text without email addresses or secrets, looked for after percent-decoding it. Text with nothing to hide
    is returned as it was; text with something hidden is returned decoded."""
    if not _maybe_hidden(text):
        return text
    hidden = _hidden(text)
    decoded = _decoded(text)
    if decoded == text:
        return hidden
    hidden_decoded = _hidden(decoded)
    return hidden_decoded if hidden_decoded != decoded else hidden


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's extra fields, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": iso_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return _json_line(entry)


# One encoder for every line (msgspec: ~0.3 us a line where json.dumps took ~5 us, in the writer thread that shares the
# interpreter lock with the event loop); what it cannot encode is written as its str(), as json.dumps(default=str).
_ENCODER = msgspec.json.Encoder(enc_hook=str)
# The second of the last stamp and its text: lines come a few thousand a second, and datetime's formatting took ~1.8 us.
_second: tuple[int, str] = (-1, "")


def iso_time(created: float) -> str:
    """`created` (seconds since the epoch) as ISO 8601 in UTC with microseconds: 2026-12-06T22:00:00.000000+00:00."""
    global _second  # one tuple, replaced whole: a reader in another thread sees an old or a new pair, never a mix
    # Rounded as datetime.fromtimestamp rounds (the fraction alone, half to even), so both give the same stamp.
    fraction, seconds = math.modf(created)
    whole, micro = int(seconds), round(fraction * 1_000_000)
    if micro == 1_000_000:
        whole, micro = whole + 1, 0
    second, text = _second
    if whole != second:
        text = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (whole, text)
    return f"{text}.{micro:06d}+00:00"


def _json_line(entry: dict[str, Any]) -> str:
    # Decoded before the JSON is written (a decoded %0A or %22 is escaped like any text); the whole line is looked at
    # once more for what non-text extra fields may hold.
    try:
        line = _ENCODER.encode(entry).decode()
    except (TypeError, ValueError, UnicodeError):  # msgspec refuses lone surrogates (a surrogateescape'd byte)
        line = json.dumps(entry, default=str, ensure_ascii=False)
    return _hidden(line) if _maybe_hidden(line) else line


ACCESS_LOGGER = "uvicorn.access"


class AccessLine:
    """One request's access-log line as the event loop hands it to the writer thread: uvicorn's format and arguments
    and the time. It becomes the same JSON line a LogRecord of the "uvicorn.access" logger would (format_access)."""

    __slots__ = ("args", "created", "message")

    def __init__(self, message: str, args: tuple[object, ...]) -> None:
        self.created = time.time()
        self.message, self.args = message, args


def _as_record(line: AccessLine) -> logging.LogRecord:
    return logging.makeLogRecord({"name": ACCESS_LOGGER, "msg": line.message, "args": line.args})


def format_access(line: AccessLine) -> str:
    entry = {
        "time": iso_time(line.created),
        "level": "INFO",
        "logger": ACCESS_LOGGER,
        "message": redact(line.message % line.args),
    }
    return _json_line(entry)


class LeanAccessLogger:
    """What uvicorn's protocol calls `access_logger.info(...)` on for every request, when the server's lines go
    through the writer thread: the call enqueues an AccessLine instead of building a LogRecord and passing it through
    the logger tree (issue 19: a tenth of a cached list page's CPU on the event loop). The level is checked as the
    logger would (REPLYGUARD_LOG_LEVEL=WARNING writes no access lines)."""

    __slots__ = ("_logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def info(self, message: str, *args: object) -> None:
        if self._logger.isEnabledFor(logging.INFO):
            _records.put(AccessLine(message, args))


def access_logger(logger: logging.Logger) -> logging.Logger | LeanAccessLogger:
    """The lean stand-in for uvicorn's access logger when its records would reach only the writer thread (the
    server's logging, log_config(background=True)); otherwise the logger itself (a test process keeps its own)."""
    root = logging.getLogger()
    reaches_writer_only = (
        logger.name == ACCESS_LOGGER
        and not logger.handlers
        and not logger.filters
        and logger.propagate
        and _listener is not None
        and len(root.handlers) == 1
        and isinstance(root.handlers[0], _Enqueue)
        and not root.handlers[0].filters
        and not root.filters
    )
    return LeanAccessLogger(logger) if reaches_writer_only else logger


class _Enqueue(logging.handlers.QueueHandler):
    """Hands each record to the listener thread as it is: QueueHandler's own prepare() would format it here, on the
    event loop, which is the work this handler exists to move (records stay in this process, nothing is pickled)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class _BatchWriter(logging.handlers.QueueListener):
    """The listener thread: waits for a record, then formats it and every other record queued by then (JSON,
    redaction) and writes them to the stream in one write and one flush. Under load many lines wait by the time the
    thread runs; one write for them all saves a system call and a flush per line. Nothing waits on purpose: a line
    is written as soon as the thread gets to it, so a killed process loses no more lines than before. (Letting lines
    gather for 50 ms first, for fewer wake-ups, was measured and left out: no less CPU a request.)"""

    def __init__(self, records: queue.SimpleQueue[logging.LogRecord | AccessLine], stream: TextIO) -> None:
        super().__init__(records)
        self.records = records
        self.stream = stream
        self.formatter = JsonFormatter()

    def _monitor(self) -> None:
        records = self.records
        done = False
        while not done:
            batch: list[logging.LogRecord | AccessLine | None] = [records.get()]
            while True:
                try:
                    batch.append(records.get_nowait())
                except queue.Empty:
                    break
            done = any(record is None for record in batch)
            self._write([record for record in batch if record is not None])

    def _write(self, batch: list[logging.LogRecord | AccessLine]) -> None:
        lines = []
        for record in batch:
            try:
                if isinstance(record, AccessLine):
                    lines.append(format_access(record) + "\n")
                else:
                    lines.append(self.formatter.format(record) + "\n")
            except Exception:  # one bad record must not stop the others: reported as logging reports it
                _report.handleError(record if isinstance(record, logging.LogRecord) else _as_record(record))
        if lines:
            try:
                self.stream.write("".join(lines))
                self.stream.flush()
            except (OSError, ValueError):  # stderr closed or gone: nothing else to tell it to
                pass


_report = logging.Handler()  # what reports a record that could not be formatted (logging.raiseExceptions)
_listener: _BatchWriter | None = None
_records: queue.SimpleQueue[logging.LogRecord | AccessLine] = queue.SimpleQueue()


def background_handler() -> logging.Handler:
    """The handler every logger writes through: it only enqueues the record; one writer thread per process formats
    the records (JSON, redaction) and writes them to stderr in batches, so neither costs the event loop a request's
    time. The writer drains what is queued when the process exits normally (atexit)."""
    global _listener  # one writer per process, however often logging is configured
    # What the JSON lines never show is not gathered for every record either (the logging HOWTO's "Optimization"):
    # the caller's file and line (a walk up the stack), thread and process names. ~1.6 of ~4.4 us a record.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    if _listener is None:
        _listener = _BatchWriter(_records, sys.stderr)
        _listener.start()
        atexit.register(_listener.stop)
    return _Enqueue(_records)


def log_config(level: str, *, background: bool = False) -> dict[str, Any]:
    """A logging.config dict for the service and uvicorn alike, so every line goes through the same redaction.

    `background` (the server, `replyguard serve`): lines are formatted and written by a listener thread. Commands
    write their few lines as they happen, to whatever stderr is at the time."""
    stream = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    handler = {"()": background_handler} if background else stream
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
        },
    }
