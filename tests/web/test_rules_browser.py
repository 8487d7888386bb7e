"""Managing the site's rules and banning from the console, in a real browser against a real `replyguard serve`.

An admin adds a banned phrase and holds every reply on an article; readers post through the embed and are told the
same thing whatever the rules did; the admin finds the held reply with its reason, bans its author in one step from
the queue, sees the ban on the author's page and lifts it there. A moderator without the admin role gets no rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import launched_chromium, needs_chromium, opened_page
from tests.conftest import add_moderator, module_settings
from tests.replies import POLITE
from tests.servers import await_ready, free_port, launched_server

pytestmark = needs_chromium


@dataclass(frozen=True)
class Stack:
    service: str
    admin: str
    moderator: str
    browser: Browser

    def item(self, comment_id: str) -> dict[str, Any]:
        answer = httpx.get(
            f"{self.service}/api/v1/moderation/comments/{comment_id}",
            headers={"Authorization": f"Bearer {self.admin}"},
            timeout=10,
        )
        answer.raise_for_status()
        return dict(answer.json())


@pytest.fixture(scope="module")
def stack(migrated_template: str, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("rules-browser")
    settings = module_settings(migrated_template, model_dir, folder)
    admin, moderator = add_moderator(settings, "root", "admin"), add_moderator(settings, "dana")
    port = free_port()
    with launched_server(settings, port, folder / "server.log") as server, launched_chromium() as browser:
        await_ready(server, port, folder / "server.log")
        yield Stack(f"http://127.0.0.1:{port}", admin, moderator, browser)


def _sign_in(page: Page, stack: Stack, token: str) -> None:
    page.goto(f"{stack.service}/console")
    page.get_by_label("Moderator token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def _post_through_embed(page: Page, stack: Stack, article_id: str, *, body: str, email: str) -> str:
    page.goto(f"{stack.service}/demo/{article_id}")
    for field, value in (("name", "Ana Reader"), ("email", email), ("body", body)):
        page.locator(f".rg-form [data-field={field}] input, .rg-form [data-field={field}] textarea").fill(value)
    with page.expect_response(lambda r: r.request.method == "POST" and "/comments" in r.url) as answer:
        page.locator(".rg-submit").click()
    expect(page.locator(".rg-status")).to_have_text("Your reply is awaiting moderation.")
    return str(answer.value.json()["id"])


def test_an_admin_manages_rules_and_bans_an_author_from_the_queue(stack: Stack) -> None:
    with opened_page(stack.browser) as console, opened_page(stack.browser) as reader:
        _sign_in(console, stack, stack.admin)
        console.get_by_role("link", name="Rules").click()
        expect(console.get_by_role("heading", name="Site rules")).to_be_visible()
        banned = console.get_by_role("form", name="Add to Banned phrases (rejected)")
        banned.get_by_label("Entry").fill("cheap pills")
        banned.get_by_label("note").fill("pharmacy spam")
        banned.get_by_role("button", name="Add").click()
        expect(console.locator(".notice")).to_have_text("Rule saved")
        expect(console.locator("#banned_phrases table")).to_contain_text("pharmacy spam")
        article_form = console.get_by_role("form", name="Article mode")
        article_form.get_by_label("Article").fill("town-hall")
        article_form.get_by_label("mode").select_option("all-held")
        article_form.get_by_role("button", name="Save article mode").click()
        expect(console.locator(".notice")).to_have_text("Premoderation mode saved")
        expect(console.get_by_role("table", name="Articles with their own mode")).to_contain_text("town-hall")
        expect(console.locator(".history")).to_contain_text("banned_phrases")  # the audit

        # The reader is told the same thing whichever rule caught the reply.
        spam = _post_through_embed(reader, stack, "town-hall", body="Get ch3ap p i l l s today", email="a@example.org")
        held = _post_through_embed(reader, stack, "town-hall", body=POLITE[0], email="loud@example.org")
        assert stack.item(spam)["status"] == "rejected"

        console.goto(f"{stack.service}/console?status=rejected&article_id=town-hall")
        expect(console.locator(".item")).to_contain_text("banned phrase 'cheap pills'")
        console.goto(f"{stack.service}/console?article_id=town-hall")
        item = console.locator(f"#item-{held}")
        expect(item).to_contain_text("premoderation mode all-held")
        item.get_by_role("button", name="Ban author").click()
        expect(console.locator(".notice")).to_have_text("Sanction set for the author of Ana Reader's reply")

        console.locator(f"#item-{held} a.author").click()
        expect(console.get_by_role("heading", name="Author <loud@example.org>")).to_be_visible()
        expect(console.locator(".sanction")).to_contain_text("ban")
        again = _post_through_embed(reader, stack, "elsewhere", body=POLITE[1], email="loud@example.org")
        assert stack.item(again)["reasons"][0]["code"] == "author_banned"
        console.get_by_role("button", name="Lift").click()
        expect(console.locator(".notice")).to_have_text("Sanction lifted")
        expect(console.get_by_role("heading", name="Sanction").locator("xpath=..")).to_contain_text("None.")


def test_a_moderator_gets_no_rules_page(stack: Stack) -> None:
    with opened_page(stack.browser) as console:
        _sign_in(console, stack, stack.moderator)
        expect(console.get_by_role("link", name="Rules")).to_have_count(0)
        console.goto(f"{stack.service}/console/rules")
        expect(console.locator(".error")).to_have_text("The site's rules are for admins.")
