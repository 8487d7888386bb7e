"""Emails never leave through public responses or logs, including failure paths."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar.testing import TestClient

from service.logs import JsonFormatter, redact
from tests.replies import POLITE, SPAM, reply

TAGGED = "tagged.private.7731@example.org"


def test_no_email_in_any_public_answer_or_log_line(client: TestClient[Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = "/api/v1/articles/privacy/comments"
    answers = [
        client.post(url, json=reply(POLITE[0], email=TAGGED)),
        client.post(url, json=reply(SPAM[0], email=TAGGED)),
        client.post(url, json=reply("", email=TAGGED)),
        client.post(url, data=reply(POLITE[1], email=TAGGED)),
        client.post(url, json=reply(POLITE[2], email=TAGGED + "@")),
        client.get(url),
        client.get(f"{url}/count"),
    ]
    created = answers[0].json()
    answers.append(client.get(f"{url}/{created['id']}"))
    local = TAGGED.split("@")[0]
    for answer in answers:
        assert local not in answer.text
    formatter = JsonFormatter()
    for record in caplog.records:
        assert local not in formatter.format(record)


def test_redaction_removes_addresses_from_log_lines() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s failed", (TAGGED,), None)
    assert TAGGED not in JsonFormatter().format(record)
    assert redact(f"mail {TAGGED} now") == "mail [email] now"
