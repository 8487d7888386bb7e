"""The reader's loop in a real browser against a real `replyguard serve` and a real SMTP server: tick "Notify me of
replies to my comment" in the embed, confirm from the mail, get a reply notification, stop all mail from its link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from service.settings import Settings
from tests.browser import launched_chromium, needs_chromium, opened_page
from tests.conftest import add_moderator, module_settings
from tests.mailbox import Mailbox, smtp_server, text_of
from tests.replies import POLITE, reply
from tests.servers import await_ready, free_port, launched_server

pytestmark = needs_chromium
ANA = "ana@example.org"


@pytest.fixture
def settings_here(migrated_template: str, model_dir: Path, tmp_path: Path) -> Settings:
    return module_settings(migrated_template, model_dir, tmp_path)


@pytest.fixture
def served(settings_here: Settings, tmp_path: Path) -> Iterator[tuple[str, Mailbox, Page]]:
    settings = settings_here
    port = free_port()
    service = f"http://127.0.0.1:{port}"
    with (
        smtp_server() as mailbox,
        launched_server(
            settings,
            port,
            tmp_path / "server.log",
            REPLYGUARD_SMTP_HOST="127.0.0.1",
            REPLYGUARD_SMTP_PORT=str(mailbox.port),
            REPLYGUARD_SMTP_TLS="none",
            REPLYGUARD_PUBLIC_URL=service,
            REPLYGUARD_EMAIL_BATCH_SECONDS="0.2",
            REPLYGUARD_DELIVERY_WORKER="true",
            REPLYGUARD_DELIVERY_POLL_SECONDS="0.1",
        ) as server,
        launched_chromium() as browser,
    ):
        await_ready(server, port, tmp_path / "server.log")
        with opened_page(browser) as page:
            yield service, mailbox, page


def _link(message: EmailMessage, path: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:\d+{path}\?\S+", text_of(message))
    assert found is not None
    return found[0]


def test_a_reader_ticks_notify_confirms_hears_of_a_reply_and_stops_all_mail(
    served: tuple[str, Mailbox, Page],
) -> None:
    service, mailbox, page = served
    page.goto(f"{service}/demo/notify-loop")
    expect(page.locator(".rg-count")).to_have_text("0 Responses")
    page.locator(".rg-form [data-field=body] textarea").fill(POLITE[0])
    page.locator(".rg-form [data-field=name] input").fill("Ana Reader")
    page.locator(".rg-form [data-field=email] input").fill(ANA)
    page.get_by_label("Notify me of replies to my comment").check()
    page.locator(".rg-submit").click()
    expect(page.locator(".rg-status")).to_have_text("Your reply is published.")

    (confirmation,) = mailbox.wait_for(ANA, 1)
    page.goto(_link(confirmation, "/email/confirm"))
    page.get_by_role("button", name="Yes, send me these mails").click()
    expect(page.locator("h1")).to_have_text("Address confirmed")

    thread = httpx.get(f"{service}/api/v1/articles/notify-loop/comments", timeout=10).json()
    parent = thread["items"][0]["id"]
    answer = reply(POLITE[1], name="Bruno", email="bruno@example.org", parent_id=parent)
    assert httpx.post(f"{service}/api/v1/articles/notify-loop/comments", json=answer, timeout=10).status_code == 201
    _, notification = mailbox.wait_for(ANA, 2)
    assert "Bruno replied" in text_of(notification) and POLITE[1] in text_of(notification)

    page.goto(_link(notification, "/email/unsubscribe"))
    page.get_by_role("button", name="Stop all mail").click()
    expect(page.locator("h1")).to_have_text("Unsubscribed")
    again = reply(POLITE[2], name="Carla", email="carla@example.org", parent_id=parent)
    assert httpx.post(f"{service}/api/v1/articles/notify-loop/comments", json=again, timeout=10).status_code == 201
    page.wait_for_timeout(1500)  # two batch windows and several polls: nothing more arrives
    assert len(mailbox.to(ANA)) == 2


@pytest.fixture
def two_moderators(settings_here: Settings) -> tuple[str, str]:
    """Tokens of the moderator who decides and of another one (made before the browser's loop runs)."""
    return add_moderator(settings_here, "mod"), add_moderator(settings_here, "eve")


def test_an_author_appeals_a_take_down_from_the_statement_and_gets_the_outcome(
    two_moderators: tuple[str, str], served: tuple[str, Mailbox, Page]
) -> None:
    service, mailbox, page = served
    decider = {"Authorization": f"Bearer {two_moderators[0]}"}
    other = two_moderators[1]
    posted = httpx.post(f"{service}/api/v1/articles/appeal-loop/comments",
                        json=reply(POLITE[3], email=ANA, notify=True), timeout=10).json()  # fmt: skip
    (confirmation,) = mailbox.wait_for(ANA, 1)
    page.goto(_link(confirmation, "/email/confirm"))
    page.get_by_role("button", name="Yes, send me these mails").click()
    taken = httpx.post(f"{service}/api/v1/moderation/comments/{posted['id']}/decision",
                       json={"action": "reject", "reason": "off_topic"}, headers=decider, timeout=10)  # fmt: skip
    assert taken.status_code == 200

    _, statement = mailbox.wait_for(ANA, 2)
    assert "Statement of reasons" in text_of(statement)
    page.goto(_link(statement, "/appeals/new"))
    expect(page.locator("blockquote")).to_have_text(POLITE[3])
    page.get_by_label("Why should the decision change?").fill("It answers the article's second paragraph.")
    page.get_by_role("button", name="Send my appeal").click()
    expect(page.locator("h1")).to_have_text("Appeal received")

    page.goto(f"{service}/console/sign-in")
    page.get_by_label("Moderator token").fill(other)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{service}/console/appeals")
    expect(page.locator(".appeal-text")).to_have_text("It answers the article's second paragraph.")
    page.get_by_role("button", name="Reverse: publish").click()
    expect(page.locator(".notice")).to_contain_text("the reply is published")

    _, _, outcome = mailbox.wait_for(ANA, 3)
    assert outcome["Subject"] == "Your appeal: the decision is reversed"
    thread = httpx.get(f"{service}/api/v1/articles/appeal-loop/comments", timeout=10).json()
    assert [item["body"] for item in thread["items"]] == [POLITE[3]]
