"""Each reply's language through HTTP: detected and stored on submit, shown to moderators, a queue filter, and the
coverage hold (a reply in a language the active model does not cover waits for a person unless the site says
`publish`)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.replies import POLITE, reply

URL = "/api/v1/articles/kyiv-talks/comments"
QUEUE = "/api/v1/moderation/queue"
SETTING = "/api/v1/rules/settings/uncovered_language"
GERMAN = "Vielen Dank für den ausführlichen Bericht über die Gespräche in Genf, sehr hilfreich."
ENGLISH = "Thanks for the detailed report on the talks in Geneva, it was very helpful to me."
RUSSIAN = "Спасибо за подробный репортаж о переговорах, было очень интересно читать."  # noqa: RUF001 (Cyrillic)
UKRAINIAN = "Дякую за докладний репортаж про переговори, було дуже цікаво читати."


def _submit(client: TestClient[Any], body: str, **extra: Any) -> dict[str, Any]:
    answer = client.post(URL, json=reply(body, **extra))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _item(client: TestClient[Any], headers: dict[str, str], comment_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/moderation/comments/{comment_id}", headers=headers)
    assert answer.status_code == 200
    return dict(answer.json())


def _codes(item: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in item["reasons"]]


def test_a_german_reply_is_held_because_the_model_does_not_cover_german(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    created = _submit(client, GERMAN)
    assert created["status"] == "pending"
    item = _item(client, moderator_headers, created["id"])
    assert item["status"] == "pending" and item["language"] == "de"
    held = [reason for reason in item["reasons"] if reason["code"] == "language_not_covered"]
    assert len(held) == 1
    assert held[0]["language"] == "de" and " de," in held[0]["message"]
    queued = client.get(QUEUE, headers=moderator_headers).json()["items"]
    assert [(q["id"], q["language"]) for q in queued] == [(created["id"], "de")]
    assert "language_not_covered" in _codes(queued[0])


def test_an_english_reply_is_unaffected(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    created = _submit(client, ENGLISH)
    assert created["status"] == "published"
    item = _item(client, moderator_headers, created["id"])
    assert item["language"] == "en" and item["reasons"] == []


@pytest.mark.parametrize(("body", "language"), [(RUSSIAN, "ru"), (UKRAINIAN, "uk")])
def test_russian_and_ukrainian_replies_are_told_apart_and_held(
    client: TestClient[Any], moderator_headers: dict[str, str], body: str, language: str
) -> None:
    created = _submit(client, body)
    item = _item(client, moderator_headers, created["id"])
    assert (item["status"], item["language"]) == ("pending", language)
    assert "language_not_covered" in _codes(item)


def test_a_reply_too_short_to_tell_is_judged_as_before(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    created = _submit(client, "Danke, gut!")
    assert created["status"] == "published"
    assert _item(client, moderator_headers, created["id"])["language"] is None


def test_the_publish_setting_lets_the_model_judge_every_language(
    client: TestClient[Any], moderator_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/rules/settings", headers=admin_headers).json() == {"uncovered_language": "hold"}
    changed = client.put(SETTING, json={"value": "publish", "note": "a German-speaking desk reads every day"},
                         headers=admin_headers)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"uncovered_language": "publish"}
    created = _submit(client, GERMAN)
    assert created["status"] == "published"
    item = _item(client, moderator_headers, created["id"])
    assert item["language"] == "de" and "language_not_covered" not in _codes(item)
    audit = client.get("/api/v1/rules/changes", headers=admin_headers).json()["items"][0]
    assert (audit["subject"], audit["target"]) == ("setting", "uncovered_language")
    assert audit["new"]["value"] == "publish" and audit["old"] is None
    client.put(SETTING, json={"value": "hold"}, headers=admin_headers)
    assert _submit(client, GERMAN + " Nochmals danke.")["status"] == "pending"


@pytest.mark.parametrize("body", POLITE)
def test_ordinary_replies_in_many_languages_are_published_when_the_site_says_publish(
    client: TestClient[Any], admin_headers: dict[str, str], body: str
) -> None:
    """Moved from test_submit: what every polite reply got before the coverage hold, under the setting that judges
    every language by the model alone."""
    assert client.put(SETTING, json={"value": "publish"}, headers=admin_headers).status_code == 200
    assert client.post(URL, json=reply(body)).json()["status"] == "published"


def test_setting_changes_are_for_admins_and_validated(
    client: TestClient[Any], moderator_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    assert client.put(SETTING, json={"value": "publish"}, headers=moderator_headers).status_code == 403
    assert client.put(SETTING, json={"value": "publish"}).status_code == 401
    bad = client.put(SETTING, json={"value": "maybe"}, headers=admin_headers)
    assert bad.status_code in (400, 422)
    assert "value" in bad.text and "hold, publish" in bad.text
    assert client.put("/api/v1/rules/settings/no_such", json={"value": "x"}, headers=admin_headers).status_code == 404


def test_the_queue_filters_by_language(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    german = _submit(client, GERMAN)
    russian = _submit(client, RUSSIAN, email="olga@example.org")
    french = _submit(client, "Merci pour cet article très complet sur les négociations de paix.", email="f@x.org")
    assert len(client.get(QUEUE, headers=moderator_headers).json()["items"]) == 3
    only = client.get(QUEUE, params={"language": "de"}, headers=moderator_headers).json()["items"]
    assert [item["id"] for item in only] == [german["id"]]
    only = client.get(QUEUE, params={"language": "ru"}, headers=moderator_headers).json()["items"]
    assert [item["id"] for item in only] == [russian["id"]]
    assert french["id"] not in {item["id"] for item in only}
    assert client.get(QUEUE, params={"language": "es"}, headers=moderator_headers).json()["items"] == []
    bad = client.get(QUEUE, params={"language": "German"}, headers=moderator_headers)
    assert bad.status_code == 400 and "language" in bad.text


def test_hard_rules_still_reject_a_reply_in_an_uncovered_language(
    client: TestClient[Any], moderator_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    added = client.post("/api/v1/rules/lists/banned_phrases", json={"value": "Bericht"}, headers=admin_headers)
    assert added.status_code == 201
    created = _submit(client, GERMAN)
    item = _item(client, moderator_headers, created["id"])
    assert item["status"] == "rejected" and _codes(item) == ["banned_phrase"]
