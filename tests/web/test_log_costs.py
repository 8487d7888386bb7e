"""The redaction's shortcut is sound: a text it lets through unread has nothing the full redaction would hide; and the
server's lines are formatted and written off the event loop, in order, redacted."""

from __future__ import annotations

import io
import logging
import threading
import time

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
