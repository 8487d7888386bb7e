"""The WordPress plugin against a real WordPress (Debian's package, MariaDB, PHP's web server) and a real
`replyguard serve`: readers post through wp-comments-post.php, WordPress files each comment as replyguard decided,
a moderator's decision in replyguard comes back through the signed webhook, and a comment made while replyguard is
down is held and filed by WP-Cron once it is up.

One site and one server for the module (tests run in file order on one worker); every wait is bounded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.settings import Settings
from tests.conftest import add_api_key, add_moderator, module_settings
from tests.replies import ENGLISH_POLITE, SPAM
from tests.servers import free_port, running_server
from tests.wordpress.site import Site, needs_wordpress, wordpress

pytestmark = needs_wordpress
WAIT_SECONDS = 20
POST_ID = 1  # WordPress's first post ("Hello world!"), open for comments
# A site rule holds replies with this phrase (docs/moderation-rules.md): the held outcome does not hang on scores.
SUSPECT = "bridge repairs"
BORDERLINE = ENGLISH_POLITE[2]  # "... what happened to the bridge repairs promised last spring?"
assert SUSPECT in BORDERLINE


@dataclass
class Stack:
    site: Site
    settings: Settings
    folder: Path
    replyguard: str  # its base URL; nothing listens there until the `replyguard` fixture starts it
    admin: dict[str, str]
    moderator: dict[str, str]


@pytest.fixture(scope="module")
def stack(migrated_template: str, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("wordpress")
    settings = module_settings(migrated_template, model_dir, folder)
    key = add_api_key(settings, "wordpress")
    replyguard = f"http://127.0.0.1:{free_port()}"
    # A time limit well above a submit's (milliseconds), so a busy CI machine does not turn a decision into a hold.
    plugin_settings = {"url": replyguard, "api_key": key, "timeout": 15, "article_prefix": "wp-"}
    with wordpress(folder, port=free_port(), settings=plugin_settings) as site:
        yield Stack(
            site=site,
            settings=settings,
            folder=folder,
            replyguard=replyguard,
            admin={"Authorization": f"Bearer {add_moderator(settings, 'admin', 'admin')}"},
            moderator={"Authorization": f"Bearer {add_moderator(settings, 'mod')}"},
        )


@pytest.fixture(scope="module")
def replyguard(stack: Stack) -> Iterator[str]:
    """replyguard serving at the URL the plugin was given, delivering webhooks at once (loopback allowed), believing
    the WordPress host's X-Forwarded-For; its decision.made webhook points at the plugin's route, and the plugin
    has the secret. Also a suspect-phrase rule for the held outcome."""
    port = int(stack.replyguard.rsplit(":", 1)[1])
    with running_server(
        stack.settings,
        port,
        stack.folder / "replyguard.log",
        REPLYGUARD_DELIVERY_WORKER="true",
        REPLYGUARD_DELIVERY_POLL_SECONDS="0.1",
        REPLYGUARD_WEBHOOK_PRIVATE_NETWORKS="127.0.0.0/8",
        REPLYGUARD_TRUSTED_PROXIES="127.0.0.1",
    ):
        endpoint = httpx.post(
            f"{stack.replyguard}/api/v1/webhooks",
            json={"url": f"{stack.site.url}/?rest_route=/replyguard/v1/webhook", "events": ["decision.made"]},
            headers=stack.admin,
            timeout=10,
        )
        assert endpoint.status_code == 201, endpoint.text
        stack.site.tool("configure", {"webhook_secret": endpoint.json()["secret"]})
        rule = httpx.post(
            f"{stack.replyguard}/api/v1/rules/lists/suspect_phrases",
            json={"value": SUSPECT},
            headers=stack.admin,
            timeout=10,
        )
        assert rule.status_code == 201, rule.text
        yield stack.replyguard


def post_comment(site: Site, text: str, *, author: str = "Ana Reader", parent: int = 0) -> None:
    """A reader's comment through WordPress's own form handler; WordPress answers with a redirect back to the post."""
    answer = httpx.post(
        f"{site.url}/wp-comments-post.php",
        data={
            "comment_post_ID": str(POST_ID),
            "author": author,
            "email": f"{author.split()[0].lower()}@example.org",
            "url": "",
            "comment": text,
            "comment_parent": str(parent),
        },
        timeout=30,
    )
    assert answer.status_code == 302, f"{answer.status_code} {answer.text[:500]}\n{site.log()}"


def wait_until(check: Callable[[], bool], what: str, site: Site) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what} within {WAIT_SECONDS} s\n{site.log()}"
        time.sleep(0.2)


def in_replyguard(stack: Stack, reply_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{stack.replyguard}/api/v1/moderation/comments/{reply_id}", headers=stack.moderator, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_while_replyguard_is_down_a_comment_is_held_and_cron_files_it_once_it_is_up(
    stack: Stack, request: pytest.FixtureRequest
) -> None:
    site, text = stack.site, ENGLISH_POLITE[3]
    post_comment(site, text)
    held = site.comment(text)
    assert held["approved"] == "0"
    assert held["meta"]["_replyguard_recheck"] == "1"
    assert held["meta"]["_replyguard_error"].startswith("unreachable")
    assert "replyguard_id" not in held["meta"]
    assert site.tool("cron") is not None  # the re-check is scheduled

    request.getfixturevalue("replyguard")  # replyguard comes up at the URL the plugin has
    ran = httpx.get(f"{site.url}/wp-cron.php", timeout=30)
    assert ran.status_code == 200
    filed = site.comment(text)
    assert filed["approved"] == "1", filed
    assert filed["meta"]["replyguard_status"] == "published"
    assert "_replyguard_recheck" not in filed["meta"]
    assert in_replyguard(stack, filed["meta"]["replyguard_id"])["status"] == "published"
    assert site.tool("cron") is None  # nothing left to re-check


def test_replyguard_decides_each_reader_comment_and_a_moderators_approval_comes_back(
    stack: Stack, replyguard: str
) -> None:
    site = stack.site
    polite, spam = ENGLISH_POLITE[0], SPAM[0]
    post_comment(site, polite)
    post_comment(site, spam, author="Pill Seller")
    post_comment(site, BORDERLINE, author="Bo Reader")

    expected = {polite: ("1", "published"), spam: ("spam", "rejected"), BORDERLINE: ("0", "pending")}
    ids = {}
    for text, (wordpress_status, replyguard_status) in expected.items():
        row = site.comment(text)
        assert row["approved"] == wordpress_status, (text, row)
        assert row["meta"]["replyguard_status"] == replyguard_status
        stored = in_replyguard(stack, row["meta"]["replyguard_id"])
        assert stored["status"] == replyguard_status
        assert stored["article_id"] == f"wp-{POST_ID}"
        ids[text] = row["meta"]["replyguard_id"]
    held = in_replyguard(stack, ids[BORDERLINE])
    assert "suspect_phrase" in {reason["code"] for reason in held["reasons"]}

    # A reply in WordPress is a reply in replyguard: its parent is the parent's replyguard id.
    answer = "Agreed, the committee meeting twice was news to me as well."
    post_comment(site, answer, author="Cy Reader", parent=site.comment(polite)["id"])
    assert in_replyguard(stack, site.comment(answer)["meta"]["replyguard_id"])["parent_id"] == ids[polite]

    decided = httpx.post(
        f"{replyguard}/api/v1/moderation/comments/{ids[BORDERLINE]}/decision",
        json={"action": "approve", "expected_status": "pending"},
        headers=stack.moderator,
        timeout=10,
    )
    assert decided.status_code == 200, decided.text
    wait_until(lambda: site.comment(BORDERLINE)["approved"] == "1", "the approval reaches WordPress", site)
    assert site.comment(BORDERLINE)["meta"]["replyguard_status"] == "published"


def signed_in(site: Site) -> httpx.Client:
    """An administrator's browser session: WordPress's login form, its test cookie included."""
    client = httpx.Client(base_url=site.url, timeout=30, cookies={"wordpress_test_cookie": "WP Cookie check"})
    login = client.post(
        "/wp-login.php",
        data={"log": "admin", "pwd": site.admin_password, "wp-submit": "Log In", "testcookie": "1"},
    )
    assert login.status_code == 302, login.text[:500]
    return client


def hidden_field(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert found is not None, f"no {name} on the page"
    return found[1]


def test_an_administrator_saves_settings_and_tests_the_connection(stack: Stack, replyguard: str) -> None:
    site = stack.site
    before = site.tool("settings")
    key, secret = before["api_key"], before["webhook_secret"]
    browser = signed_in(site)
    try:
        page = browser.get("/wp-admin/options-general.php?page=replyguard").text
        code = re.search(r"<code>([^<]*rest_route[^<]*)</code>", page)
        assert code is not None, page[page.find('<div class="wrap">') :][:3000]
        assert code[1] == f"{site.url}/index.php?rest_route=/replyguard/v1/webhook"  # the URL to give replyguard
        assert key not in page and secret not in page  # secrets are never printed back
        assert page.count("(saved)") == 2
        # Saving with the secret fields empty keeps the saved key and secret.
        saved = browser.post(
            "/wp-admin/options.php",
            data={
                "option_page": "replyguard",
                "action": "update",
                "_wpnonce": hidden_field(page, "_wpnonce"),
                "replyguard_settings[url]": replyguard,
                "replyguard_settings[api_key]": "",
                "replyguard_settings[webhook_secret]": "",
                "replyguard_settings[timeout]": "7",
                "replyguard_settings[article_prefix]": "wp-",
            },
            headers={"Referer": f"{site.url}/wp-admin/options-general.php?page=replyguard"},
        )
        assert saved.status_code == 302, saved.text[:500]
        stored = site.tool("settings")
        assert stored["timeout"] == 7 and stored["api_key"] == key and stored["webhook_secret"] == secret

        page = browser.get("/wp-admin/options-general.php?page=replyguard").text
        test_form = page[page.index('name="action" value="replyguard_test_connection"') :]
        tested = browser.post(
            "/wp-admin/admin-post.php",
            data={"action": "replyguard_test_connection", "_wpnonce": hidden_field(test_form, "_wpnonce")},
            headers={"Referer": f"{site.url}/wp-admin/options-general.php?page=replyguard"},
        )
        assert tested.status_code == 302
        assert "Connected: replyguard accepts the API key." in browser.get(tested.headers["location"]).text
        # Without the nonce the button does nothing.
        assert (
            browser.post("/wp-admin/admin-post.php", data={"action": "replyguard_test_connection"}).status_code == 403
        )
    finally:
        browser.close()


def _signed(secret: str, body: bytes, *, msg_id: str, timestamp: int) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{base64.b64encode(digest).decode()}",
        "Content-Type": "application/json",
    }


def test_the_webhook_route_refuses_a_call_not_signed_by_the_secret(stack: Stack, replyguard: str) -> None:
    site = stack.site
    spam = site.comment(SPAM[0])
    body = json.dumps(
        {
            "type": "decision.made",
            "timestamp": "2026-12-06T10:00:00Z",
            "data": {"comment_id": spam["meta"]["replyguard_id"], "to_status": "published", "created_at": "9999"},
        }
    ).encode()
    route = f"{site.url}/?rest_route=/replyguard/v1/webhook"
    now, secret = int(time.time()), site.tool("settings")["webhook_secret"]
    forged = _signed("whsec_" + base64.b64encode(b"not the secret").decode(), body, msg_id="m1", timestamp=now)
    stale = _signed(secret, body, msg_id="m2", timestamp=now - 600)  # rightly signed, ten minutes ago: a replay
    for headers in (forged, stale, {"Content-Type": "application/json"}):
        assert httpx.post(route, content=body, headers=headers, timeout=10).status_code == 401
    assert site.comment(SPAM[0])["approved"] == "spam"


def test_a_comment_replyguard_is_too_slow_to_check_is_held_for_a_recheck(stack: Stack, replyguard: str) -> None:
    """A listening socket that never answers: the plugin gives up after its time limit and holds the comment."""
    site, text = stack.site, ENGLISH_POLITE[4]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        site.tool("configure", {"url": f"http://127.0.0.1:{silent.getsockname()[1]}", "timeout": 1})
        try:
            started = time.monotonic()
            post_comment(site, text)
            assert time.monotonic() - started < 10
        finally:
            site.tool("configure", {"url": replyguard, "timeout": 15})
    held = site.comment(text)
    assert held["approved"] == "0"
    assert held["meta"]["_replyguard_recheck"] == "1"
    assert held["meta"]["_replyguard_error"].startswith("unreachable")
    assert site.tool("cron") is not None
