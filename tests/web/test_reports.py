"""Readers' reports end to end on a real server (each reporter a different client address, forwarded by a trusted
proxy): stored once per reader and reply, rate-limited per client, a reply with enough reports in the reported
folder with its reports beside it, illegal content out of public view at once, and moderators' keep, take down and
dismiss audited as decisions; only a confirmed report becomes a training label; no email in any answer or webhook."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from classifier import Scorer
from service.domain import labels, privacy
from service.rules.report_input import REASONS
from service.settings import Settings
from service.storage.database import opened
from service.storage.tables import REPORT_REASONS, outbox, reports
from tests.commands import run_cli
from tests.conftest import _loaded, add_moderator, build_app
from tests.mailbox import Mailbox, text_of
from tests.replies import ENGLISH_POLITE, reply
from tests.servers import serving_in_process
from tests.web.test_console import _sign_in
from tests.web.test_email import ANA, URL, confirm, mail_settings, mailbox
from tests.web.test_email import serving as mail_serving

__all__ = ["mailbox"]

ARTICLE = "harbour-report"
AUTHOR = "author.private@example.org"
CONTACT = "reporter.private@example.net"


@contextmanager
def serving(settings: Settings, model: Scorer, **overrides: Any) -> Iterator[httpx.Client]:
    """The service behind a trusted proxy on loopback, so X-Forwarded-For names each test reader's address."""
    configured = settings.with_overrides(trusted_proxies=("127.0.0.1",), **overrides)
    app = build_app(configured, scoring=_loaded(configured, model))
    with serving_in_process(app, configured) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def _publish(client: httpx.Client, body: str = ENGLISH_POLITE[0], *, parent_id: str | None = None) -> str:
    posted = client.post(f"/api/v1/articles/{ARTICLE}/comments", json=reply(body, email=AUTHOR, parent_id=parent_id))
    assert posted.status_code == 201 and posted.json()["status"] == "published", posted.text
    return str(posted.json()["id"])


def _report(client: httpx.Client, comment_id: str, reader: str, **fields: object) -> httpx.Response:
    return client.post(
        f"/api/v1/articles/{ARTICLE}/comments/{comment_id}/reports",
        json={"reason": "spam", **fields},
        headers={"X-Forwarded-For": reader},
    )


def _folder(client: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/moderation/reports", headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def _shown(client: httpx.Client) -> set[str]:
    def ids(items: list[dict[str, Any]]) -> set[str]:
        return {item["id"] for item in items} | {i for item in items for i in ids(item["replies"])}

    return ids(client.get(f"/api/v1/articles/{ARTICLE}/comments").json()["items"])


def test_reports_are_kept_once_per_reader_and_enough_of_them_send_the_reply_to_the_reported_folder(
    settings: Settings, default_model: Scorer, moderator_headers: dict[str, str]
) -> None:
    with serving(settings, default_model) as client:
        comment_id = _publish(client)
        first = _report(client, comment_id, "10.0.0.1")
        assert first.status_code == 201 and first.json() == {"comment_id": comment_id, "received": True}
        again = _report(client, comment_id, "10.0.0.1", reason="abuse")
        assert again.status_code == 200 and again.json() == first.json()  # the same answer, nothing stored
        assert _report(client, comment_id, "10.0.0.2", reason="abuse", contact_email=CONTACT).status_code == 201
        assert _folder(client, moderator_headers) == []  # two reports: below REPLYGUARD_REPORT_THRESHOLD (3)

        third = _report(client, comment_id, "10.0.0.3", reason="off_topic", explanation="About <b>another</b> story.")
        assert third.status_code == 201 and CONTACT not in third.text
        answer = client.get("/api/v1/moderation/reports", headers=moderator_headers)
        (item,) = answer.json()["items"]
        assert item["comment_id"] == comment_id and item["status"] == "published" and item["report_count"] == 3
        assert item["reasons"] == {"spam": 1, "abuse": 1, "off_topic": 1}
        assert [(r["reason"], r["has_contact"]) for r in item["reports"]] == [
            ("spam", False), ("abuse", True), ("off_topic", False)
        ]  # fmt: skip
        assert item["reports"][2]["explanation"] == "About <b>another</b> story."
        assert CONTACT not in answer.text and AUTHOR not in answer.text
        assert comment_id in _shown(client)  # spam, abuse and off-topic reports hide nothing until a person decides

        kept = client.post(f"/api/v1/moderation/comments/{comment_id}/reports/decision", json={"action": "keep"},
                           headers=moderator_headers)  # fmt: skip
        assert kept.status_code == 200 and kept.json()["status"] == "published" and kept.json()["reports_closed"] == 3
        assert _folder(client, moderator_headers) == [] and comment_id in _shown(client)
        history = client.get(f"/api/v1/moderation/comments/{comment_id}", headers=moderator_headers).json()
        assert history["decisions"][-1]["actor"] == "moderator"
        assert history["decisions"][-1]["note"] == "reader reports kept"
        # A reader who reported it once cannot report it again after the decision; a new reader can.
        assert _report(client, comment_id, "10.0.0.3").status_code == 200
        assert _report(client, comment_id, "10.0.0.4").status_code == 201
        assert client.get("/api/v1/moderation/reports").status_code == 401


def test_a_report_of_illegal_content_hides_the_reply_and_its_answers_until_a_moderator_decides(
    settings: Settings, default_model: Scorer, moderator_headers: dict[str, str]
) -> None:
    with serving(settings, default_model) as client:
        parent = _publish(client)
        child = _publish(client, ENGLISH_POLITE[1], parent_id=parent)
        count = f"/api/v1/articles/{ARTICLE}/comments/count"
        assert client.get(count).json() == {"count": 2}

        missing = _report(client, parent, "10.0.1.1", reason="illegal")
        assert missing.status_code == 422
        assert missing.json()["errors"] == [{"field": "explanation", "message": "is required for illegal content"}]
        hidden = _report(client, parent, "10.0.1.1", reason="illegal", explanation="It gives a private address.")
        assert hidden.status_code == 201
        assert _shown(client) == set() and client.get(count).json() == {"count": 0}
        assert client.get(f"/api/v1/articles/{ARTICLE}/comments/{parent}").status_code == 404
        assert _report(client, parent, "10.0.1.2").status_code == 404  # no longer shown: nothing to report
        assert _report(client, child, "10.0.1.2").status_code == 404

        (item,) = _folder(client, moderator_headers)
        assert item["comment_id"] == parent and item["status"] == "pending" and item["reasons"] == {"illegal": 1}
        audit = client.get(f"/api/v1/moderation/comments/{parent}", headers=moderator_headers).json()["decisions"][-1]
        assert (audit["actor"], audit["from_status"], audit["to_status"], audit["reason"]) == (
            "reports", "published", "pending", "reader_report"
        )  # fmt: skip

        decision = f"/api/v1/moderation/comments/{parent}/reports/decision"
        dismissed = client.post(decision, json={"action": "dismiss", "note": "Public office address."},
                                headers=moderator_headers)  # fmt: skip
        assert dismissed.status_code == 200 and dismissed.json()["status"] == "published"
        assert _shown(client) == {parent, child} and client.get(count).json() == {"count": 2}
        assert _folder(client, moderator_headers) == []
        again = client.post(decision, json={"action": "dismiss"}, headers=moderator_headers)
        assert again.status_code == 409  # decided already: nothing changes
        audit = client.get(f"/api/v1/moderation/comments/{parent}", headers=moderator_headers).json()["decisions"][-1]
        assert audit["note"] == "reader reports dismissed: Public office address."
        assert audit["moderator_id"] is not None


def _moderator_labels(settings: Settings) -> list[Any]:
    async def read() -> list[Any]:
        async with opened(settings) as db, db.read() as conn:
            return await labels.moderator_labels(conn)

    return list(asyncio.run(read()))


def test_a_take_down_rejects_the_reply_and_only_a_confirmed_report_becomes_a_training_label(
    settings: Settings, default_model: Scorer, moderator_headers: dict[str, str]
) -> None:
    with serving(settings, default_model) as client:
        confirmed, unconfirmed = _publish(client, ENGLISH_POLITE[2]), _publish(client, ENGLISH_POLITE[3])
        for comment_id in (confirmed, unconfirmed):
            for n in range(3):
                assert _report(client, comment_id, f"10.0.2.{n}", reason="spam").status_code == 201
        assert len(_folder(client, moderator_headers)) == 2
        assert _moderator_labels(settings) == []  # reports alone teach nothing

        decide = "/api/v1/moderation/comments/{}/reports/decision"
        wrong = client.post(decide.format(confirmed), json={"action": "take_down", "confirm": "abuse"},
                            headers=moderator_headers)  # fmt: skip
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "confirm"
        not_for_keep = client.post(decide.format(confirmed), json={"action": "keep", "confirm": "spam"},
                                   headers=moderator_headers)  # fmt: skip
        assert not_for_keep.status_code == 422
        taken = client.post(decide.format(confirmed), json={"action": "take_down", "confirm": "spam"},
                            headers=moderator_headers)  # fmt: skip
        assert taken.status_code == 200 and taken.json()["status"] == "rejected"
        plain = client.post(decide.format(unconfirmed), json={"action": "take_down"}, headers=moderator_headers)
        assert plain.status_code == 200 and plain.json()["status"] == "rejected"
        assert _shown(client) == set() and _folder(client, moderator_headers) == []
        audit = client.get(f"/api/v1/moderation/comments/{confirmed}", headers=moderator_headers).json()["decisions"]
        assert (audit[-1]["to_status"], audit[-1]["reason"]) == ("rejected", "reader_report")
        assert audit[-1]["note"] == "reader reports taken_down; confirmed: spam"

        (label,) = _moderator_labels(settings)
        assert (label.text, label.spam, label.abuse) == (ENGLISH_POLITE[2], 1, None)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reason": "boring"}, "reason"),
        ({"reason": None}, "reason"),
        ({"explanation": "x" * 1001}, "explanation"),
        ({"explanation": 12}, "explanation"),
        ({"contact_email": "reporter.private@@example.net"}, "contact_email"),
        ({"contact_email": "reporter.private"}, "contact_email"),
    ],
)
def test_bad_report_fields_are_named_without_echoing_what_was_sent(
    settings: Settings, default_model: Scorer, fields: dict[str, object], field: str
) -> None:
    with serving(settings, default_model) as client:
        comment_id = _publish(client)
        answer = _report(client, comment_id, "10.0.3.1", **fields)
        assert answer.status_code == 422
        assert [error["field"] for error in answer.json()["errors"]] == [field]
        assert "reporter.private" not in answer.text


def test_only_replies_readers_see_can_be_reported(settings: Settings, default_model: Scorer) -> None:
    with serving(settings, default_model) as client:
        comment_id = _publish(client)
        elsewhere = client.post(f"/api/v1/articles/other-story/comments/{comment_id}/reports", json={"reason": "spam"})
        assert elsewhere.status_code == 404
        unknown = _report(client, "0190f5b6-0000-7000-8000-000000000000", "10.0.4.1")
        assert unknown.status_code == 404
        held = client.post(f"/api/v1/articles/{ARTICLE}/comments", json=reply("Buy pills http://x.example now!!!"))
        if held.json()["status"] != "published":  # pending (or rejected, answered as pending): not shown
            assert _report(client, held.json()["id"], "10.0.4.1").status_code == 404
        form = client.post(f"/api/v1/articles/{ARTICLE}/comments/{comment_id}/reports", data={"reason": "spam"})
        assert form.status_code == 415


def test_reports_are_rate_limited_per_client_address(settings: Settings, default_model: Scorer) -> None:
    with serving(settings, default_model, rate_limit_enabled=True, report_limit_per_address=2) as client:
        first, second = _publish(client), _publish(client, ENGLISH_POLITE[1])
        assert _report(client, first, "10.0.5.1").status_code == 201
        assert _report(client, second, "10.0.5.1").status_code == 201
        refused = _report(client, first, "10.0.5.1", reason="abuse")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert _report(client, first, "10.0.5.2").status_code == 201  # another reader has an allowance of their own


def test_no_email_of_the_author_or_the_reporter_reaches_webhooks_or_the_stored_reporter_key(
    settings: Settings, default_model: Scorer, admin_headers: dict[str, str]
) -> None:
    with serving(settings, default_model, webhook_private_networks=("127.0.0.0/8",), rules_check_seconds=0) as client:
        hook = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=admin_headers)
        assert hook.status_code == 201, hook.text
        comment_id = _publish(client)
        explained = "It names a private person's home."
        reported = _report(client, comment_id, "10.0.6.1", reason="illegal", explanation=explained,
                           contact_email=CONTACT)  # fmt: skip
        assert reported.status_code == 201

    async def stored() -> tuple[list[Any], list[Any]]:
        async with opened(settings) as db, db.read() as conn:
            messages = (await conn.execute(select(outbox.c.event, outbox.c.payload))).all()
            rows = (await conn.execute(select(reports))).all()
            return list(messages), list(rows)

    messages, rows = asyncio.run(stored())
    assert {"reply.held", "decision.made", "report.created"} <= {event for event, _ in messages}
    (report_created,) = [payload["data"] for event, payload in messages if event == "report.created"]
    assert report_created["comment_id"] == comment_id and report_created["reason"] == "illegal"
    assert report_created["open_reports"] == 1 and report_created["hidden"] is True
    assert "explanation" not in report_created and explained not in str(messages)
    assert CONTACT not in str(messages) and AUTHOR not in str(messages)
    (row,) = rows
    assert row.contact_email == CONTACT  # kept for moderators, privately
    assert "10.0.6.1" not in row.reporter_key and len(row.reporter_key) == 32


def test_the_report_reasons_are_one_list() -> None:
    assert REASONS == REPORT_REASONS


def test_the_schema_documents_the_report_routes(settings: Settings, default_model: Scorer) -> None:
    with serving(settings, default_model) as client:
        paths = client.get("/schema/openapi.json").json()["paths"]
    operation = paths["/api/v1/articles/{article_id}/comments/{comment_id}/reports"]["post"]
    assert {"200", "201"} <= set(operation["responses"])  # a repeated report is answered 200
    body = operation["requestBody"]
    fields = body["content"]["application/json"]["schema"]["properties"]
    assert set(fields) == {"reason", "explanation", "contact_email"}
    assert fields["reason"]["enum"] == list(REASONS) and fields["explanation"]["maxLength"] == 1000
    decision = paths["/api/v1/moderation/comments/{comment_id}/reports/decision"]["post"]["requestBody"]
    assert decision["content"]["application/json"]["schema"]["properties"]["action"]["enum"] == [
        "keep", "take_down", "dismiss"
    ]  # fmt: skip
    assert "get" in paths["/api/v1/moderation/reports"]


def test_the_consoles_reported_folder_shows_the_reports_and_takes_a_decision_with_its_csrf_token(
    settings: Settings, default_model: Scorer
) -> None:
    configured = settings.with_overrides(report_threshold=1)
    token = add_moderator(configured, "carla")
    with TestClient(build_app(configured, scoring=_loaded(configured, default_model))) as client:
        posted = client.post(f"/api/v1/articles/{ARTICLE}/comments", json=reply(ENGLISH_POLITE[4], email=AUTHOR))
        comment_id = posted.json()["id"]
        reported = client.post(f"/api/v1/articles/{ARTICLE}/comments/{comment_id}/reports",
                               json={"reason": "abuse", "explanation": "<script>x()</script> insults",
                                     "contact_email": CONTACT})  # fmt: skip
        assert reported.status_code == 201
        csrf = _sign_in(client, token)
        page = client.get("/console/reports")
        assert page.status_code == 200 and ENGLISH_POLITE[4] in page.text
        assert "&lt;script&gt;x()&lt;/script&gt; insults" in page.text and "<script>x()" not in page.text
        assert CONTACT not in page.text and AUTHOR not in page.text and "still shown to readers" in page.text
        path = f"/console/reports/{comment_id}/decision"
        forged = client.post(path, data={"action": "take_down", "csrf_token": "forged"}, follow_redirects=False)
        assert forged.status_code == 403
        decided = client.post(path, data={"action": "take_down", "confirm": "abuse", "csrf_token": csrf},
                              follow_redirects=False)  # fmt: skip
        assert decided.status_code == 303 and decided.headers["location"].startswith("/console/reports?")
        after = client.get(decided.headers["location"])
        assert "Taken down on readers&#39; reports" in after.text and "No reported replies." in after.text
        again = client.post(path, data={"action": "keep", "csrf_token": csrf}, follow_redirects=False)
        assert again.status_code == 409
        assert client.get(f"/api/v1/articles/{ARTICLE}/comments/{comment_id}").status_code == 404


def test_erasing_an_address_forgets_it_as_a_reporters_contact_and_purging_a_reply_deletes_its_reports(
    settings: Settings, default_model: Scorer, admin_headers: dict[str, str], moderator_headers: dict[str, str]
) -> None:
    with serving(settings, default_model) as client:
        comment_id = _publish(client)
        assert _report(client, comment_id, "10.0.7.1", contact_email=CONTACT.upper()).status_code == 201
        erased = client.post("/api/v1/admin/privacy/erase", json={"email": CONTACT}, headers=admin_headers)
        assert erased.status_code == 200
        for n in (2, 3):
            assert _report(client, comment_id, f"10.0.7.{n}").status_code == 201
        (item,) = _folder(client, moderator_headers)
        assert [r["has_contact"] for r in item["reports"]] == [False, False, False]  # the report stays, without it
        decided = f"/api/v1/moderation/comments/{comment_id}/reports/decision"
        assert client.post(decided, json={"action": "take_down"}, headers=moderator_headers).status_code == 200

    async def purge_and_count() -> int:
        async with opened(settings) as db:
            await privacy.purge_rejected(db, older_than=timedelta(seconds=0))
            async with db.read() as conn:
                return len((await conn.execute(select(reports))).all())

    assert asyncio.run(purge_and_count()) == 0


def test_a_take_down_on_reports_sends_its_author_a_statement_of_reasons_and_keeping_a_hidden_reply_sends_nothing(
    settings: Settings, mailbox: Mailbox, default_model: Scorer, moderator_headers: dict[str, str]
) -> None:
    configured = mail_settings(settings, mailbox, report_threshold=1)
    with mail_serving(configured, default_model) as client:
        hidden = client.post(URL, json=reply(ENGLISH_POLITE[0], email=ANA, notify=True)).json()
        confirm(client, mailbox.wait_for(ANA, 1)[0])
        reports_of = "/api/v1/articles/mail/comments/{}/reports"
        illegal = {"reason": "illegal", "explanation": "A private phone number.", "contact_email": CONTACT}
        assert client.post(reports_of.format(hidden["id"]), json=illegal).status_code == 201
        kept = client.post(f"/api/v1/moderation/comments/{hidden['id']}/reports/decision", json={"action": "keep"},
                           headers=moderator_headers)  # fmt: skip
        assert kept.status_code == 200 and kept.json()["status"] == "published"

        taken = client.post(URL, json=reply(ENGLISH_POLITE[1], email=ANA, notify=True)).json()
        assert client.post(reports_of.format(taken["id"]), json={"reason": "abuse"}).status_code == 201
        decided = client.post(f"/api/v1/moderation/comments/{taken['id']}/reports/decision",
                              json={"action": "take_down", "confirm": "abuse"}, headers=moderator_headers)  # fmt: skip
        assert decided.status_code == 200
        # The confirmation, then the statement: nothing in between for the hidden-then-kept reply.
        statement = mailbox.wait_for(ANA, 2)[1]
        assert statement["Subject"] == "Your reply was taken down: statement of reasons"
        text = text_of(statement)
        assert ENGLISH_POLITE[1] in text and "readers reported it, and a moderator found" in text
        assert CONTACT not in text and "A private phone number." not in text
        assert all(CONTACT not in text_of(message) for message in mailbox.wait_for(ANA, 2))


def test_purge_forgets_the_contact_emails_of_decided_reports_and_keeps_those_of_open_ones(
    settings: Settings, default_model: Scorer, moderator_headers: dict[str, str]
) -> None:
    with serving(settings, default_model) as client:
        decided, waiting = _publish(client), _publish(client, ENGLISH_POLITE[1])
        for comment_id in (decided, waiting):
            for n in (1, 2, 3):
                assert _report(client, comment_id, f"10.0.8.{n}", contact_email=CONTACT).status_code == 201
        path = f"/api/v1/moderation/comments/{decided}/reports/decision"
        assert client.post(path, json={"action": "dismiss"}, headers=moderator_headers).status_code == 200

    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    kept = run_cli("purge", env=env)  # 30 days by default: nothing was decided that long ago
    assert kept.returncode == 0 and "forgot 0 contact emails" in kept.stdout, kept.stderr
    done = run_cli("purge", "--report-contacts-older-than-days", "0", env=env)
    assert done.returncode == 0 and "forgot 3 contact emails" in done.stdout, done.stderr

    async def contacts() -> dict[str, int]:
        async with opened(settings) as db, db.read() as conn:
            rows = (await conn.execute(select(reports.c.comment_id, reports.c.contact_email))).all()
        return {str(c): sum(1 for i, e in rows if str(i) == str(c) and e) for c in (decided, waiting)}

    assert asyncio.run(contacts()) == {decided: 0, waiting: 3}


def test_a_reply_its_author_deleted_leaves_the_reported_folder_and_cannot_be_reported(
    settings: Settings, default_model: Scorer, moderator_headers: dict[str, str]
) -> None:
    with serving(settings, default_model) as client:
        posted = client.post(f"/api/v1/articles/{ARTICLE}/comments", json=reply(ENGLISH_POLITE[1], email=AUTHOR))
        assert posted.status_code == 201 and posted.json()["status"] == "published", posted.text
        comment_id, token = posted.json()["id"], posted.json()["edit_token"]
        _publish(client, ENGLISH_POLITE[2], parent_id=comment_id)  # so the deleted reply stays as a placeholder
        for reader in ("10.0.1.1", "10.0.1.2", "10.0.1.3"):
            assert _report(client, comment_id, reader).status_code == 201
        assert [item["comment_id"] for item in _folder(client, moderator_headers)] == [comment_id]

        deleted = client.delete(
            f"/api/v1/articles/{ARTICLE}/comments/{comment_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert deleted.status_code == 204, deleted.text
        assert _folder(client, moderator_headers) == []  # no text left to judge
        assert _report(client, comment_id, "10.0.1.4").status_code == 404  # a placeholder has nothing to report
