"""The Akismet-compatible API through HTTP: its fields, its exact answers, its test values, labels for training."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from classifier import Scores, Thresholds
from service.integrations import akismet
from service.rules.policy import Overrides
from service.scoring.state import ScoringState
from service.settings import Settings
from tests.conftest import add_api_key, build_app
from tests.feedback import stored_feedback, training_rows
from tests.replies import POLITE, SPAM

BLOG = "https://news.example"


def comment(key: str, content: str, **fields: str) -> dict[str, str]:
    return {
        "api_key": key,
        "blog": BLOG,
        "user_ip": "203.0.113.9",
        "user_agent": "Mozilla/5.0",
        "referrer": "https://news.example/budget",
        "permalink": "https://news.example/budget",
        "comment_type": "comment",
        "comment_author": "Ana Reader",
        "comment_author_email": "ana@example.org",
        "comment_content": content,
        **fields,
    }


def test_verify_key_answers_valid_for_a_key_and_invalid_otherwise(client: TestClient[Any], api_key: str) -> None:
    assert client.post("/1.1/verify-key", data={"api_key": api_key, "blog": BLOG}).text == "valid"
    assert client.post("/1.1/verify-key", data={"key": api_key, "blog": BLOG}).text == "valid"  # the older field
    wrong = client.post("/1.1/verify-key", data={"key": "rgk_not-a-key", "blog": BLOG})
    assert wrong.status_code == 200 and wrong.text == "invalid"
    assert wrong.headers["content-type"].startswith("text/plain")
    assert client.post("/1.1/verify-key", data={"blog": BLOG}).text == "invalid"


def test_comment_check_answers_false_for_a_polite_reply(client: TestClient[Any], api_key: str) -> None:
    answer = client.post("/1.1/comment-check", data=comment(api_key, POLITE[0]))
    assert answer.status_code == 200 and answer.text == "false"
    assert "x-akismet-pro-tip" not in answer.headers


def test_blatant_spam_is_true_with_the_discard_tip(client: TestClient[Any], api_key: str) -> None:
    answer = client.post(
        "/1.1/comment-check", data=comment(api_key, SPAM[0], comment_author_url="http://pills.example")
    )
    assert answer.text == "true"
    assert answer.headers["x-akismet-pro-tip"] == "discard"


@pytest.mark.parametrize(
    "fields",
    [
        {"comment_author": "viagra-test-123"},
        {"comment_author": "akismet-guaranteed-spam"},
        {"comment_author_email": "akismet-guaranteed-spam@example.com"},
        {"honeypot_field_name": "hidden_field", "hidden_field": "filled by a bot"},
    ],
)
def test_akismet_test_values_are_always_spam(client: TestClient[Any], api_key: str, fields: dict[str, str]) -> None:
    assert client.post("/1.1/comment-check", data=comment(api_key, POLITE[1], **fields)).text == "true"


def test_an_administrator_is_never_spam(client: TestClient[Any], api_key: str) -> None:
    data = comment(api_key, SPAM[1], user_role="administrator", comment_author="viagra-test-123")
    assert client.post("/1.1/comment-check", data=data).text == "false"


@pytest.mark.parametrize("missing", ["blog", "user_ip"])
def test_a_missing_required_field_is_named_in_the_body_and_headers(
    client: TestClient[Any], api_key: str, missing: str
) -> None:
    data = comment(api_key, POLITE[0])
    del data[missing]
    answer = client.post("/1.1/comment-check", data=data)
    assert answer.text == f"Missing required field: {missing}."
    assert missing in answer.headers["x-akismet-error"] and missing in answer.headers["x-akismet-debug-help"]


def test_every_call_with_a_bad_key_answers_invalid_with_debug_help(client: TestClient[Any]) -> None:
    for path in ("/1.1/comment-check", "/1.1/submit-spam", "/1.1/submit-ham"):
        answer = client.post(path, data=comment("rgk_wrong", POLITE[0]))
        assert answer.text == "invalid" and "x-akismet-debug-help" in answer.headers


def test_submit_spam_and_ham_become_training_labels_without_private_fields(
    client: TestClient[Any], settings: Settings, api_key: str
) -> None:
    thanks = "Thanks for making the web a better place."
    spam = comment(api_key, SPAM[2], comment_author_url="http://youtube.example/channel")
    assert client.post("/1.1/submit-spam", data=spam).text == thanks
    assert client.post("/1.1/submit-ham", data=comment(api_key, POLITE[2])).text == thanks
    stored = stored_feedback(settings)
    assert [(row["source"], row["text"], row["spam"], row["abuse"]) for row in stored] == [
        ("akismet", SPAM[2], 1, None),
        ("akismet", POLITE[2], 0, None),
    ]
    assert stored[0]["website"] == "http://youtube.example/channel" and stored[0]["name"] == "Ana Reader"
    kept = repr(stored)
    for private in ("ana@example.org", "203.0.113.9", "Mozilla", "news.example/budget"):
        assert private not in kept
    rows = training_rows(settings)
    assert [(row.text, row.spam) for row in rows] == [(POLITE[2], 0), (SPAM[2], 1)]  # newest first
    assert rows[0].weight == 1.0 and rows[1].weight == 0.5


def test_test_requests_and_empty_comments_store_nothing(
    client: TestClient[Any], settings: Settings, api_key: str
) -> None:
    for flag in ("1", "true"):
        answer = client.post("/1.1/submit-spam", data=comment(api_key, SPAM[0], is_test=flag))
        assert answer.text == "Thanks for making the web a better place."
    client.post("/1.1/submit-ham", data=comment(api_key, "  "))
    client.post("/1.1/comment-check", data=comment(api_key, SPAM[1]))  # a check is never a label
    assert stored_feedback(settings) == []


def test_a_revoked_key_stops_working(client: TestClient[Any], settings: Settings) -> None:
    import asyncio

    from service.integrations.keys import revoke_api_key
    from service.storage.database import opened

    key = add_api_key(settings, "old-site")
    assert client.post("/1.1/verify-key", data={"api_key": key, "blog": BLOG}).text == "valid"

    async def revoke() -> bool:
        async with opened(settings) as db, db.write() as conn:
            return await revoke_api_key(conn, "old-site")

    assert asyncio.run(revoke())
    assert client.post("/1.1/verify-key", data={"api_key": key, "blog": BLOG}).text == "invalid"


def test_key_guessing_is_refused_with_429_past_the_allowance(settings: Settings, api_key: str) -> None:
    limited = settings.with_overrides(rate_limit_enabled=True, auth_failure_limit_per_address=2)
    with TestClient(build_app(limited)) as client:
        codes = [
            client.post("/1.1/verify-key", data={"api_key": f"guess{n}", "blog": BLOG}).status_code for n in range(3)
        ]
        assert codes == [200, 200, 429]
        # A valid key still works: only failures count.
        assert client.post("/1.1/comment-check", data=comment(api_key, POLITE[0])).text == "false"


def test_without_a_model_comment_check_answers_503_not_a_guess(settings: Settings, api_key: str) -> None:
    with TestClient(build_app(settings, scoring=ScoringState(scorer=None, overrides=Overrides()))) as client:
        answer = client.post("/1.1/comment-check", data=comment(api_key, POLITE[0]))
        assert answer.status_code == 503 and answer.text not in {"true", "false"}
        assert answer.headers["retry-after"] and answer.headers["x-akismet-error"]
        # The documented test values need no model.
        assert (
            client.post("/1.1/comment-check", data=comment(api_key, "x", comment_author="viagra-test-123")).text
            == "true"
        )


THRESHOLDS = Thresholds(spam_hold=0.5, spam_reject=0.9, abuse_hold=0.3, abuse_reject=0.95)


@pytest.mark.parametrize(
    ("spam_score", "body", "discard"),
    [(0.49, "false", False), (0.5, "true", False), (0.89, "true", False), (0.9, "true", True), (1.0, "true", True)],
)
def test_spam_at_hold_is_true_and_at_reject_is_discard(spam_score: float, body: str, discard: bool) -> None:
    answer = akismet.check_answer(Scores(spam_score, 1.0, (), "m"), THRESHOLDS)  # abuse plays no part
    assert answer.body == body
    assert (answer.headers.get("X-akismet-pro-tip") == "discard") is discard
