"""The real `akismet` client from PyPI, unchanged, talking to replyguard over HTTP on loopback.

The client has Akismet's address built in and takes an httpx client as its documented seam (`http_client=`); the
transport below sends its requests to our server instead, as an operator's would (docs/integrations.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import akismet
import httpx
import pytest

from service.settings import Settings
from tests.feedback import stored_feedback, training_rows
from tests.replies import POLITE, SPAM

SITE = "https://news.example"


class ToReplyguard(httpx.HTTPTransport):
    """Sends every request to `base_url`, keeping its path and body."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base = httpx.URL(base_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme=self.base.scheme, host=self.base.host, port=self.base.port)
        request.headers["host"] = self.base.netloc.decode()
        return super().handle_request(request)


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    """What the akismet client sends through, closed after the test."""
    with httpx.Client(
        transport=ToReplyguard(live_server), headers={"User-Agent": akismet.USER_AGENT}, timeout=10
    ) as client:
        yield client


def test_the_akismet_client_verifies_checks_and_reports(http: httpx.Client, api_key: str, settings: Settings) -> None:
    # validated_client() calls verify-key first and raises unless the answer is "valid".
    client = akismet.SyncClient.validated_client(config=akismet.Config(key=api_key, url=SITE), http_client=http)
    assert client.verify_key() is True
    assert client.verify_key("rgk_someone-elses", SITE) is False

    fields: dict[str, Any] = {"comment_type": "comment", "comment_author": "Ana Reader"}
    ham = client.comment_check("203.0.113.9", comment_content=POLITE[0], **fields)
    assert ham == akismet.CheckResponse.HAM
    guaranteed = client.comment_check(
        "203.0.113.9", comment_content=POLITE[1], comment_type="comment", comment_author="akismet-guaranteed-spam"
    )
    assert guaranteed == akismet.CheckResponse.SPAM
    blatant = client.comment_check("203.0.113.9", comment_content=SPAM[0], **fields)
    assert blatant == akismet.CheckResponse.DISCARD
    assert client.comment_check("203.0.113.9", comment_content=SPAM[0], user_role="administrator") == 0
    assert stored_feedback(settings) == []  # checks are not labels

    assert client.submit_spam("203.0.113.9", comment_content=SPAM[1], **fields) is True
    assert client.submit_ham("203.0.113.9", comment_content=POLITE[3], **fields) is True
    assert client.submit_spam("203.0.113.9", comment_content=SPAM[2], is_test=True, **fields) is True
    rows = training_rows(settings)
    assert [(row.text, row.spam, row.source) for row in rows] == [
        (POLITE[3], 0, "akismet"),
        (SPAM[1], 1, "akismet"),
    ]


def test_the_akismet_client_refuses_an_unknown_key(http: httpx.Client) -> None:
    client = akismet.SyncClient(config=akismet.Config(key="rgk_unknown", url=SITE), http_client=http)
    assert client.verify_key() is False
    with pytest.raises(akismet.APIKeyError):
        client.comment_check("203.0.113.9", comment_content=POLITE[0])
