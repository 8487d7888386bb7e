"""The redaction's shortcut is sound: a text it lets through unread has nothing the full redaction would hide."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from service.web.logs import SECRET_PARAMETERS, _decoded, _hidden, _maybe_hidden, redact

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
