"""Odd article ids and names (issue 20, finding 8), through HTTP: dot-only ids are refused, names with invisible
characters are refused, and no error text repeats what was submitted for an email address."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from litestar.testing import TestClient

from service.web.payloads import FORM
from tests.replies import POLITE, reply
from tests.web.test_hostile_input import raw_request

INVISIBLE_NAMES = [
    "Adm\u200bin",  # zero-width space
    "Adm\u200din",  # zero-width joiner
    "Ana\u200e",  # left-to-right mark
    "\u202eAna",  # right-to-left override
    "\u2066Ana\u2069",  # isolates
    "\u061cAna",  # Arabic letter mark
    "Ad\u00admin",  # soft hyphen
    "\ufeffAna",  # byte order mark
    "Ana\U000e0041",  # a tag character
    "Ana\u3164",  # Hangul filler
    "Ad\u034fmin",  # combining grapheme joiner
]


@pytest.mark.parametrize("article_id", [".", "..", "..."])
def test_dot_only_article_ids_are_refused_everywhere(
    live_server: str, admin_headers: dict[str, str], article_id: str
) -> None:
    base = f"/api/v1/articles/{article_id}"
    submission = json.dumps(reply(POLITE[0])).encode()
    as_json = {"Content-Type": "application/json"}
    requests = [
        ("POST", f"{base}/comments", submission, as_json),
        ("POST", f"{base}/comments", urlencode(reply(POLITE[0])).encode(), {"Content-Type": FORM}),
        ("GET", f"{base}/comments", b"", {}),
        ("GET", f"{base}/comments/count", b"", {}),
        ("PUT", base, b'{"status": "closed"}', {**as_json, **admin_headers}),
        ("GET", f"/demo/{article_id}", b"", {}),
        ("GET", f"/api/v1/moderation/queue?article_id={article_id}", b"", admin_headers),
    ]
    for method, path, body, headers in requests:
        # Sent as written: a client library would resolve the dots before sending.
        status, answer_headers, answer = raw_request(live_server, method, path, body=body, headers=headers)
        assert status == 422, (method, path, status, answer[:200])
        assert json.loads(answer)["errors"][0]["field"] == "article_id"
        assert "location" not in answer_headers


def test_ids_with_dots_and_other_characters_still_work(client: TestClient[Any]) -> None:
    for article_id in ("v1.2", ".hidden", "a..b", "2024-01-01_news~x"):
        created = client.post(f"/api/v1/articles/{article_id}/comments", json=reply(POLITE[0]))
        assert created.status_code == 201, (article_id, created.text)
        assert created.headers["location"].startswith(f"/api/v1/articles/{article_id}/comments/")


@pytest.mark.parametrize("name", INVISIBLE_NAMES)
def test_names_with_invisible_characters_are_refused(client: TestClient[Any], name: str) -> None:
    for answer in (
        client.post("/api/v1/articles/names/comments", json=reply(POLITE[0], name=name)),
        client.post("/api/v1/articles/names/comments", data=reply(POLITE[0], name=name)),
    ):
        assert answer.status_code == 422, (repr(name), answer.status_code)
        assert answer.json()["errors"] == [{"field": "name", "message": answer.json()["errors"][0]["message"]}] and (
            "invisible" in answer.json()["errors"][0]["message"] or "control" in answer.json()["errors"][0]["message"]
        )


def test_names_in_any_script_and_with_emoji_are_accepted(client: TestClient[Any]) -> None:
    for name in ("Zoë Ø'Brien", "José", "Иван", "محمد", "李小龍", "Ana \u2764\ufe0f", "Ana 🙂"):
        answer = client.post("/api/v1/articles/names/comments", json=reply(POLITE[1], name=name))
        assert answer.status_code == 201, (name, answer.text)
        assert answer.json()["name"] == name


def test_an_invalid_email_domain_is_not_repeated_in_the_error(client: TestClient[Any]) -> None:
    for email in ("ana@secretlabel\U0001f4a9.org", "ana@xn--secretlabel-.org", "ana@secret\u2603label.org"):
        answer = client.post("/api/v1/articles/names/comments", json=reply(POLITE[0], email=email))
        assert answer.status_code == 422
        [error] = answer.json()["errors"]
        assert error["field"] == "email"
        assert "secret" not in answer.text and "label" not in answer.text and "\U0001f4a9" not in answer.text
