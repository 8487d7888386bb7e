"""The site's rules through HTTP: every list, mode and sanction with the reason it gives, trust, the admin API's
validation and roles, the audit, and rule changes seen by running workers without losing submissions."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from classifier import Scorer
from service.settings import Settings
from tests.conftest import SITE, _loaded, build_app
from tests.replies import POLITE, reply

LISTS = "/api/v1/rules/lists"


def _post(client: TestClient[Any], article: str, body: str, email: str = "ana@example.org", **extra: Any) -> Any:
    answer = client.post(f"/api/v1/articles/{article}/comments", json=reply(body, email=email, **extra))
    assert answer.status_code == 201, answer.text
    return answer


def _stored(client: TestClient[Any], headers: dict[str, str], answer: Any) -> dict[str, Any]:
    """The reply as moderators see it: its real status and reasons."""
    item = client.get(f"/api/v1/moderation/comments/{answer.json()['id']}", headers=headers)
    assert item.status_code == 200
    return dict(item.json())


def _codes(item: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in item["reasons"]]


def _add(client: TestClient[Any], headers: dict[str, str], name: str, value: str, **extra: Any) -> dict[str, Any]:
    answer = client.post(f"{LISTS}/{name}", json={"value": value, **extra}, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def _decide(client: TestClient[Any], headers: dict[str, str], comment_id: str, action: str) -> None:
    decision = {"action": action} | ({"reason": "spam"} if action == "reject" else {})
    answer = client.post(f"/api/v1/moderation/comments/{comment_id}/decision", json=decision, headers=headers)
    assert answer.status_code == 200, answer.text


def test_lists_need_an_admin_token(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    assert client.get(f"{LISTS}/banned_phrases").status_code == 401
    assert client.get(f"{LISTS}/banned_phrases", headers=moderator_headers).status_code == 403
    assert client.post(f"{LISTS}/banned_phrases", json={"value": "x"}, headers=moderator_headers).status_code == 403
    assert client.get("/api/v1/rules/modes", headers=moderator_headers).status_code == 403
    assert client.get("/api/v1/rules/changes", headers=moderator_headers).status_code == 403


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        (f"{LISTS}/banned_phrases", {"value": "!!! ..."}, "value"),
        (f"{LISTS}/banned_phrases", {"value": ""}, "value"),
        (f"{LISTS}/banned_phrases", {"value": "x" * 201}, "value"),
        (f"{LISTS}/blocked_emails", {"value": "not an address"}, "value"),
        (f"{LISTS}/blocked_email_domains", {"value": "bad domain/path"}, "value"),
        (f"{LISTS}/blocked_link_domains", {"value": "spam.example", "action": "delete"}, "action"),
        (f"{LISTS}/suspect_phrases", {"value": "cheap", "action": "reject"}, "action"),
        (f"{LISTS}/suspect_phrases", {"value": "cheap", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        (f"{LISTS}/suspect_phrases", {"value": "cheap", "expires_at": "next tuesday"}, "expires_at"),
        (f"{LISTS}/suspect_phrases", {"value": "cheap", "expires_at": "2999-01-01T00:00:00"}, "expires_at"),
        (f"{LISTS}/suspect_phrases", {"value": "cheap", "note": 12}, "note"),
        ("/api/v1/rules/modes/site", {"mode": "sometimes"}, "mode"),
        ("/api/v1/rules/modes/site", {"mode": None}, "mode"),
    ],
)
def test_a_rule_that_cannot_be_parsed_is_refused_with_a_field_error(
    client: TestClient[Any], admin_headers: dict[str, str], path: str, payload: dict[str, Any], field: str
) -> None:
    method = client.put if "/modes/" in path else client.post
    answer = method(path, json=payload, headers=admin_headers)
    assert answer.status_code == 422, answer.text
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert client.get("/api/v1/rules/changes", headers=admin_headers).json()["items"] == []


def test_an_unknown_list_is_404(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    assert client.get(f"{LISTS}/favourite_colours", headers=admin_headers).status_code == 404


def test_blocked_email_and_domain_are_rejected_but_answered_pending(
    client: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    _add(client, admin_headers, "blocked_emails", "Troll@Example.org", note="repeat offender")
    _add(client, admin_headers, "blocked_email_domains", "spam-farm.example")
    cases = [("troll@example.org", "email_blocked"), ("bot7@mail.spam-farm.example", "email_domain_blocked")]
    for email, code in cases:
        answer = _post(client, "blocks", POLITE[0], email=email)
        assert answer.json()["status"] == "pending"
        item = _stored(client, admin_headers, answer)
        assert item["status"] == "rejected" and code in _codes(item)
    assert _stored(client, admin_headers, _post(client, "blocks", POLITE[1], email="fine@example.org"))["status"] in (
        "published",
        "pending",
    )


def test_banned_phrases_match_disguised_whole_words(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    _add(client, admin_headers, "banned_phrases", "cheap pills")
    disguised = _post(client, "phrases", "Great article. Also: get ch3ap p i l l s from my friend, ask me.")
    item = _stored(client, admin_headers, disguised)
    assert disguised.json()["status"] == "pending"
    assert item["status"] == "rejected"
    assert [r["message"] for r in item["reasons"] if r["code"] == "banned_phrase"] == ["banned phrase 'cheap pills'"]
    # Whole words: "cheap pillsbury" is another word.
    other = _stored(client, admin_headers, _post(client, "phrases", "I baked with cheap Pillsbury dough yesterday."))
    assert "banned_phrase" not in _codes(other)


def test_suspect_phrases_hold(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    _add(client, admin_headers, "suspect_phrases", "bridge repairs")
    item = _stored(client, admin_headers, _post(client, "suspect", POLITE[2]))
    assert item["status"] == "pending" and "suspect_phrase" in _codes(item)


def test_blocked_link_domains_hold_or_reject(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    _add(client, admin_headers, "blocked_link_domains", "clickbait.example")
    _add(client, admin_headers, "blocked_link_domains", "malware.example", action="reject")
    held = _stored(client, admin_headers, _post(client, "links", POLITE[0] + " https://www.clickbait.example/x"))
    assert held["status"] == "pending" and "link_domain_blocked" in _codes(held)
    rejected = _stored(client, admin_headers, _post(client, "links", POLITE[1] + " http://cdn.malware.example/a"))
    assert rejected["status"] == "rejected" and "link_domain_blocked" in _codes(rejected)


def test_links_to_the_site_and_allowed_domains_do_not_count_toward_the_limit(
    settings: Settings, default_model: Scorer, admin_headers: dict[str, str]
) -> None:
    one_link = settings.with_overrides(max_links=1)
    body = POLITE[4] + f" See {SITE}/harbour and https://archive.city.example/1962 and https://archive.city.example/2"
    with TestClient(build_app(one_link, scoring=_loaded(one_link, default_model))) as client:
        before = _stored(client, admin_headers, _post(client, "allowed", body))
        assert "too_many_links" in _codes(before)
        assert "2 links" in next(r["message"] for r in before["reasons"] if r["code"] == "too_many_links")
        _add(client, admin_headers, "allowed_link_domains", "city.example")
        after = _stored(client, admin_headers, _post(client, "allowed", body, email="other@example.org"))
        assert "too_many_links" not in _codes(after)


def test_premoderation_modes_per_site_and_per_article(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    assert client.put("/api/v1/rules/modes/site", json={"mode": "all-held"}, headers=admin_headers).status_code == 200
    held = _stored(client, admin_headers, _post(client, "modes-a", POLITE[0]))
    assert held["status"] == "pending" and "all_held" in _codes(held)
    own = client.put("/api/v1/rules/modes/articles/modes-b", json={"mode": "model"}, headers=admin_headers)
    assert own.json() == {"site": "all-held", "articles": {"modes-b": "model"}}
    assert _post(client, "modes-b", POLITE[1]).json()["status"] == "published"
    client.put("/api/v1/rules/modes/articles/modes-c", json={"mode": "closed"}, headers=admin_headers)
    closed = client.post("/api/v1/articles/modes-c/comments", json=reply(POLITE[2]))
    assert closed.status_code == 403
    # null: the article follows the site again
    back = client.put("/api/v1/rules/modes/articles/modes-b", json={"mode": None}, headers=admin_headers)
    assert back.json()["articles"] == {"modes-c": "closed"}
    assert _post(client, "modes-b", POLITE[3]).json()["status"] == "pending"


def test_first_reply_held_holds_an_authors_first_reply_only(
    client: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    client.put("/api/v1/rules/modes/site", json={"mode": "first-reply-held"}, headers=admin_headers)
    first = _post(client, "first", POLITE[0], email="new@example.org")
    item = _stored(client, admin_headers, first)
    assert item["status"] == "pending" and _codes(item)[0] == "first_reply"
    _decide(client, admin_headers, item["id"], "approve")
    assert _post(client, "first", POLITE[1], email="new@example.org").json()["status"] == "published"
    assert _post(client, "first", POLITE[3], email="other@example.org").json()["status"] == "pending"


def _earn_trust(client: TestClient[Any], headers: dict[str, str], email: str, count: int = 3) -> None:
    """`count` replies held (the article is all-held) and approved by a person."""
    client.put("/api/v1/rules/modes/articles/earning", json={"mode": "all-held"}, headers=headers)
    for n in range(count):
        answer = _post(client, "earning", POLITE[n], email=email)
        _decide(client, headers, answer.json()["id"], "approve")


def test_trusted_authors_are_published_over_doubts_but_not_over_site_rules_and_lose_trust_on_a_rejection(
    settings: Settings, default_model: Scorer, admin_headers: dict[str, str]
) -> None:
    no_links = settings.with_overrides(max_links=0)  # any link is a doubt that holds a reply
    link = " https://city.example/report"
    with TestClient(build_app(no_links, scoring=_loaded(no_links, default_model))) as client:
        _earn_trust(client, admin_headers, "regular@example.org", count=2)
        almost = _stored(client, admin_headers, _post(client, "trust", POLITE[4] + link, email="regular@example.org"))
        assert almost["status"] == "pending" and "too_many_links" in _codes(almost)
        _decide(client, admin_headers, almost["id"], "approve")  # the third approval

        # English: trust overrides doubts, not the coverage hold of a language the model does not read.
        trusted = _post(client, "trust", POLITE[2] + link, email="regular@example.org")
        assert trusted.json()["status"] == "published"
        assert _codes(_stored(client, admin_headers, trusted))[:2] == ["trusted_author", "too_many_links"]
        page = client.get("/api/v1/moderation/authors", params={"email": "regular@example.org"}, headers=admin_headers)
        assert page.json()["trusted"] is True

        _add(client, admin_headers, "suspect_phrases", "harbour master")
        firm = _stored(client, admin_headers, _post(client, "trust", POLITE[4], email="regular@example.org"))
        assert firm["status"] == "pending" and "suspect_phrase" in _codes(firm)

        _decide(client, admin_headers, trusted.json()["id"], "reject")  # a take-down ends trust
        after = _post(client, "trust", POLITE[3] + link, email="regular@example.org")
        assert after.json()["status"] == "pending"
        page = client.get("/api/v1/moderation/authors", params={"email": "regular@example.org"}, headers=admin_headers)
        assert page.json()["trusted"] is False


def test_a_ban_from_a_queue_item_rejects_every_new_reply_until_lifted(
    client: TestClient[Any], admin_headers: dict[str, str], moderator_headers: dict[str, str]
) -> None:
    client.put("/api/v1/rules/modes/articles/bans", json={"mode": "all-held"}, headers=admin_headers)
    held = _post(client, "bans", POLITE[0], email="Troll@example.org").json()
    path = f"/api/v1/moderation/comments/{held['id']}/sanction"
    banned = client.post(path, json={"kind": "ban", "note": "insults"}, headers=moderator_headers)
    assert banned.status_code == 200 and banned.json()["kind"] == "ban" and banned.json()["active"] is True
    answer = _post(client, "open-article", POLITE[1], email="troll@EXAMPLE.org")
    assert answer.json()["status"] == "pending"
    item = _stored(client, moderator_headers, answer)
    assert item["status"] == "rejected" and _codes(item) == ["author_banned"]
    lifted = client.post(
        "/api/v1/moderation/sanctions/lift", json={"email": "troll@example.org"}, headers=moderator_headers
    )
    assert lifted.status_code == 204
    assert _stored(client, moderator_headers, _post(client, "open-article", POLITE[2], email="troll@example.org"))[
        "status"
    ] in ("published", "pending")
    assert "author_banned" not in _codes(
        _stored(client, moderator_headers, _post(client, "open-article", POLITE[3], email="troll@example.org"))
    )


def _shape(answer: Any) -> tuple[int, list[str], list[str], str]:
    body = answer.json() if answer.status_code == 201 else {}
    return answer.status_code, sorted(body), sorted(answer.headers.keys()), body.get("status", "")


def test_a_shadow_banned_author_gets_exactly_the_answer_of_a_held_reply(
    client: TestClient[Any], admin_headers: dict[str, str], moderator_headers: dict[str, str]
) -> None:
    client.post(
        "/api/v1/moderation/sanctions",
        json={"email": "shadow@example.org", "kind": "shadow_ban"},
        headers=moderator_headers,
    )
    client.put("/api/v1/rules/modes/articles/shadow-held", json={"mode": "all-held"}, headers=admin_headers)
    shadowed = _post(client, "shadow", POLITE[0], email="shadow@example.org")
    held = _post(client, "shadow-held", POLITE[1], email="someone@example.org")
    assert _shape(shadowed) == _shape(held)
    assert _shape(shadowed)[3] == "pending"
    item = _stored(client, moderator_headers, shadowed)
    assert item["status"] == "rejected" and _codes(item) == ["author_shadow_banned"]
    # Not shown, not counted, not found by id: as for any reply that is not published.
    assert client.get("/api/v1/articles/shadow/comments").json()["total"] == 0
    assert client.get(f"/api/v1/articles/shadow/comments/{shadowed.json()['id']}").status_code == 404
    # A plain form post goes back to the page as a held reply does.
    form = {**reply(POLITE[2], email="shadow@example.org"), "return_to": f"{SITE}/shadow"}
    posted = client.post("/api/v1/articles/shadow/comments", data=form, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].endswith("#reply-pending")


def test_a_suspension_needs_an_end_and_ends_by_itself(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    endless = client.post(
        "/api/v1/moderation/sanctions",
        json={"email": "hot@example.org", "kind": "suspension"},
        headers=moderator_headers,
    )
    assert endless.status_code == 422 and endless.json()["errors"][0]["field"] == "expires_at"
    ends = (datetime.now(UTC) + timedelta(seconds=1.5)).isoformat()
    client.post(
        "/api/v1/moderation/sanctions",
        json={"email": "hot@example.org", "kind": "suspension", "expires_at": ends},
        headers=moderator_headers,
    )
    during = _stored(client, moderator_headers, _post(client, "suspended", POLITE[0], email="hot@example.org"))
    assert _codes(during) == ["author_suspended"]
    time.sleep(1.6)
    after = _stored(client, moderator_headers, _post(client, "suspended", POLITE[1], email="hot@example.org"))
    assert "author_suspended" not in _codes(after)
    listed = client.get("/api/v1/moderation/sanctions", headers=moderator_headers).json()["items"]
    assert [(s["email"], s["active"]) for s in listed] == [("hot@example.org", False)]


def test_an_expired_entry_no_longer_applies(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    ends = (datetime.now(UTC) + timedelta(seconds=1.5)).isoformat()
    _add(client, admin_headers, "suspect_phrases", "harbour master", expires_at=ends)
    assert "suspect_phrase" in _codes(_stored(client, admin_headers, _post(client, "expiry", POLITE[4])))
    time.sleep(1.6)
    assert "suspect_phrase" not in _codes(
        _stored(client, admin_headers, _post(client, "expiry", POLITE[4], email="b@example.org"))
    )


def test_every_change_is_audited_with_who_when_old_and_new(
    client: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    first = _add(client, admin_headers, "suspect_phrases", "Free Money", note="week 1")
    again = client.post(f"{LISTS}/suspect_phrases", json={"value": "free  MONEY", "note": "week 2"},
                        headers=admin_headers)  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == first["id"] and again.json()["note"] == "week 2"
    listed = client.get(f"{LISTS}/suspect_phrases", headers=admin_headers).json()["items"]
    assert [(e["value"], e["key"]) for e in listed] == [("free  MONEY", "free money")]
    assert client.delete(f"{LISTS}/suspect_phrases/{first['id']}", headers=admin_headers).status_code == 204
    assert client.delete(f"{LISTS}/suspect_phrases/{first['id']}", headers=admin_headers).status_code == 404
    client.put("/api/v1/rules/modes/site", json={"mode": "all-held", "note": "elections"}, headers=admin_headers)
    changes = client.get("/api/v1/rules/changes", params={"limit": 3}, headers=admin_headers).json()
    mode, removal, replacement = changes["items"]
    assert mode["subject"] == "mode" and mode["target"] == "*"
    assert mode["old"] is None and mode["new"] == {"mode": "all-held", "note": "elections"}
    assert removal["subject"] == "suspect_phrases" and removal["new"] is None and removal["old"]["note"] == "week 2"
    assert replacement["old"]["note"] == "week 1" and replacement["new"]["note"] == "week 2"
    assert all(change["moderator_id"] and change["created_at"] for change in changes["items"])
    rest = client.get("/api/v1/rules/changes", params={"cursor": changes["next_cursor"]}, headers=admin_headers)
    assert [c["new"]["note"] for c in rest.json()["items"]] == ["week 1"] and rest.json()["next_cursor"] is None


def test_the_author_page_shows_replies_decisions_trust_and_sanction_to_moderators(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    answer = _post(client, "author", POLITE[0], email="writer@example.org")
    client.post(
        f"/api/v1/moderation/comments/{answer.json()['id']}/sanction", json={"kind": "ban"}, headers=moderator_headers
    )
    assert "writer@example.org" not in client.get("/api/v1/articles/author/comments").text
    page = client.get("/api/v1/moderation/authors", params={"email": "writer@example.org"}, headers=moderator_headers)
    assert page.status_code == 200
    body = page.json()
    assert [r["id"] for r in body["replies"]] == [answer.json()["id"]]
    assert body["decisions"][0]["actor"] == "model"
    assert body["sanction"]["kind"] == "ban" and body["trusted"] is False and body["trust_after"] == 3
    assert client.get("/api/v1/moderation/authors", params={"email": "writer@example.org"}).status_code == 401
    bad = client.get("/api/v1/moderation/authors", params={"email": "nope"}, headers=moderator_headers)
    assert bad.status_code == 422


def test_another_worker_sees_a_rule_change_at_its_next_check(
    settings: Settings, default_model: Scorer, admin_headers: dict[str, str]
) -> None:
    """Two apps on one database, as two workers: the second checks the generation on every submit here."""
    eager = settings.with_overrides(rules_check_seconds=0.0)
    with (
        TestClient(build_app(settings, scoring=_loaded(settings, default_model))) as first,
        TestClient(build_app(eager, scoring=_loaded(eager, default_model))) as second,
    ):
        assert _stored(second, admin_headers, _post(second, "workers", POLITE[2]))["status"] == "published"
        _add(first, admin_headers, "suspect_phrases", "bridge repairs")
        item = _stored(second, admin_headers, _post(second, "workers", POLITE[2], email="b@example.org"))
        assert "suspect_phrase" in _codes(item)


def test_rule_changes_never_lose_submissions_in_flight(client: TestClient[Any], admin_headers: dict[str, str]) -> None:
    answers: list[int] = []

    def submit(n: int) -> None:
        for k in range(6):
            body = f"{POLITE[(n + k) % 5]} (reader {n}, note {k})"
            answers.append(client.post("/api/v1/articles/inflight/comments", json=reply(body)).status_code)

    writers = [threading.Thread(target=submit, args=(n,)) for n in range(3)]
    for thread in writers:
        thread.start()
    for n in range(6):
        _add(client, admin_headers, "suspect_phrases", f"phrase number {n}")
        client.put("/api/v1/rules/modes/site", json={"mode": ("all-held", "model")[n % 2]}, headers=admin_headers)
    for thread in writers:
        thread.join()
    assert answers == [201] * 18
    counts = {
        status: len(
            client.get(
                "/api/v1/moderation/queue",
                params={"status": status, "article_id": "inflight", "limit": 100},
                headers=admin_headers,
            ).json()["items"]
        )
        for status in ("pending", "published", "rejected")
    }
    assert sum(counts.values()) == 18
