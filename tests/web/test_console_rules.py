"""The console's rules and author pages through HTTP: admins only for rules, CSRF on every change, the one-step ban
from a queue item, the author page reachable from each item."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from service.settings import Settings
from tests.conftest import add_moderator
from tests.replies import POLITE, reply
from tests.web.test_console import _sign_in

URL = "/api/v1/articles/console-rules/comments"


def test_the_rules_page_is_for_admins(client: TestClient[Any], settings: Settings) -> None:
    _sign_in(client, add_moderator(settings, "mo"))
    page = client.get("/console/rules")
    assert page.status_code == 403 and "for admins" in page.text
    assert 'href="/console/rules"' not in client.get("/console").text


def test_an_admin_adds_and_removes_entries_and_sets_modes(
    client: TestClient[Any], settings: Settings, admin_headers: dict[str, str]
) -> None:
    csrf = _sign_in(client, add_moderator(settings, "ada", role="admin"))
    form = {"list": "suspect_phrases", "value": "bridge repairs", "note": "<b>watch</b>", "days": "7"}
    assert client.post("/console/rules/entries", data={**form, "csrf_token": "forged"}).status_code == 403
    saved = client.post("/console/rules/entries", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "Rule saved" in page.text and "bridge repairs" in page.text
    assert "&lt;b&gt;watch&lt;/b&gt;" in page.text and "<b>watch</b>" not in page.text
    bad = client.post("/console/rules/entries", data={"list": "suspect_phrases", "value": "!!", "csrf_token": csrf})
    assert bad.status_code == 422 and "value must contain at least one word" in bad.text
    days = client.post("/console/rules/entries", data={**form, "days": "soon", "csrf_token": csrf})
    assert days.status_code == 422
    mode = client.post("/console/rules/modes", data={"mode": "all-held", "csrf_token": csrf}, follow_redirects=False)
    assert mode.status_code == 303
    assert client.get("/api/v1/rules/modes", headers=admin_headers).json()["site"] == "all-held"
    entry = client.get("/api/v1/rules/lists/suspect_phrases", headers=admin_headers).json()["items"][0]
    removed = client.post(f"/console/rules/entries/suspect_phrases/{entry['id']}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 200 and "Rule removed" in removed.text
    assert client.get("/api/v1/rules/lists/suspect_phrases", headers=admin_headers).json()["items"] == []
    assert "removed" in client.get("/console/rules").text  # the audit shows the removal


def test_a_moderator_bans_from_a_queue_item_in_one_step_and_sees_the_author_page(
    client: TestClient[Any], settings: Settings, admin_headers: dict[str, str]
) -> None:
    client.put("/api/v1/rules/modes/articles/console-rules", json={"mode": "all-held"}, headers=admin_headers)
    held = client.post(URL, json=reply(POLITE[0], email="loud@example.org")).json()
    csrf = _sign_in(client, add_moderator(settings, "mo"))
    queue = client.get("/console").text
    assert "/console/authors?email=loud%40example.org" in queue and "Ban author" in queue
    path = f"/console/items/{held['id']}/sanction"
    assert client.post(path, data={"kind": "ban", "csrf_token": "forged"}).status_code == 403
    banned = client.post(path, data={"kind": "ban", "csrf_token": csrf}, follow_redirects=False)
    assert banned.status_code == 303
    assert "Sanction set for the author of Ana Reader" in client.get(banned.headers["location"]).text
    page = client.get("/console/authors", params={"email": "loud@example.org"})
    assert page.status_code == 200 and "ban" in page.text and "pending → " not in page.text
    assert f"/console/items/{held['id']}" in page.text
    again = client.post(URL, json=reply(POLITE[1], email="loud@example.org")).json()
    item = client.get(f"/api/v1/moderation/comments/{again['id']}", headers=admin_headers).json()
    assert item["status"] == "rejected" and item["reasons"][0]["code"] == "author_banned"
    lifted = client.post("/console/authors/sanction", data={"email": "loud@example.org", "lift": "1",
                                                            "csrf_token": csrf})  # fmt: skip
    assert lifted.status_code == 200 and "Sanction lifted" in lifted.text


def test_the_author_page_needs_a_session_and_a_valid_address(client: TestClient[Any], settings: Settings) -> None:
    answer = client.get("/console/authors", params={"email": "a@example.org"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
    _sign_in(client, add_moderator(settings, "mo"))
    assert client.get("/console/authors", params={"email": "nope"}).status_code == 422


def test_an_admin_sets_what_happens_to_uncovered_languages_and_moderators_filter_the_queue_by_language(
    client: TestClient[Any], settings: Settings, admin_headers: dict[str, str]
) -> None:
    german = client.post(URL, json=reply("Vielen Dank für den ausführlichen Bericht über die Wahl in Bremen.")).json()
    english = client.post(URL, json=reply(POLITE[0] + " (console)", email="en@example.org")).json()
    client.put("/api/v1/rules/modes/articles/console-rules", json={"mode": "all-held"}, headers=admin_headers)
    client.post(URL, json=reply(POLITE[1], email="en2@example.org"))
    csrf = _sign_in(client, add_moderator(settings, "ada", role="admin"))
    queue = client.get("/console").text
    assert "written in de, a language the model does not cover" in queue
    assert 'class="language" href="/console?status=pending&amp;language=de"' in queue
    only = client.get("/console", params={"language": "de"}).text
    assert german["id"] in only and english["id"] not in only and "language=de" in only
    assert "Nothing published in de" not in only
    assert german["id"] not in client.get("/console", params={"language": "en"}).text
    assert german["id"] in client.get("/console", params={"language": "DE!"}).text  # not a code: no filter

    page = client.get("/console/rules").text
    assert "The active model covers en." in page and 'value="hold" selected' in page
    form = {"name": "uncovered_language", "value": "publish", "note": "desk reads German", "csrf_token": csrf}
    assert client.post("/console/rules/settings", data={**form, "csrf_token": "forged"}).status_code == 403
    saved = client.post("/console/rules/settings", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert "Setting saved" in client.get(saved.headers["location"]).text
    assert client.get("/api/v1/rules/settings", headers=admin_headers).json() == {"uncovered_language": "publish"}
    bad = client.post("/console/rules/settings", data={**form, "value": "sometimes"})
    assert bad.status_code == 422 and "hold, publish" in bad.text
