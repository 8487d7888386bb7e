"""The console against login CSRF by cookie tossing (issue 20, finding 4) and phishing banners (finding 9), by HTTP.

The browser half (a sibling origin tossing the cookie and posting the form; a crafted banner link) is in
tests/web/test_console_browser.py.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from service.settings import Settings
from service.storage.database import opened
from service.storage.service_secrets import shared_secret
from service.web.console.sign_in import new_sign_in_token
from tests.conftest import add_moderator, build_app
from tests.replies import POLITE, reply
from tests.servers import serving_in_process

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
URL = "/api/v1/articles/banners/comments"


def _form_token(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:300]
    return found.group(1)


def _stored_secret(settings: Settings) -> bytes:
    async def read() -> bytes:
        async with opened(settings) as db, db.write() as conn:
            return await shared_secret(conn, "console_sign_in")

    return asyncio.run(read())


def _signed_in(client: TestClient[Any]) -> bool:
    return client.get("/console", follow_redirects=False).status_code == 200


def test_a_matching_cookie_and_form_pair_of_the_attackers_choosing_is_refused(
    client: TestClient[Any], settings: Settings
) -> None:
    attacker = add_moderator(settings, "mallory")
    client.cookies.set("rg_console_sign_in", "chosen-by-the-attacker", path="/console")
    answer = client.post("/console/sign-in", data={"token": attacker, "csrf_token": "chosen-by-the-attacker"})
    assert answer.status_code == 403 and "expired" in answer.text
    assert not _signed_in(client)


def test_only_fresh_tokens_this_server_signed_are_accepted(client: TestClient[Any], settings: Settings) -> None:
    moderator = add_moderator(settings, "carla")
    issued = _form_token(client.get("/console/sign-in"))
    stamp, nonce, mac = issued.split(".")
    secret = _stored_secret(settings)
    for forged in (
        f"{stamp}.{nonce}.{mac[:-2]}AA",  # another signature
        f"{int(stamp) + 1}.{nonce}.{mac}",  # another time under the same signature
        new_sign_in_token(b"another-server's-secret-of-32-bytes"),
        new_sign_in_token(secret, now=time.time() - 3601),  # signed here, but more than an hour ago
    ):
        client.cookies.set("rg_console_sign_in", forged, path="/console")
        assert client.post("/console/sign-in", data={"token": moderator, "csrf_token": forged}).status_code == 403
        assert not _signed_in(client)
    fresh = new_sign_in_token(secret)
    client.cookies.set("rg_console_sign_in", fresh, path="/console")
    answer = client.post("/console/sign-in", data={"token": moderator, "csrf_token": fresh}, follow_redirects=False)
    assert answer.status_code == 303 and _signed_in(client)


def test_every_replica_accepts_the_sign_in_form_another_one_served(settings: Settings) -> None:
    moderator = add_moderator(settings, "carla")
    with TestClient(build_app(settings)) as first, TestClient(build_app(settings)) as second:
        token = _form_token(first.get("/console/sign-in"))
        second.cookies.set("rg_console_sign_in", token, path="/console")
        answer = second.post("/console/sign-in", data={"token": moderator, "csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 303, answer.text[:300]


def test_a_configured_secret_signs_the_tokens(settings: Settings) -> None:
    configured = settings.with_overrides(console_secret="s" * 32)
    moderator = add_moderator(settings, "carla")
    token = new_sign_in_token(b"s" * 32)
    with TestClient(build_app(configured)) as client:
        client.cookies.set("rg_console_sign_in", token, path="/console")
        answer = client.post("/console/sign-in", data={"token": moderator, "csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 303
    with pytest.raises(ValueError, match="at least 32"):
        settings.with_overrides(console_secret="short")


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-site"},  # a sibling origin: another port or subdomain, which may toss cookies
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://127.0.0.1:9"},  # a browser without Sec-Fetch-Site: the Origin names another origin
        {"Origin": "null"},
    ],
    ids=["same-site", "cross-site", "other-origin", "opaque-origin"],
)
def test_a_sign_in_posted_from_another_origin_is_refused(
    client: TestClient[Any], settings: Settings, headers: dict[str, str]
) -> None:
    moderator = add_moderator(settings, "carla")
    token = _form_token(client.get("/console/sign-in"))
    answer = client.post("/console/sign-in", data={"token": moderator, "csrf_token": token}, headers=headers)
    assert answer.status_code == 403 and "did not come from this console" in answer.text
    assert not _signed_in(client)
    own = {"Sec-Fetch-Site": "same-origin"} if "Sec-Fetch-Site" in headers else {"Origin": "http://testserver.local"}
    answer = client.post(
        "/console/sign-in", data={"token": moderator, "csrf_token": token}, headers=own, follow_redirects=False
    )
    assert answer.status_code == 303 and _signed_in(client)


def test_over_https_the_cookies_are_host_prefixed_and_secure(settings: Settings) -> None:
    moderator = add_moderator(settings, "carla")
    with TestClient(build_app(settings), base_url="https://console.example") as client:
        form = client.get("/console/sign-in")
        cookie = form.headers["set-cookie"]
        assert cookie.startswith("__Host-rg_console_sign_in=") and "Secure" in cookie and "Path=/;" in cookie
        assert "Domain" not in cookie
        token = _form_token(form)
        # The plain name is what a sibling or a plain-HTTP page could set: over HTTPS it is not read.
        plain = httpx.Cookies()
        plain.set("rg_console_sign_in", token, domain="console.example", path="/console")
        client.cookies = plain
        refused = client.post("/console/sign-in", data={"token": moderator, "csrf_token": token})
        assert refused.status_code == 403
        client.cookies.clear()
        token = _form_token(client.get("/console/sign-in"))
        answer = client.post("/console/sign-in", data={"token": moderator, "csrf_token": token}, follow_redirects=False)
        session = [value for name, value in answer.headers.multi_items() if name == "set-cookie"]
        assert any(c.startswith("__Host-rg_console=") and "Secure" in c and "HttpOnly" in c for c in session), session
        assert _signed_in(client)
        session_id = client.cookies.get("__Host-rg_console")
        assert session_id
        client.cookies.clear()
        client.cookies.set("rg_console", session_id)  # a session under the plain name is no session over HTTPS
        assert not _signed_in(client)


def test_behind_a_trusted_proxy_its_forwarded_scheme_decides(settings: Settings) -> None:
    behind_proxy = settings.with_overrides(trusted_proxies=("127.0.0.1",))
    with serving_in_process(build_app(behind_proxy), behind_proxy) as base:
        via_https = httpx.get(f"{base}/console/sign-in", headers={"X-Forwarded-Proto": "https"}, timeout=10)
        assert via_https.headers["set-cookie"].startswith("__Host-rg_console_sign_in=")
        via_http = httpx.get(f"{base}/console/sign-in", headers={"X-Forwarded-Proto": "http"}, timeout=10)
        assert via_http.headers["set-cookie"].startswith("rg_console_sign_in=")
    with serving_in_process(build_app(settings), settings) as base:  # no trusted proxy: the header is not believed
        answer = httpx.get(f"{base}/console/sign-in", headers={"X-Forwarded-Proto": "https"}, timeout=10)
        assert answer.headers["set-cookie"].startswith("rg_console_sign_in=")


def _signed_in_client(client: TestClient[Any], settings: Settings, name: str) -> str:
    token = add_moderator(settings, name)
    form = _form_token(client.get("/console/sign-in"))
    client.post("/console/sign-in", data={"token": token, "csrf_token": form})
    return _form_token(client.get("/console"))


def test_a_notice_in_a_link_shows_nothing_and_real_notices_still_show(
    client: TestClient[Any], settings: Settings
) -> None:
    csrf = _signed_in_client(client, settings, "carla")
    phishing = "Your session expired: sign in again at https://evil.example"
    for query in (f"notice={phishing}", "notice=approved", "notice=undone&sig=AAAA", "notice=nothing_to_undo"):
        page = client.get(f"/console?{query}")
        assert page.status_code == 200 and 'class="notice"' not in page.text, query
        assert "evil.example" not in page.text
    item = client.get(f"/console/items/{'0' * 8}-0000-7000-8000-{'0' * 12}?notice={phishing}")
    assert "evil.example" not in item.text
    # The console's own redirects carry a code it signed for this session, and the banner shows.
    undo = client.post("/console/undo", data={"csrf_token": csrf})
    assert undo.status_code == 200 and '<p class="notice" role="status">Nothing to undo</p>' in undo.text
    location = client.post("/console/undo", data={"csrf_token": csrf}, follow_redirects=False).headers["location"]
    assert "notice=nothing_to_undo" in location and "Nothing" not in location
    # Another session's signed link shows nothing here.
    with TestClient(build_app(settings)) as other:
        _signed_in_client(other, settings, "dana")
        assert 'class="notice"' not in other.get(location).text


def test_an_approval_notice_names_the_reply_from_the_database(client: TestClient[Any], settings: Settings) -> None:
    client.put("/api/v1/articles/banners", json={"status": "premoderated"},
               headers={"Authorization": f"Bearer {add_moderator(settings, 'root', 'admin')}"})  # fmt: skip
    held = client.post(URL, json=reply(POLITE[0], name="Ana Reader")).json()
    csrf = _signed_in_client(client, settings, "carla")
    done = client.post(f"/console/items/{held['id']}/decision", data={"csrf_token": csrf, "action": "approve"},
                       follow_redirects=False)  # fmt: skip
    assert "Ana" not in done.headers["location"]
    assert '<p class="notice" role="status">Approved: Ana Reader</p>' in client.get(done.headers["location"]).text
