"""The reader embed in a real browser against a real `replyguard serve`: what a reader sees and what gets stored.

One server and one Chromium for the module; each test uses its own article. REPLYGUARD_TEST_EMBED_SCREENSHOT=path
also saves the demo page's screenshot there (docs/embed.png is made that way).
"""

# ruff: noqa: RUF001 (Russian and Ukrainian text: Cyrillic letters that look Latin are the point)
from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, Request, expect

from tests.browser import launched_chromium, needs_chromium, opened_page, screenshot_showing, static_site
from tests.conftest import add_moderator, module_settings
from tests.replies import POLITE, SPAM, reply
from tests.servers import await_ready, free_port, launched_server

pytestmark = needs_chromium

EMBED_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>A partner site</title></head>
<body><h1>A story on a partner site</h1>
<script src="{service}/embed.js" data-article-id="{article_id}" async></script>
</body></html>
"""
# A page that describes itself: the embed sends these with each reply (stored only if nobody described the article).
DESCRIBED_PAGE = EMBED_PAGE.replace(
    'data-article-id="{article_id}"',
    'data-article-id="{article_id}" data-article-title=" A story &amp; its title " '
    'data-article-url="https://partner.example/story"',
)


@dataclass(frozen=True)
class Stack:
    service: str  # the replyguard server, e.g. http://127.0.0.1:PORT
    allowed_site: str  # a static site whose origin is in REPLYGUARD_ALLOWED_ORIGINS
    other_site: str  # a static site whose origin is not
    moderator: dict[str, str]
    browser: Browser

    def thread(self, article_id: str) -> dict[str, Any]:
        answer = httpx.get(f"{self.service}/api/v1/articles/{article_id}/comments", timeout=10)
        answer.raise_for_status()
        return dict(answer.json())

    def held(self, article_id: str) -> list[dict[str, Any]]:
        """Pending and rejected replies of the article, from the moderators' queue."""
        items: list[dict[str, Any]] = []
        for status in ("pending", "rejected"):
            answer = httpx.get(
                f"{self.service}/api/v1/moderation/queue",
                params={"status": status, "article_id": article_id},
                headers=self.moderator,
                timeout=10,
            )
            answer.raise_for_status()
            items += answer.json()["items"]
        return items

    def published(self, article_id: str, payload: dict[str, object]) -> dict[str, Any]:
        """A reply stored through the API and published (approved by a moderator if the model held it)."""
        created = httpx.post(f"{self.service}/api/v1/articles/{article_id}/comments", json=payload, timeout=10)
        assert created.status_code == 201, created.text
        comment = dict(created.json())
        if comment["status"] != "published":
            decided = httpx.post(
                f"{self.service}/api/v1/moderation/comments/{comment['id']}/decision",
                json={"action": "approve"},
                headers=self.moderator,
                timeout=10,
            )
            assert decided.status_code == 200, decided.text
        return comment


@pytest.fixture(scope="module")
def stack(migrated_template: str, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("embed-browser")
    settings = module_settings(migrated_template, model_dir, folder)
    token = add_moderator(settings, "browser-mod")
    admin = {"Authorization": f"Bearer {add_moderator(settings, 'browser-admin', role='admin')}"}
    port, allowed_port, other_port = free_port(), free_port(), free_port()
    service = f"http://127.0.0.1:{port}"
    site = folder / "site"
    site.mkdir()
    for article_id in ("partner-allowed", "partner-refused", "partner-own", "partner-report"):
        (site / f"{article_id}.html").write_text(EMBED_PAGE.format(service=service, article_id=article_id))
    described = DESCRIBED_PAGE.format(service=service, article_id="partner-described")
    (site / "partner-described.html").write_text(described)
    # An English page whose embed speaks Ukrainian: the tag's data-lang wins over the page's <html lang>.
    ukrainian = EMBED_PAGE.replace("<html>", '<html lang="en">').replace(
        'data-article-id="{article_id}"', 'data-article-id="{article_id}" data-lang="uk-UA"'
    )
    (site / "partner-uk.html").write_text(ukrainian.format(service=service, article_id="partner-uk"))
    with (
        static_site(site, allowed_port) as allowed_site,
        static_site(site, other_port) as other_site,
        launched_server(settings, port, folder / "server.log", REPLYGUARD_ALLOWED_ORIGINS=allowed_site) as server,
        launched_chromium() as browser,  # launched while the server starts
    ):
        await_ready(server, port, folder / "server.log")
        # These scenarios are about the embed: replies in every language are judged by the model alone, as before
        # the coverage hold (which tests/domain/test_languages.py covers).
        setting = httpx.put(f"{service}/api/v1/rules/settings/uncovered_language", json={"value": "publish"},
                            headers=admin, timeout=10)  # fmt: skip
        assert setting.status_code == 200, setting.text
        yield Stack(service, allowed_site, other_site, {"Authorization": f"Bearer {token}"}, browser)


@pytest.fixture
def page(stack: Stack) -> Iterator[Page]:
    with opened_page(stack.browser) as opened:
        yield opened


def _field(page: Page, name: str) -> Any:
    return page.locator(f".rg-form [data-field={name}] input, .rg-form [data-field={name}] textarea")


def _fill(page: Page, *, body: str, name: str = "Ana Reader", email: str = "ana@example.org") -> None:
    _field(page, "body").fill(body)
    _field(page, "name").fill(name)
    _field(page, "email").fill(email)


def _open_demo(page: Page, stack: Stack, article_id: str) -> None:
    page.goto(f"{stack.service}/demo/{article_id}")
    expect(page.locator(".rg-count")).to_have_text(re.compile(r"\d+ Responses?"))


def test_a_polite_reply_shows_at_once_with_one_response(stack: Stack, page: Page) -> None:
    _open_demo(page, stack, "polite")
    expect(page.locator(".rg-count")).to_have_text("0 Responses")
    _fill(page, body=POLITE[0])
    page.locator(".rg-submit").click()
    expect(page.locator(".rg-status")).to_have_text("Your reply is published.")
    expect(page.locator(".rg-thread .rg-comment .rg-body")).to_have_text(POLITE[0])
    expect(page.locator(".rg-count")).to_have_text("1 Response")
    assert stack.thread("polite")["total"] == 1
    page.reload()  # and it is there for the next reader
    expect(page.locator(".rg-count")).to_have_text("1 Response")
    expect(page.locator(".rg-thread .rg-body")).to_have_text(POLITE[0])


def test_a_link_drop_awaits_moderation_and_stays_out_of_the_thread(stack: Stack, page: Page) -> None:
    _open_demo(page, stack, "spam")
    _fill(page, body=SPAM[0], name="Deals", email="deals@example.net")
    page.locator(".rg-submit").click()
    expect(page.locator(".rg-status")).to_have_text("Your reply is awaiting moderation.")
    expect(page.locator(".rg-comment")).to_have_count(0)
    expect(page.locator(".rg-count")).to_have_text("0 Responses")
    assert stack.thread("spam")["total"] == 0
    assert [item["body"] for item in stack.held("spam")] == [SPAM[0]]


def test_a_reply_to_a_comment_is_nested_under_it(stack: Stack, page: Page) -> None:
    parent = stack.published("nesting", reply(POLITE[1], name="Bruno"))
    _open_demo(page, stack, "nesting")
    page.locator(f"#comment-{parent['id']} .rg-reply").first.click()
    expect(page.locator(".rg-replying")).to_contain_text("Replying to Bruno")
    _fill(page, body=POLITE[2], email="carla@example.org", name="Carla")
    page.locator(".rg-submit").click()
    expect(page.locator(f"#comment-{parent['id']} .rg-replies .rg-body")).to_have_text(POLITE[2])
    expect(page.locator(".rg-replying")).to_be_hidden()
    expect(page.locator(".rg-count")).to_have_text("2 Responses")
    [top] = stack.thread("nesting")["items"]
    assert [child["body"] for child in top["replies"]] == [POLITE[2]]


def test_field_errors_show_beside_their_field(stack: Stack, page: Page) -> None:
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    _open_demo(page, stack, "errors")
    # Caught in the browser: nothing is sent.
    _field(page, "body").fill(POLITE[3])
    page.locator(".rg-submit").click()
    expect(page.locator("[data-field=name] .rg-error")).to_have_text("is required")
    expect(page.locator("[data-field=email] .rg-error")).to_have_text("is required")
    assert posts == []
    # Passes the browser's pre-check, refused by the server's email-validator: the 422 lands beside the email.
    _fill(page, body=POLITE[3], email="ana@example.invalid")  # a special-use domain
    page.locator(".rg-submit").click()
    expect(page.locator("[data-field=email] .rg-error")).not_to_be_empty()
    expect(page.locator("[data-field=email] input")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-field=name] .rg-error")).to_be_empty()
    expect(page.locator("[data-field=body] .rg-error")).to_be_empty()
    assert len(posts) == 1
    assert stack.thread("errors")["total"] == 0


def test_a_double_click_stores_one_reply(stack: Stack, page: Page) -> None:
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    _open_demo(page, stack, "double")
    _fill(page, body=POLITE[4], email="dora@example.org")
    page.locator(".rg-submit").dblclick()
    expect(page.locator(".rg-status")).to_have_text("Your reply is published.")
    expect(page.locator(".rg-comment")).to_have_count(1)
    assert stack.thread("double")["total"] == 1
    assert len(posts) == 1
    assert re.fullmatch(r"[0-9a-f-]{36}", posts[0].headers["idempotency-key"])


def test_markup_in_a_stored_reply_renders_as_text(stack: Stack, page: Page) -> None:
    body = "<script>alert(1)</script><img src=x onerror=alert(2)> is how it starts"
    name = "<b onmouseover=alert(3)>Eve</b>"
    stack.published("markup", reply(body, name=name, email="eve@example.org"))
    dialogs: list[Dialog] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog)
        dialog.dismiss()

    page.on("dialog", record)
    _open_demo(page, stack, "markup")
    expect(page.locator(".rg-body")).to_have_text(body)
    expect(page.locator(".rg-author")).to_have_text(name)
    expect(page.locator(".rg-comment img, .rg-comment script, .rg-comment b")).to_have_count(0)
    page.locator(".rg-author").hover()
    assert dialogs == []


def test_a_reader_reports_a_reply_as_illegal_content_from_a_partner_site(stack: Stack, page: Page) -> None:
    """The Report link under a reply opens a small form; what it checks is caught before anything is sent; the
    report crosses origins to the service (CORS), the reader is thanked, and the reply leaves the thread at once
    (illegal content: REPLYGUARD_REPORT_THRESHOLD_ILLEGAL 1) and waits in the moderators' reported folder."""
    target = stack.published("partner-report", reply(POLITE[2], name="Omar", email="omar.private@example.org"))
    other = stack.published("partner-report", reply(POLITE[3], name="Pia", email="pia.private@example.org"))
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    dialogs: list[Dialog] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto(f"{stack.allowed_site}/partner-report.html")
    comment = page.locator(f"#comment-{target['id']}")
    opener = comment.locator(".rg-report")
    expect(opener).to_have_accessible_name("Report the reply of Omar")
    opener.click()
    form = comment.locator(".rg-report-form")
    expect(form).to_be_visible()
    expect(page.locator(".rg-report-form")).to_have_count(1)  # only under the reply whose link was clicked
    send = form.get_by_role("button", name="Send report")
    send.click()
    expect(form.locator(".rg-report-reasons .rg-error")).to_have_text("Please choose a reason.")
    form.get_by_label("Illegal content").check()
    send.click()
    expect(form.locator("[data-report-field=explanation] .rg-error")).to_have_text("is required for illegal content")
    assert posts == []  # caught in the browser: nothing was sent
    explanation = "It publishes a private address <img src=x onerror=alert(1)>"
    form.locator("textarea[name=explanation]").fill(explanation)
    form.locator("input[name=contact_email]").fill("reporter.private@example.net")
    send.click()
    expect(comment.locator(".rg-report-thanks")).to_have_text("Thank you. Moderators will look at your report.")
    expect(opener).to_be_disabled()
    assert len(posts) == 1 and posts[0].url.endswith(f"/comments/{target['id']}/reports")
    assert [item["id"] for item in stack.thread("partner-report")["items"]] == [other["id"]]
    folder = httpx.get(f"{stack.service}/api/v1/moderation/reports", headers=stack.moderator, timeout=10)
    (item,) = [item for item in folder.json()["items"] if item["comment_id"] == target["id"]]
    assert item["status"] == "pending" and item["reasons"] == {"illegal": 1}
    assert item["reports"][0]["explanation"] == explanation and item["reports"][0]["has_contact"] is True
    assert "private@example" not in folder.text
    expect(page.locator(".rg-comment img")).to_have_count(0)
    assert dialogs == []
    page.reload()  # the next reader no longer sees it
    expect(page.locator(".rg-comment")).to_have_count(1)
    expect(page.locator(".rg-body")).to_have_text(POLITE[3])


def test_without_javascript_the_form_posts_and_comes_back_to_the_page(stack: Stack, browser_page_no_js: Page) -> None:
    page = browser_page_no_js
    page.goto(f"{stack.service}/demo/nojs")
    form = page.locator("form.reply-form")
    form.locator("[name=body]").fill(POLITE[5])
    form.locator("[name=name]").fill("Noor")
    form.locator("[name=email]").fill("noor@example.org")
    form.get_by_role("button", name="Post Comment").click()
    page.wait_for_url(re.compile(re.escape(f"{stack.service}/demo/nojs") + r"#(comment-[0-9a-f-]+|reply-pending)$"))
    [stored] = stack.thread("nojs")["items"]
    assert stored["body"] == POLITE[5] and page.url.endswith(f"#comment-{stored['id']}")


def test_without_javascript_a_held_reply_comes_back_with_the_pending_notice(
    stack: Stack, browser_page_no_js: Page
) -> None:
    page = browser_page_no_js
    page.goto(f"{stack.service}/demo/nojs-spam")
    form = page.locator("form.reply-form")
    form.locator("[name=body]").fill(SPAM[1])
    form.locator("[name=name]").fill("Offers")
    form.locator("[name=email]").fill("offers@example.net")
    form.get_by_role("button", name="Post Comment").click()
    page.wait_for_url(f"{stack.service}/demo/nojs-spam#reply-pending")
    expect(page.locator("#reply-pending")).to_be_visible()
    expect(page.locator("form.reply-form [name=homepage]")).not_to_be_in_viewport()


@pytest.fixture
def browser_page_no_js(stack: Stack) -> Iterator[Page]:
    with opened_page(stack.browser, java_script_enabled=False) as opened:
        yield opened


def test_the_embed_works_on_an_allowed_site(stack: Stack, page: Page) -> None:
    stack.published("partner-allowed", reply(POLITE[6], name="Greta"))
    page.goto(f"{stack.allowed_site}/partner-allowed.html")
    expect(page.locator(".rg-count")).to_have_text("1 Response")
    expect(page.locator(".rg-body")).to_have_text(POLITE[6])
    _fill(page, body=POLITE[7], name="Hugo", email="hugo@example.org")
    page.locator(".rg-submit").click()  # a JSON POST with Idempotency-Key: a CORS preflight the service allows
    expect(page.locator(".rg-status")).to_have_text("Your reply is published.")
    assert stack.thread("partner-allowed")["total"] == 2


def test_the_embed_sends_the_pages_title_and_url_with_a_reply(stack: Stack, page: Page) -> None:
    page.goto(f"{stack.allowed_site}/partner-described.html")
    expect(page.locator(".rg-count")).to_have_text("0 Responses")
    _fill(page, body=POLITE[9], name="Jon", email="jon@example.org")
    with page.expect_request(lambda request: request.method == "POST" and "/comments" in request.url) as sent:
        page.locator(".rg-submit").click()
    payload = json.loads(sent.value.post_data or "{}")
    assert (payload["article_title"], payload["article_url"]) == (
        "A story & its title",
        "https://partner.example/story",
    )
    expect(page.locator(".rg-status")).to_have_text("Your reply is published.")


def test_a_site_that_is_not_allowed_gets_no_cors_access(stack: Stack, page: Page) -> None:
    stack.published("partner-refused", reply(POLITE[8], name="Ines"))
    page.goto(f"{stack.other_site}/partner-refused.html")
    expect(page.locator(".rg-problem")).to_have_text("Responses could not be loaded just now.")
    expect(page.locator(".rg-comment")).to_have_count(0)
    outcome = page.evaluate(
        "url => fetch(url).then(() => 'read', () => 'blocked')",
        f"{stack.service}/api/v1/articles/partner-refused/comments",
    )
    assert outcome == "blocked"


def test_screenshot_of_the_demo_page_with_a_thread(stack: Stack, page: Page, tmp_path: Path) -> None:
    first = stack.published("welcome", reply(POLITE[0], name="Ana Reader"))
    stack.published("welcome", reply(POLITE[3], name="Bruno Keller", email="bruno@example.org"))
    stack.published("welcome", reply(POLITE[4], name="Carla Nunes", email="carla@example.org", parent_id=first["id"]))
    page.set_viewport_size({"width": 900, "height": 1400})
    _open_demo(page, stack, "welcome")
    expect(page.locator(".rg-count")).to_have_text("3 Responses")
    expect(page.locator(".rg-comment")).to_have_count(3)
    expect(page.locator(f"#comment-{first['id']} .rg-replies .rg-comment")).to_have_count(1)
    shot = tmp_path / "embed.png"
    # What the picture is for: the thread (a reply nested under the first) and the form to join it.
    shown = [page.locator(".rg-count"), page.locator(".rg-comment .rg-author"), page.locator(".rg-comment .rg-body")]
    shown += [_field(page, name) for name in ("body", "name", "email")] + [page.locator(".rg-submit")]
    screenshot_showing(page, shot, shown)
    if target := os.environ.get("REPLYGUARD_TEST_EMBED_SCREENSHOT"):
        shutil.copyfile(shot, target)


def _publish_many(stack: Stack, article_id: str, bodies: list[str]) -> None:
    for number, body in enumerate(bodies):
        stack.published(article_id, reply(body, name=f"Reader {number}", email=f"r{number}@example.org"))


RUSSIAN = [
    "Спасибо за статью, очень подробно о переговорах.",
    "Интересно, что будет после следующего раунда.",
    "Хороший репортаж, жду продолжения.",
    "Согласен с выводами автора в последнем абзаце.",
    "Наконец-то понятное объяснение всей истории.",
]
UKRAINIAN = [
    "Дякую за статтю, дуже докладно про переговори.",
    "Цікаво, що буде після наступного раунду.",
    "Гарний репортаж, чекаю на продовження.",
    "Погоджуюся з висновками автора в останньому абзаці.",
    "Нарешті зрозуміле пояснення всієї історії.",
]


def test_the_embed_speaks_russian_on_a_russian_page_with_its_plurals(stack: Stack, page: Page) -> None:
    stack.published("ru-story", reply(RUSSIAN[0], name="Ольга"))
    page.goto(f"{stack.service}/demo/ru-story?lang=ru")  # <html lang="ru">
    expect(page.locator(".rg-count")).to_have_text("1 ответ")
    expect(page.locator(".rg-title")).to_have_text("Оставить ответ")
    expect(page.locator(".rg-submit")).to_have_text("Отправить комментарий")
    expect(page.locator(".rg-reply")).to_have_text("Ответить")
    # The date in the reader's locale: Russian month names, not English ones.
    expect(page.locator(".rg-time")).to_have_text(re.compile(r"[а-я]{3}"))
    # A field error from the browser's own check, and one the server sends: both in Russian.
    _fill(page, body=RUSSIAN[1], name="Иван", email="not-an-address")
    page.locator(".rg-submit").click()
    expect(page.locator("[data-field=email] .rg-error")).to_have_text(
        "должен быть действительным адресом электронной почты"
    )
    _fill(page, body=RUSSIAN[1], name="Ив\u200bан", email="ivan@example.org")  # a zero-width space: the server says no
    page.locator(".rg-submit").click()
    expect(page.locator("[data-field=name] .rg-error")).to_have_text(re.compile("^не должно содержать невидимых"))
    expect(page.locator(".rg-status")).to_have_text("Исправьте отмеченные поля.")
    _field(page, "name").fill("Иван")
    page.locator(".rg-submit").click()
    expect(page.locator(".rg-status")).to_have_text("Ваш ответ опубликован.")
    expect(page.locator(".rg-count")).to_have_text("2 ответа")
    _publish_many(stack, "ru-story", RUSSIAN[2:])
    page.reload()
    expect(page.locator(".rg-count")).to_have_text("5 ответов")


def test_the_embed_speaks_ukrainian_when_the_tag_asks_with_its_plurals(stack: Stack, page: Page) -> None:
    stack.published("partner-uk", reply(UKRAINIAN[0], name="Оксана"))
    page.goto(f"{stack.allowed_site}/partner-uk.html")
    expect(page.locator(".rg-count")).to_have_text("1 відповідь")
    expect(page.locator(".rg-title")).to_have_text("Залишити відповідь")
    expect(page.locator("[data-field=name] label")).to_have_text("Ім'я *")
    _fill(page, body=UKRAINIAN[1], name="Тарас", email="taras@example.org")
    page.locator(".rg-submit").click()
    expect(page.locator(".rg-status")).to_have_text("Вашу відповідь опубліковано.")
    expect(page.locator(".rg-count")).to_have_text("2 відповіді")
    _publish_many(stack, "partner-uk", UKRAINIAN[2:])
    page.reload()
    expect(page.locator(".rg-count")).to_have_text("5 відповідей")
    assert page.locator(".rg").get_attribute("lang") == "uk"


def test_the_embed_is_laid_out_right_to_left_in_arabic(stack: Stack, page: Page) -> None:
    first = stack.published("ar-story", reply(POLITE[9], name="ليلى"))
    stack.published("ar-story", reply(POLITE[0], name="Ana", email="ana2@example.org", parent_id=first["id"]))
    page.goto(f"{stack.service}/demo/ar-story?lang=ar")
    expect(page.locator(".rg-count")).to_have_text("ردّان")  # two: Arabic's dual form
    frame = page.locator(".rg")
    assert (frame.get_attribute("lang"), frame.get_attribute("dir")) == ("ar", "rtl")
    assert frame.evaluate("node => getComputedStyle(node).direction") == "rtl"
    expect(page.locator(".rg-title")).to_have_text("اترك ردًا")
    # The reply rail is on the start side, the right in Arabic; the nested reply sits left of its parent's edge.
    replies = page.locator(f"#comment-{first['id']} > .rg-replies")
    assert replies.evaluate("node => getComputedStyle(node).borderRightStyle") == "solid"
    assert replies.evaluate("node => getComputedStyle(node).borderLeftStyle") == "none"
    parent_box, child_box = page.locator(f"#comment-{first['id']}").bounding_box(), replies.bounding_box()
    assert parent_box is not None and child_box is not None
    assert child_box["x"] + child_box["width"] < parent_box["x"] + parent_box["width"] - 5
    # An English reply keeps its own direction inside the Arabic embed.
    expect(page.locator(".rg-replies .rg-body")).to_have_attribute("dir", "auto")
    # The page has no horizontal scroll from the off-screen honeypot.
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_without_javascript_the_form_is_in_the_pages_language(stack: Stack, browser_page_no_js: Page) -> None:
    page = browser_page_no_js
    page.goto(f"{stack.service}/demo/nojs-uk?lang=uk")
    form = page.locator("form.reply-form")
    expect(form.locator("h2")).to_have_text("Залишити відповідь")
    expect(form.get_by_role("button", name="Надіслати коментар")).to_be_visible()
    assert page.locator("html").get_attribute("dir") == "ltr"


# Texts of their own for the author's scenarios: the module's other tests post POLITE within the hour, and a repeat
# or near-copy of a distinctive text waits for a person (the duplicate and spam-run rules).
OWN = [
    "The council's plan for the riverside path sounds sensible, though the lighting budget looks thin to me.",
    "I walked that route last week and the new signs already make a difference for visitors.",
    "Good to see the library keeping its Sunday hours; my children go there every weekend.",
    "Thank you for explaining the tender process, it was far clearer than the council's own summary.",
    "The photos of the old market hall are lovely; I had no idea it once had a glass roof.",
]


def _post_from_embed(page: Page, body: str, *, email: str = "ana@example.org") -> str:
    """Post a reply from the embed; its id once it shows as published."""
    _fill(page, body=body, email=email)
    page.locator(".rg-submit").click()
    expect(page.locator(".rg-status")).to_have_text("Your reply is published.")
    comment_id = page.locator(".rg-comment").last.get_attribute("id")
    assert comment_id is not None
    return comment_id.removeprefix("comment-")


def test_the_author_edits_their_reply_from_the_embed_and_only_they_can(stack: Stack, page: Page) -> None:
    stack.published("own-edit", reply(OWN[1], name="Bruno", email="bruno@example.org"))
    _open_demo(page, stack, "own-edit")
    mine = _post_from_embed(page, OWN[0])
    own = page.locator(f"#comment-{mine}")
    # Someone else's reply offers no Edit; the reader's own does, and keeps offering it after a reload.
    expect(page.locator(".rg-edit")).to_have_count(1)
    page.reload()
    expect(own.locator(".rg-edit")).to_be_visible()
    stored = page.evaluate("localStorage.getItem('replyguard-own-replies')")
    assert mine in json.loads(stored)
    own.locator(".rg-edit").click()
    expect(own.locator(".rg-edit-body")).to_have_value(OWN[0])
    own.locator(".rg-edit-body").fill(OWN[3])
    own.locator(".rg-save").click()
    expect(own.locator(".rg-own-status")).to_have_text("Your edit is published.")
    expect(own.locator(":scope > .rg-body")).to_have_text(OWN[3])
    bodies = [item["body"] for item in stack.thread("own-edit")["items"]]
    assert bodies == [OWN[1], OWN[3]]
    # A blank edit is caught beside the editor; nothing is sent.
    own.locator(".rg-edit").click()
    own.locator(".rg-edit-body").fill("   ")
    own.locator(".rg-save").click()
    expect(own.locator(".rg-editor .rg-error")).to_have_text("is required")
    # Another browser (no token) sees the new text and no Edit.
    with opened_page(stack.browser) as stranger:
        _open_demo(stranger, stack, "own-edit")
        expect(stranger.locator(f"#comment-{mine} .rg-body")).to_have_text(OWN[3])
        expect(stranger.locator(".rg-edit, .rg-delete")).to_have_count(0)


def test_a_reply_edited_into_spam_leaves_the_thread_and_awaits_moderation(stack: Stack, page: Page) -> None:
    _open_demo(page, stack, "own-spam")
    mine = _post_from_embed(page, OWN[2], email="carla@example.org")
    own = page.locator(f"#comment-{mine}")
    own.locator(".rg-edit").click()
    own.locator(".rg-edit-body").fill(SPAM[0])
    own.locator(".rg-save").click()
    expect(own.locator(".rg-own-status")).to_have_text("Your edited reply is awaiting moderation.")
    expect(own.locator(".rg-edit")).to_have_count(0)
    assert stack.thread("own-spam")["total"] == 0
    assert [item["body"] for item in stack.held("own-spam")] == [SPAM[0]]


def test_the_author_deletes_a_reply_on_a_partner_site_and_a_placeholder_keeps_its_replies(
    stack: Stack, page: Page
) -> None:
    # On another origin than the service's: the PATCH/DELETE with the token pass CORS from an allowed site.
    page.goto(f"{stack.allowed_site}/partner-own.html")
    expect(page.locator(".rg-count")).to_have_text("0 Responses")
    mine = _post_from_embed(page, OWN[4], email="dora@example.org")
    child = stack.published("partner-own", reply(OWN[0], name="Emil", email="emil@example.org", parent_id=mine))
    page.reload()
    own = page.locator(f"#comment-{mine}")
    expect(own.locator(".rg-replies .rg-body")).to_have_text(OWN[0])
    own.locator(".rg-delete").first.click()
    expect(own.locator(".rg-confirm")).to_contain_text("Delete this reply? This cannot be undone.")
    own.locator(".rg-keep").click()  # changed their mind: nothing happens
    expect(own.locator(":scope > .rg-body")).to_have_text(OWN[4])
    own.locator(".rg-delete").first.click()
    own.locator(".rg-confirm-delete").click()
    expect(own.locator(".rg-placeholder")).to_have_text("This reply was deleted by its author.")
    expect(own.locator(f"#comment-{child['id']} .rg-body")).to_have_text(OWN[0])
    expect(page.locator(".rg-count")).to_have_text("1 Response")
    [placeholder] = stack.thread("partner-own")["items"]
    assert placeholder["deleted"] is True and placeholder["body"] == ""
    assert [item["id"] for item in placeholder["replies"]] == [child["id"]]
    stored = json.loads(page.evaluate("localStorage.getItem('replyguard-own-replies')") or "{}")
    assert mine not in stored  # the token is forgotten with the reply
    # The next reader, in German, sees the placeholder in their language and no Reply under it.
    with opened_page(stack.browser) as reader:
        reader.goto(f"{stack.service}/demo/partner-own?lang=de")
        shown = reader.locator(f"#comment-{mine}")
        expect(shown.locator(".rg-placeholder")).to_have_text("Diese Antwort wurde von ihrem Verfasser gelöscht.")
        expect(shown.locator(":scope > .rg-reply")).to_have_count(0)
        expect(shown.locator(f"#comment-{child['id']} .rg-body")).to_have_text(OWN[0])


def test_a_reply_without_replies_disappears_when_its_author_deletes_it(stack: Stack, page: Page) -> None:
    _open_demo(page, stack, "own-delete")
    mine = _post_from_embed(
        page,
        "The timetable for the new tram line seems optimistic given how long the last one took to build.",
        email="fay@example.org",
    )
    page.locator(f"#comment-{mine} .rg-delete").click()
    page.locator(f"#comment-{mine} .rg-confirm-delete").click()
    expect(page.locator(f"#comment-{mine}")).to_have_count(0)
    expect(page.locator(".rg-count")).to_have_text("0 Responses")
    assert stack.thread("own-delete")["total"] == 0


def test_a_held_reply_can_be_fixed_or_withdrawn_by_its_author_from_the_embed(stack: Stack, page: Page) -> None:
    _open_demo(page, stack, "own-held")
    _fill(page, body=SPAM[1], name="Gus", email="gus@example.org")
    page.locator(".rg-submit").click()
    expect(page.locator(".rg-status")).to_have_text("Your reply is awaiting moderation.")
    waiting = page.locator(".rg-waiting")
    expect(waiting.locator(".rg-body")).to_have_text(SPAM[1])
    expect(page.locator(".rg-comment")).to_have_count(0)  # readers' thread: nothing
    # Rewritten without the pitch, it is published and joins the thread.
    fixed = "Fair point about the ferry timetable; the winter schedule really does leave commuters stranded."
    waiting.locator(".rg-edit").click()
    waiting.locator(".rg-edit-body").fill(fixed)
    waiting.locator(".rg-save").click()
    expect(page.locator(".rg-status")).to_have_text("Your edit is published.")
    expect(page.locator(".rg-waiting")).to_have_count(0)
    expect(page.locator(".rg-thread .rg-comment .rg-body")).to_have_text(fixed)
    expect(page.locator(".rg-count")).to_have_text("1 Response")
    assert [item["body"] for item in stack.thread("own-held")["items"]] == [fixed]
    # Another held reply, withdrawn: it leaves the author's view and the moderators' queue.
    _fill(page, body=SPAM[2], name="Gus", email="gus@example.org")
    page.locator(".rg-submit").click()
    expect(page.locator(".rg-waiting .rg-body")).to_have_text(SPAM[2])
    page.locator(".rg-waiting .rg-delete").click()
    page.locator(".rg-waiting .rg-confirm-delete").click()
    expect(page.locator(".rg-waiting")).to_have_count(0)
    expect(page.locator(".rg-count")).to_have_text("1 Response")
    assert [item["body"] for item in stack.held("own-held")] == []
