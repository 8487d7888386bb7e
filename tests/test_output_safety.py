"""Hostile input comes back inert: JSON only, never HTML; no header injection through the form's return target."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import SITE
from tests.replies import reply

URL = "/api/v1/articles/xss/comments"
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "</textarea><iframe src=//evil.example>",
    "<a href=\"javascript:alert('x')\">click</a>",
    "\u202e<script>alert(1)</script>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markup_is_stored_verbatim_and_only_ever_served_as_json(
    client: TestClient[Any], moderator_headers: dict[str, str], payload: str
) -> None:
    created = client.post(URL, json=reply(f"Comment {payload}", name=f"N {payload}"[:80]))
    if created.status_code == 422:  # bidi overrides are refused in names: also inert
        assert created.json()["errors"][0]["field"] == "name"
        return
    assert created.status_code == 201
    responses = [
        created,
        client.get(URL),
        client.get(f"{URL}/{created.json()['id']}"),
        client.get(f"/api/v1/moderation/comments/{created.json()['id']}", headers=moderator_headers),
        client.get("/api/v1/moderation/queue", headers=moderator_headers),
    ]
    for response in responses:
        if response.status_code == 404:  # a held reply is not public
            continue
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-content-type-options"] == "nosniff"
    assert created.json()["body"] == f"Comment {payload}"


@pytest.mark.parametrize(
    "target",
    [
        f"{SITE}/a\r\nSet-Cookie: stolen=1",
        f"{SITE}/a\nLocation: https://evil.example",
        "javascript:alert(1)//news.example",
        f"//evil.example/{SITE}",
        f"{SITE}@evil.example/",
    ],
)
def test_form_return_target_cannot_inject_headers_or_leave_the_site(client: TestClient[Any], target: str) -> None:
    response = client.post(URL, data={**reply("A fine reply."), "return_to": target}, follow_redirects=False)
    assert response.status_code in {201, 303}
    assert "set-cookie" not in response.headers
    location = response.headers.get("location", "")
    assert "\n" not in location and "\r" not in location
    if response.status_code == 303:
        assert location.startswith(f"{SITE}/")


def test_non_ascii_return_target_is_not_echoed_into_a_header(client: TestClient[Any]) -> None:
    response = client.post(URL, data={**reply("A fine reply."), "return_to": f"{SITE}/café"}, follow_redirects=False)
    assert response.status_code == 201
