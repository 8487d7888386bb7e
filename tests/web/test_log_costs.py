"""The redaction's shortcut is sound: a text it lets through unread has nothing the full redaction would hide; and the
server's lines are formatted and written off the event loop, in order, redacted."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from service.web import logs
from service.web.logs import SECRET_PARAMETERS, _decoded, _hidden, _maybe_hidden, background_handler, redact

# Text made of what addresses, encodings and secrets are made of, so the search meets near misses often.
PIECES = st.sampled_from(
    ["@", "%", "%40", "a", "B", "0", "_", "-", ".", "=", "?", "&", "/", " ", "rg", "RG_", "rgk", "empsec",
     "key", "Token", "secret", "PASSWORD", "api", "csrf", "example.org", "abcdefgh"]
)  # fmt: skip


@settings(max_examples=2000)
@given(st.lists(PIECES, max_size=24).map("".join))
def test_what_the_shortcut_lets_through_has_nothing_to_hide(text: str) -> None:
    if not _maybe_hidden(text):
        assert _hidden(text) == text and _decoded(text) == text and redact(text) == text


def test_every_secret_parameter_is_caught_by_the_shortcut() -> None:
    for name in SECRET_PARAMETERS.split("|"):
        assert _maybe_hidden(f"/path?{name.upper()}=value") and redact(f"/path?{name}=value") == f"/path?{name}=[key]"


def test_an_ordinary_access_line_takes_the_shortcut() -> None:
    line = '127.0.0.1:5555 - "GET /api/v1/articles/thread-10k/comments?limit=20 HTTP/1.1" 200'
    assert not _maybe_hidden(line) and redact(line) == line


def test_the_servers_log_lines_are_written_by_a_listener_thread_in_order_and_redacted() -> None:
    written: list[tuple[str, str]] = []

    class Collect(io.StringIO):
        def write(self, text: str) -> int:
            written.extend((threading.current_thread().name, line) for line in text.splitlines())
            return len(text)

    handler = background_handler()
    listener = logs._listener
    assert listener is not None
    stream, listener.stream = listener.stream, Collect()
    logger = logging.getLogger("replyguard.test.background")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for n in range(3):
            logger.warning("line %d for ana@example.org", n)
        deadline = time.monotonic() + 5
        while len(written) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        listener.stream = stream
        logger.removeHandler(handler)
    threads = {name for name, _ in written}
    assert len(written) == 3 and len(threads) == 1 and threading.current_thread().name not in threads
    assert [f"line {n} for [email]" in line for n, (_, line) in enumerate(written)] == [True, True, True]
    assert all("ana@example.org" not in line for _, line in written)


ACCESS_FORMAT = '%s - "%s %s HTTP/%s" %d'  # what uvicorn's protocols pass to access_logger.info
ACCESS_ARGS = ("127.0.0.1:5555", "GET", "/api/v1/articles/a/comments?email=ana%40example.org", "1.1", 200)


def test_an_access_line_is_the_json_line_its_log_record_would_be() -> None:
    line = logs.AccessLine(ACCESS_FORMAT, ACCESS_ARGS)
    record = logging.makeLogRecord(
        {"name": "uvicorn.access", "levelno": logging.INFO, "levelname": "INFO", "msg": ACCESS_FORMAT,
         "args": ACCESS_ARGS, "created": line.created}
    )  # fmt: skip
    lean, full = json.loads(logs.format_access(line)), json.loads(logs.JsonFormatter().format(record))
    assert lean == full
    assert "ana" not in lean["message"] and "[email]" in lean["message"]


class _Collect(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines.extend(text.splitlines())
        return len(text)


def _written(stream: _Collect, count: int) -> list[str]:
    deadline = time.monotonic() + 5
    while len(stream.lines) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return stream.lines


def test_uvicorn_gets_the_lean_access_logger_only_where_its_lines_reach_the_writer_thread_alone() -> None:
    access = logging.getLogger("uvicorn.access")
    root = logging.getLogger()
    kept = (root.handlers[:], root.level, access.handlers[:], access.propagate, access.level)
    writer = background_handler()
    listener = logs._listener
    assert listener is not None
    stream, listener.stream = listener.stream, _Collect()
    collected = listener.stream
    try:
        # As the test process has it (pytest's handlers on the root): uvicorn keeps its logger.
        assert logs.access_logger(access) is access
        # As `replyguard serve` configures it: the lean one, which writes the same redacted line.
        root.handlers, access.handlers, access.propagate = [writer], [], True
        root.setLevel(logging.INFO)
        access.setLevel(logging.NOTSET)
        lean = logs.access_logger(access)
        assert isinstance(lean, logs.LeanAccessLogger)
        lean.info(ACCESS_FORMAT, *ACCESS_ARGS)
        [line] = _written(collected, 1)
        entry = json.loads(line)
        assert entry["logger"] == "uvicorn.access" and entry["level"] == "INFO"
        assert entry["message"] == '127.0.0.1:5555 - "GET [email] HTTP/1.1" 200'  # the address-bearing path hidden
        # REPLYGUARD_LOG_LEVEL=WARNING: no access lines, as with the logger itself.
        root.setLevel(logging.WARNING)
        lean.info(ACCESS_FORMAT, *ACCESS_ARGS)
        access.warning("a warning still goes through")
        assert len(_written(collected, 2)) == 2 and "a warning still" in collected.lines[1]
        # Anything else that would see the records (a handler of its own, a filter): uvicorn keeps its logger.
        access.addHandler(logging.NullHandler())
        assert logs.access_logger(access) is access
    finally:
        listener.stream = stream
        root.handlers, root.level = kept[0], kept[1]
        access.handlers, access.propagate = kept[2], kept[3]
        access.setLevel(kept[4])


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_a_lines_time_is_the_stamp_datetime_would_write(created: float) -> None:
    stamp = logs.iso_time(created)
    assert datetime.fromisoformat(stamp) == datetime.fromtimestamp(created, UTC)
    assert len(stamp) == len("2026-12-06T22:00:00.000000+00:00")  # always with microseconds, one width


def test_odd_fields_still_make_a_json_line() -> None:
    # A tuple key (written as its str()), a lone surrogate from a surrogateescape'd byte (msgspec refuses it: the line
    # goes json's way), an object with nothing but a str().
    class Opaque:
        def __str__(self) -> str:
            return "opaque ana@example.org"

    for extra in ({("a", 1): "tuple key"}, {"odd": "bad byte \udcff"}, {"thing": Opaque()}):
        line = logs._json_line({"message": "m", **extra})  # type: ignore[dict-item]
        assert json.loads(line)["message"] == "m"
        assert "ana@example.org" not in line
