"""Email end to end, through a real SMTP server on loopback (aiosmtpd) and the service's own delivery worker: double
opt-in, reply notifications gathered into one mail, one-click unsubscribe (RFC 8058), the statement of reasons of a
take-down, the notice of a reply published after moderation, bounces and send limits. Addresses never appear in a
log line, a webhook payload or a public answer."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from classifier import Scorer
from service.settings import Settings
from service.storage.database import opened
from service.storage.tables import email_addresses, outbox
from tests.commands import run_cli
from tests.conftest import _loaded, build_app, run
from tests.mailbox import Mailbox, smtp_server, text_of
from tests.replies import POLITE, reply

ANA, BO, CY = "ana@example.org", "bo@example.org", "cy@example.org"
URL = "/api/v1/articles/mail/comments"
PUBLIC = "https://comments.news.example"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def mail_settings(settings: Settings, mailbox: Mailbox, **changes: Any) -> Settings:
    return settings.with_overrides(
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_tls="none",
        public_url=PUBLIC,
        email_sender="News comments <comments@news.example>",
        site_terms_url="https://news.example/terms",
        legal_contact="legal@news.example",
        email_batch_seconds=0.5,
        delivery_worker=True,
        delivery_poll_seconds=0.05,
        **changes,
    )


@contextmanager
def serving(settings: Settings, model: Scorer) -> Iterator[TestClient[Any]]:
    with TestClient(build_app(settings, scoring=_loaded(settings, model))) as client:
        yield client


def confirm(client: TestClient[Any], message: Any) -> None:
    """What the reader does with the confirmation mail: open its link, press the button."""
    link = _path(_link(text_of(message), "/email/confirm"))
    page = client.get(link)
    assert page.status_code == 200 and "Yes, send me these mails" in page.text
    done = client.post(link)
    assert done.status_code == 200 and "Address confirmed" in done.text


def _path(link: str) -> str:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC
    return f"{parts.path}?{parts.query}"


def _link(text: str, path: str) -> str:
    found = re.search(rf"{re.escape(PUBLIC)}{path}\?\S+", text)
    assert found is not None, text
    return found[0]


def outbox_statuses(settings: Settings, event: str) -> list[tuple[str, str | None]]:
    async def read() -> list[tuple[str, str | None]]:
        async with opened(settings) as db, db.read() as conn:
            rows = await conn.execute(select(outbox.c.status, outbox.c.last_error).where(outbox.c.event == event))
            return [(row.status, row.last_error) for row in rows]

    return list(run(read()))


def wait_status(settings: Settings, event: str, status: str, count: int = 1) -> None:
    deadline = time.monotonic() + 15
    while [s for s, _ in outbox_statuses(settings, event)].count(status) < count:
        assert time.monotonic() < deadline, outbox_statuses(settings, event)
        time.sleep(0.05)


def test_a_reader_confirms_gets_replies_in_one_mail_and_unsubscribes_with_one_click(
    settings: Settings, mailbox: Mailbox, default_model: Scorer, caplog: pytest.LogCaptureFixture
) -> None:
    configured = mail_settings(settings, mailbox)
    caplog.set_level(logging.DEBUG)
    with serving(configured, default_model) as client:
        first = client.post(URL, json=reply(POLITE[0], email=ANA, notify=True))
        assert first.status_code == 201 and ANA not in first.text
        parent = first.json()["id"]
        (confirmation,) = mailbox.wait_for(ANA, 1)
        assert confirmation["Subject"] == "Confirm your address for reply notifications"
        assert confirmation["From"] == "News comments <comments@news.example>"
        assert confirmation["List-Unsubscribe"] is None  # a confirmation is not a list mail
        assert ANA not in text_of(confirmation)  # links name the address by a signed id, never the address
        # Asking again sends no second confirmation; a reply before confirming sends nothing to the address.
        client.post(URL, json=reply(POLITE[1], email=ANA, notify=True))
        client.post(URL, json=reply(POLITE[2], name="Bo", email=BO, parent_id=parent))
        wait_status(configured, "email.replies", "skipped")
        assert outbox_statuses(configured, "email.replies") == [("skipped", "the address is not confirmed")]
        assert len(mailbox.to(ANA)) == 1

        confirm(client, confirmation)
        client.post(URL, json=reply(POLITE[3], name="Bo", email=BO, parent_id=parent))
        client.post(URL, json=reply(POLITE[4], name="Cy", email=CY, parent_id=parent))
        _, notification = mailbox.wait_for(ANA, 2)
        assert notification["Subject"] == "2 new replies to your comment"
        text, html = text_of(notification), text_of(notification, "html")
        assert "Bo replied" in text and "Cy replied" in text and POLITE[3] in text and POLITE[4] in text
        assert "<strong>Bo</strong>" in html
        assert BO not in text and CY not in text and BO not in html
        assert notification["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = notification["List-Unsubscribe"].strip("<>")
        assert _link(text, "/email/unsubscribe") == unsubscribe
        assert notification["Message-ID"].startswith("<") and notification["Auto-Submitted"] == "auto-generated"

        # One click, as a mail program sends it (RFC 8058): a POST to the URL with this body.
        clicked = client.post(_path(unsubscribe), content=b"List-Unsubscribe=One-Click",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert clicked.status_code == 200 and "Unsubscribed" in clicked.text
        client.post(URL, json=reply("Another answer about the harbour master.", name="Cy", email=CY, parent_id=parent))
        wait_status(configured, "email.replies", "skipped", count=2)
        assert len(mailbox.to(ANA)) == 2
        assert ("skipped", "the address is suppressed (unsubscribed)") in outbox_statuses(configured, "email.replies")
        forged = client.post(_path(unsubscribe).replace("s=", "s=x"))
        assert forged.status_code == 404
    assert all(address not in caplog.text for address in (ANA, BO, CY))


def test_a_take_down_sends_a_statement_of_reasons_and_a_rescue_a_published_notice(
    settings: Settings, mailbox: Mailbox, default_model: Scorer, moderator_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> None:  # fmt: skip
    configured = mail_settings(settings, mailbox)
    with serving(configured, default_model) as client:
        posted = client.post(URL, json=reply(POLITE[0], email=ANA, notify=True)).json()
        confirm(client, mailbox.wait_for(ANA, 1)[0])
        taken = client.post(
            f"/api/v1/moderation/comments/{posted['id']}/decision",
            json={"action": "reject", "reason": "abuse"},
            headers=moderator_headers,
        )
        assert taken.status_code == 200
        statement = mailbox.wait_for(ANA, 2)[1]
        assert statement["Subject"] == "Your reply was taken down: statement of reasons"
        text = text_of(statement)
        for said in ("was taken down", POLITE[0], "it was judged to be abusive", "https://news.example/terms",
                     "an automated classifier scored the reply", "by a person, a moderator",
                     "You can also write to legal@news.example", "/appeals/new?c=" + posted["id"]):  # fmt: skip
            assert said in text, said
        assert statement["List-Unsubscribe"] is not None

        # A held reply of hers that a moderator publishes: she asked to be notified, so she hears of it.
        client.put("/api/v1/rules/modes/articles/mail", json={"mode": "all-held"}, headers=admin_headers)
        held = client.post(URL, json=reply(POLITE[1], email=ANA, notify=True)).json()
        approved = client.post(f"/api/v1/moderation/comments/{held['id']}/decision", json={"action": "approve"},
                               headers=moderator_headers)  # fmt: skip
        assert approved.status_code == 200
        published = mailbox.wait_for(ANA, 3)[2]
        assert published["Subject"] == "Your reply is published" and POLITE[1] in text_of(published)


def test_nothing_but_the_confirmation_goes_to_an_address_never_confirmed(
    settings: Settings, mailbox: Mailbox, default_model: Scorer, moderator_headers: dict[str, str]
) -> None:
    configured = mail_settings(settings, mailbox)
    with serving(configured, default_model) as client:
        posted = client.post(URL, json=reply(POLITE[0], email=ANA, notify=True)).json()
        mailbox.wait_for(ANA, 1)
        client.post(f"/api/v1/moderation/comments/{posted['id']}/decision", json={"action": "reject",
                    "reason": "spam"}, headers=moderator_headers)  # fmt: skip
        wait_status(configured, "email.rejected", "skipped")
        # Without "notify me" an address is never written to at all, not even a confirmation.
        client.post(URL, json=reply(POLITE[1], email=BO))
        time.sleep(0.3)
    assert len(mailbox.to(ANA)) == 1 and mailbox.to(BO) == []
    assert outbox_statuses(configured, "email.confirm") == [("sent", None)]


def test_a_bounced_address_is_suppressed_and_a_send_limit_holds_mail_back(
    settings: Settings, mailbox: Mailbox, default_model: Scorer
) -> None:
    mailbox.refused.add(BO)
    configured = mail_settings(settings, mailbox, email_limit_per_address=1, delivery_backoff_seconds=60)
    with serving(configured, default_model) as client:
        client.post(URL, json=reply(POLITE[0], email=BO, notify=True))
        wait_status(configured, "email.confirm", "dead")
        assert outbox_statuses(configured, "email.confirm") == [("dead", "the address bounced (550)")]

        posted = client.post(URL, json=reply(POLITE[1], email=ANA, notify=True)).json()
        confirm(client, mailbox.wait_for(ANA, 1)[0])
        client.post(URL, json=reply(POLITE[2], name="Cy", email=CY, parent_id=posted["id"]))
        deadline = time.monotonic() + 10
        while not any(error and "daily limit" in error for _, error in outbox_statuses(configured, "email.replies")):
            assert time.monotonic() < deadline, outbox_statuses(configured, "email.replies")
            time.sleep(0.05)
        assert len(mailbox.to(ANA)) == 1  # the confirmation used the day's one mail

    async def suppression() -> Any:
        async with opened(configured) as db, db.read() as conn:
            return (await conn.execute(select(email_addresses.c.address, email_addresses.c.suppressed_reason))).all()

    assert sorted(run(suppression())) == [(ANA, None), (BO, "bounced")]


def test_without_smtp_settings_nothing_is_written_for_mail(client: TestClient[Any], settings: Settings) -> None:
    assert client.post(URL, json=reply(POLITE[0], email=ANA, notify=True)).status_code == 201

    async def count() -> Any:
        async with opened(settings) as db, db.read() as conn:
            return (await conn.execute(select(outbox.c.id))).all(), (await conn.execute(select(email_addresses))).all()

    assert run(count()) == ([], [])


@pytest.mark.parametrize("value", ["maybe", 3, ["on"]])
def test_a_bad_notify_value_is_refused_naming_the_field(client: TestClient[Any], value: object) -> None:
    refused = client.post(URL, json=reply(POLITE[0], notify=value))
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["notify"]


def test_a_confirmation_link_that_expired_or_was_altered_is_refused(
    settings: Settings, mailbox: Mailbox, default_model: Scorer
) -> None:
    configured = mail_settings(settings, mailbox)
    with serving(configured, default_model) as client:
        client.post(URL, json=reply(POLITE[0], email=ANA, notify=True))
        link = _path(_link(text_of(mailbox.wait_for(ANA, 1)[0]), "/email/confirm"))
        expired = re.sub(r"e=\d+", "e=1000", link)
        assert client.post(expired).status_code == 404
        other = link.replace("a=1&", "a=2&")
        assert client.post(other).status_code == 404
        assert client.post(link).status_code == 200


def test_erasing_an_author_forgets_their_opt_in_and_their_mails(
    settings: Settings, mailbox: Mailbox, default_model: Scorer, admin_headers: dict[str, str]
) -> None:
    configured = mail_settings(settings, mailbox)
    with serving(configured, default_model) as client:
        client.post(URL, json=reply(POLITE[0], email=ANA, notify=True))
        mailbox.wait_for(ANA, 1)
        wait_status(configured, "email.confirm", "sent")
        erased = client.post("/api/v1/admin/privacy/erase", json={"email": ANA}, headers=admin_headers)
        assert erased.status_code == 200

    async def left() -> Any:
        async with opened(configured) as db, db.read() as conn:
            mails = (await conn.execute(select(outbox.c.id).where(outbox.c.channel == "email"))).all()
            return mails, (await conn.execute(select(email_addresses))).all()

    assert run(left()) == ([], [])


def test_addresses_suppressed_from_the_command_line_get_nothing_more(
    settings: Settings, mailbox: Mailbox, default_model: Scorer
) -> None:
    """`replyguard email suppress` (complaints from a mail provider's feedback loop, by default): an address that
    never asked for mail gets no confirmation later, a confirmed one no more reply notices; no address is echoed."""
    configured = mail_settings(settings, mailbox)
    env = {"REPLYGUARD_DATABASE_URL": configured.database_url}
    early = run_cli("email", "suppress", BO, env=env)
    assert early.returncode == 0 and BO not in early.stdout + early.stderr
    with serving(configured, default_model) as client:
        posted = client.post(URL, json=reply(POLITE[0], email=ANA, notify=True)).json()
        confirm(client, mailbox.wait_for(ANA, 1)[0])
        later = run_cli("email", "suppress", "-", env=env, stdin=f"{ANA}\n")  # one address a line, from stdin
        assert later.returncode == 0 and "1 address(es) suppressed (complained)" in later.stdout
        client.post(URL, json=reply(POLITE[1], email=BO, notify=True))  # asks for mail: no confirmation now
        client.post(URL, json=reply(POLITE[2], name="Cy", email=CY, parent_id=posted["id"]))  # answers Ana
        wait_status(configured, "email.replies", "skipped")
    assert outbox_statuses(configured, "email.replies") == [("skipped", "the address is suppressed (complained)")]
    assert len(mailbox.to(ANA)) == 1 and mailbox.to(BO) == []

    async def suppression() -> Any:
        async with opened(configured) as db, db.read() as conn:
            return (await conn.execute(select(email_addresses.c.address, email_addresses.c.suppressed_reason))).all()

    assert sorted(run(suppression())) == [(ANA, "complained"), (BO, "complained")]
    refused = run_cli("email", "suppress", "not-an-address", env=env)
    assert refused.returncode == 2 and "number 1" in refused.stderr and "not-an-address" not in refused.stderr
