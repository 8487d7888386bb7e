"""The moderator console through HTTP: sign-in and sessions, CSRF, the queue, decisions, bulk, undo, the model page."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from service.domain.auth import revoke_moderator
from service.settings import Settings
from service.storage.database import opened
from tests.conftest import add_moderator, build_app
from tests.replies import POLITE, SPAM, reply

URL = "/api/v1/articles/console/comments"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def _sign_in(client: TestClient[Any], token: str) -> str:
    """Signs in and returns the session's CSRF token (read from the queue page, as a browser would)."""
    form = client.get("/console/sign-in")
    answer = client.post("/console/sign-in", data={"token": token, "csrf_token": _csrf(form)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console", answer.text[:300]
    return _csrf(client.get("/console"))


def _held(client: TestClient[Any], body: str, email: str) -> str:
    """A reply that waits for a person: the same text twice from one email (the duplicate rule holds the second)."""
    client.post(URL, json=reply(body, email=email))
    return str(client.post(URL, json=reply(body, email=email)).json()["id"])


@pytest.fixture
def moderator_token(settings: Settings) -> str:
    return add_moderator(settings, "carla")


def test_pages_need_a_session(client: TestClient[Any]) -> None:
    for path in ("/console", "/console/model", f"/console/items/{'0' * 8}-0000-7000-8000-{'0' * 12}"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in", path
    for path in ("/console/undo", "/console/bulk", "/console/sign-out"):
        assert client.post(path, data={}, follow_redirects=False).headers["location"] == "/console/sign-in"


def test_sign_in_sets_a_strict_http_only_cookie_and_refuses_bad_tokens(
    client: TestClient[Any], moderator_token: str
) -> None:
    form = client.get("/console/sign-in")
    assert "default-src 'none'; script-src 'self'" in form.headers["content-security-policy"]
    forged = client.post("/console/sign-in", data={"token": moderator_token, "csrf_token": "forged"})
    assert forged.status_code == 403
    wrong = client.post("/console/sign-in", data={"token": "rg_wrong", "csrf_token": _csrf(form)})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    answer = client.post(
        "/console/sign-in", data={"token": moderator_token, "csrf_token": _csrf(form)}, follow_redirects=False
    )
    cookie = answer.headers["set-cookie"].lower()
    assert (
        "rg_console=" in cookie and "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    )
    assert moderator_token not in answer.headers["set-cookie"]  # the session id is its own secret, not the token


def test_queue_shows_why_an_item_was_held_with_the_words_marked(client: TestClient[Any], moderator_token: str) -> None:
    held = client.post(URL, json=reply(SPAM[1], name="Promo Bot")).json()
    client.post(URL, json=reply("<script>alert(1)</script> " + SPAM[0], name="<b>X</b>"))
    _sign_in(client, moderator_token)
    page = client.get("/console?status=rejected") if held["status"] == "pending" else None
    queue = client.get("/console")
    text = queue.text + (page.text if page is not None else "")
    rejected = client.get("/console?status=rejected").text
    assert "Promo Bot" in text + rejected
    assert "<mark>" in text + rejected  # a word that pushed the score is marked in the text
    assert "pushed the spam score" in text + rejected
    assert "<script>alert(1)</script>" not in text + rejected
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text + rejected
    assert re.search(r"pending <span class=\"count\">\d+</span>", queue.text)
    assert queue.headers["cache-control"] == "no-store"


def test_approve_needs_the_session_csrf_token_and_a_moved_item_is_409(
    client: TestClient[Any], moderator_token: str, moderator_headers: dict[str, str]
) -> None:
    item = {"id": _held(client, POLITE[0], "held@example.org")}
    csrf = _sign_in(client, moderator_token)
    path = f"/console/items/{item['id']}/decision"
    form = {"action": "approve", "expected_status": "pending", "from_status": "pending"}
    assert client.post(path, data={**form, "csrf_token": "forged"}).status_code == 403
    api = client.get(f"/api/v1/moderation/comments/{item['id']}", headers=moderator_headers).json()
    assert api["status"] == "pending"
    done = client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and "Approved" in client.get(done.headers["location"]).text
    again = client.post(path, data={**form, "csrf_token": csrf})  # the page was stale: someone (we) moved it
    assert again.status_code == 409 and "got there first" in again.text
    history = client.get(f"/console/items/{item['id']}").text
    assert "pending → published" in history


def test_bulk_reject_then_undo(
    client: TestClient[Any], moderator_token: str, moderator_headers: dict[str, str]
) -> None:
    ids = [_held(client, POLITE[n], f"bulk{n}@example.org") for n in range(3)]
    csrf = _sign_in(client, moderator_token)
    statuses = [client.get(f"/api/v1/moderation/comments/{i}", headers=moderator_headers).json()["status"] for i in ids]
    assert statuses == ["pending"] * 3
    # Another moderator rejects the first one meanwhile: the bulk decision leaves it alone.
    client.post(f"/api/v1/moderation/comments/{ids[0]}/decision", json={"action": "reject", "reason": "spam"},
                headers=moderator_headers)  # fmt: skip
    answer = client.post(
        "/console/bulk",
        data={"csrf_token": csrf, "from_status": "pending", "action": "reject", "reason": "spam", "ids": ids},
    )
    assert "2 rejected; 1 left alone" in answer.text
    undone = client.post("/console/undo", data={"csrf_token": csrf})
    assert "Your last decision was undone" in undone.text
    after = [client.get(f"/api/v1/moderation/comments/{i}", headers=moderator_headers).json()["status"] for i in ids]
    assert sorted(after) == ["pending", "rejected", "rejected"]


def test_sign_out_and_revocation_end_the_session(
    client: TestClient[Any], settings: Settings, moderator_token: str
) -> None:
    csrf = _sign_in(client, moderator_token)
    cookie = client.cookies.get("rg_console")
    assert client.post("/console/sign-out", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("rg_console", str(cookie), path="/console")  # replaying the old cookie does not work
    assert client.get("/console", follow_redirects=False).status_code == 303

    client.cookies.clear()
    _sign_in(client, moderator_token)
    assert client.get("/console", follow_redirects=False).status_code == 200

    async def revoke() -> None:
        async with opened(settings) as db, db.write() as conn:
            await revoke_moderator(conn, "carla")

    asyncio.run(revoke())  # from outside this app, as `replyguard moderator revoke` does
    # Another process's write shows within REPLYGUARD_MODERATION_CACHE_SECONDS (1 s): the session kept that long.
    deadline = time.monotonic() + settings.moderation_cache_seconds + 2
    while client.get("/console", follow_redirects=False).status_code != 303:
        assert time.monotonic() < deadline, "the revoked moderator's session still works"
        time.sleep(0.1)


def test_model_page_and_static_assets(client: TestClient[Any], moderator_token: str) -> None:
    client.post(URL, json=reply(POLITE[2]))
    _sign_in(client, moderator_token)
    page = client.get("/console/model")
    assert page.status_code == 200 and "Held-out evaluation" in page.text
    assert client.app.state.scoring.version in page.text
    assert "published: 1 (100.0%)" in page.text
    # ROC, precision-recall and calibration of both heads, drawn from the card's curve points.
    assert page.text.count("<polyline") == 6 and 'aria-label="spam: ROC"' in page.text
    # What the card says of article relevance: its fitted numbers, or why it has none.
    assert "Article relevance: fitted on " in page.text or "Article relevance: none in this model" in page.text
    assert "Abuse second opinion: fitted on " in page.text or "Abuse second opinion: none in this model" in page.text
    opinion = client.app.state.scoring.scorer.card.metrics.get("abuse_opinion") or {}
    if opinion.get("site_weight"):  # a model trained since the site's weight: whose weight it serves, and why
        assert "Weighed as the corpora want (" in page.text or "Weighed as this site&#39;s " in page.text
    script = client.get("/console/static/console.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/console/static/console.css").headers["content-type"].startswith("text/css")


def test_riskiest_first_puts_the_highest_score_on_top(
    settings: Settings, moderator_token: str, admin_headers: dict[str, str]
) -> None:
    promotion = "Thanks for sharing! Follow me for daily crypto signals and free trading tips"
    bodies = [POLITE[0], promotion, POLITE[1]]
    # Nothing rejected unseen, every reply of the article held: all three wait, with their scores.
    with TestClient(build_app(settings.with_overrides(spam_reject_threshold=0.99))) as client:
        client.put("/api/v1/articles/risky", json={"status": "premoderated"}, headers=admin_headers)
        for n, body in enumerate(bodies):
            assert (
                client.post(URL.replace("console", "risky"), json=reply(body, email=f"r{n}@example.org")).json()[
                    "status"
                ]
                == "pending"
            )
        _sign_in(client, moderator_token)
        oldest = client.get("/console?article_id=risky").text
        riskiest = client.get("/console?article_id=risky&order=riskiest").text
    marks = ["budget vote", "crypto", "rent control"]  # words of each body (scored words are wrapped in <mark>)
    assert sorted(marks, key=oldest.index) == marks
    assert min(marks, key=riskiest.index) == "crypto"
