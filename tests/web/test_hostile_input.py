"""Hostile bodies and paths get a clean 4xx, never a 500 (issue 20, finding 3), on a real server over HTTP.

Every route that takes a body is walked, found from the OpenAPI schema (plus the console's form posts, which the
schema leaves out; a route in neither list fails the walk), with JSON nested 30,000 deep, bytes that are not UTF-8
inside a JSON string, a lone surrogate escape, and broken forms. Perspective's routes must answer in Google's
error shape; no answer may name a file or folder of the server.
"""

from __future__ import annotations

import http.client
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar.testing import TestClient

import service
from service.app import create_app
from service.errors import BadRequest
from service.integrations import coral
from service.settings import Settings
from service.web.payloads import MAX_JSON_DEPTH, check_json_nesting
from tests.conftest import add_api_key, add_moderator
from tests.replies import POLITE, reply

CORAL_SECRET = "empsec_" + "h" * 32
DEEP_ARRAYS = b"[" * 30_000 + b"]" * 30_000  # 60 KB: under the 64 KiB body limit, so the decoder would see it
DEEP_OBJECTS = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
NOT_UTF8 = b'{"name": "Ana \xff\xfe", "email": "ana@example.org", "body": "caf\xc3"}'
LONE_SURROGATE = b'{"name": "Ana", "email": "ana@example.org", "body": "\\ud800 alone"}'
JSON_BODIES = {
    "deep-arrays": DEEP_ARRAYS,
    "deep-objects": DEEP_OBJECTS,
    "not-utf8": NOT_UTF8,
    "surrogate": LONE_SURROGATE,
}
FORM_BODIES = {
    "raw-not-utf8": b"name=Ana\xff&email=ana%40example.org&body=hello",
    "escaped-not-utf8": b"name=Ana%FF%FE&email=ana%40example.org&body=hello&csrf_token=%C3",
    "escaped-surrogate": b"name=%ED%A0%80&email=ana%40example.org&body=hello",
}
# The console's posts: forms read by the same reader, left out of the schema (include_in_schema=False).
CONSOLE_POSTS = {
    "/console/sign-in",
    "/console/sign-out",
    "/console/items/{comment_id}/decision",
    "/console/bulk",
    "/console/undo",
    "/console/rules/entries",
    "/console/rules/entries/{list_name}/{entry_id}/remove",
    "/console/rules/modes",
    "/console/rules/settings",
    "/console/authors/sanction",
    "/console/items/{comment_id}/sanction",
    "/console/model/promote",
    "/console/model/rollback",
    "/console/webhooks",
    "/console/webhooks/{endpoint_id}/test",
    "/console/webhooks/{endpoint_id}/secret",
    "/console/webhooks/{endpoint_id}/remove",
    "/console/outbox/{message_id}/replay",
    "/console/appeals/{appeal_id}/decision",
    "/console/reports/{comment_id}/decision",
    # The pages of the links in mails: they read no body (RFC 8058's one-click body needs no reading).
    "/email/confirm",
    "/email/unsubscribe",
    # The appeal page of a statement of reasons: a form read by hand, tested in tests/web/test_appeals.py.
    "/appeals/new",
}
SERVER_FOLDER = str(Path(service.__file__).resolve().parent.parent)


def raw_request(
    base_url: str, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request with its target sent exactly as written: httpx resolves `..` and `.` segments before sending."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(coral_signing_secrets=(CORAL_SECRET,))


@pytest.fixture
def walk(settings: Settings, live_server: str) -> Iterator[tuple[httpx.Client, dict[str, str], str]]:
    """A client of the real server, an admin's headers, and an API key."""
    admin = {"Authorization": f"Bearer {add_moderator(settings, 'root', 'admin')}"}
    with httpx.Client(base_url=live_server, timeout=30) as client:
        yield client, admin, add_api_key(settings, "site")


def _concrete(path: str, key: str) -> str:
    path = path.replace("{article_id}", "hostile").replace("{comment_id}", str(uuid.uuid4()))
    path = path.replace("{list_name}", "banned_phrases").replace("{entry_id}", "1").replace("{endpoint_id}", "1")
    path = path.replace("{message_id}", str(uuid.uuid4()))
    return f"{path}?key={key}" if path.startswith("/v1alpha1/") else path


def _assert_clean_refusal(answer: httpx.Response, what: str) -> None:
    assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text[:300])
    assert SERVER_FOLDER not in answer.text, (what, answer.text[:300])
    if "/v1alpha1/" in what:  # Perspective clients parse Google's shape, whatever the refusal
        error = answer.json()["error"]
        assert error["code"] == answer.status_code and error["status"] and error["message"], what


def _post(client: httpx.Client, method: str, url: str, body: bytes, media_type: str, headers: dict[str, str]) -> Any:
    sent = {**headers, "Content-Type": media_type}
    if url.startswith("/coral/"):  # signed, so the body reaches the parser (an unsigned one stops at 401)
        sent["X-Coral-Signature"] = coral.sign(body, [CORAL_SECRET])
    return client.request(method, url, content=body, headers=sent)


def test_every_body_taking_route_refuses_hostile_bodies_with_a_4xx(
    walk: tuple[httpx.Client, dict[str, str], str],
) -> None:
    client, admin, key = walk
    schema = client.get("/schema/openapi.json").json()
    operations = [
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in {"post", "put", "patch", "delete"}
    ]
    app_posts = {
        route.path_format
        for route in create_app(Settings(data_dir=None)).routes
        if getattr(route, "methods", set()) & {"POST", "PUT", "PATCH", "DELETE"}
    }
    # A route that takes a body and is in neither list would escape this walk.
    assert app_posts == {path for _, path in operations} | CONSOLE_POSTS
    assert len(operations) >= 12
    answers = 0
    for method, path in operations:
        url = _concrete(path, key)
        for name, body in JSON_BODIES.items():
            _assert_clean_refusal(_post(client, method, url, body, "application/json", admin), f"{url} {name}")
            answers += 1
        for name, body in FORM_BODIES.items():
            form = "application/x-www-form-urlencoded"
            _assert_clean_refusal(_post(client, method, url, body, form, admin), f"{url} form {name}")
            answers += 1
    print(f"hostile bodies: {answers} answers from {len(operations)} operations, none a 5xx")


def test_deep_json_is_400_naming_the_limit_and_unicode_errors_are_400(client: TestClient[Any]) -> None:
    url = "/api/v1/articles/hostile/comments"
    for body in (DEEP_ARRAYS, DEEP_OBJECTS):
        answer = client.post(url, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and "nested too deeply" in answer.json()["detail"]
    for body in (NOT_UTF8, LONE_SURROGATE):
        answer = client.post(url, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and answer.json()["detail"] == "The body is not valid JSON"
    # Still an ordinary reply once it is readable.
    assert client.post(url, json=reply(POLITE[0])).status_code == 201


def test_perspective_refusals_keep_googles_shape(client: TestClient[Any], settings: Settings) -> None:
    key = add_api_key(settings, "site")
    for body in (DEEP_ARRAYS, NOT_UTF8):
        answer = client.post(
            f"/v1alpha1/comments:analyze?key={key}", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["status"] == "INVALID_ARGUMENT", answer.text


def test_console_forms_with_hostile_bytes_or_tokens_are_refused_cleanly(
    client: TestClient[Any], settings: Settings
) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # A non-ASCII CSRF token: compare_digest refuses non-ASCII text with a TypeError; here it is just a wrong token.
    sign_in = client.get("/console/sign-in")
    answer = client.post("/console/sign-in", data={"token": "rg_x", "csrf_token": "jeton-é"})
    assert answer.status_code == 403 and "expired" in answer.text
    for body in (b"token=rg_x&csrf_token=\xff\xfe", b"csrf_token=%FF%FE"):
        assert client.post("/console/sign-in", content=body, headers=form).status_code == 400
    assert sign_in.status_code == 200
    token = add_moderator(settings, "carla")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/sign-in").text)
    assert csrf is not None
    client.post("/console/sign-in", data={"token": token, "csrf_token": csrf.group(1)})
    for path in ("/console/undo", "/console/bulk", f"/console/items/{uuid.uuid4()}/decision", "/console/sign-out"):
        refused = client.post(path, data={"csrf_token": "jeton-é", "action": "approve"}, follow_redirects=False)
        assert refused.status_code == 403, (path, refused.status_code)
        for body in (b"csrf_token=\xff", b"csrf_token=%ED%A0%80"):
            answer = client.post(path, content=body, headers=form, follow_redirects=False)
            assert answer.status_code == 400, (path, answer.status_code)
        # Brackets are a form field's name here, not JSON: a form without the token.
        assert client.post(path, content=DEEP_ARRAYS, headers=form, follow_redirects=False).status_code == 403
    assert client.get("/console", follow_redirects=False).status_code == 200  # still signed in: nothing was done


@pytest.mark.parametrize(
    "path",
    [
        "/console/static/console.js%00.css",
        "/console/static/console.js/..",
        "/console/static/.",
        "/console/static/",
        "/console/static/..%2F..%2Fapp.py",
        "/console/static/%2e%2e/templates/console/base.html",
    ],
)
def test_odd_static_paths_are_a_plain_404(live_server: str, path: str) -> None:
    status, _, body = raw_request(live_server, "GET", path)
    assert status == 404, body
    assert json.loads(body) == {"status_code": 404, "detail": "Not Found"}
    assert SERVER_FOLDER.encode() not in body


def test_console_files_are_served_with_a_content_etag(client: TestClient[Any]) -> None:
    script = client.get("/console/static/console.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert (
        client.get("/console/static/console.js", headers={"If-None-Match": script.headers["etag"]}).status_code == 304
    )
    css = client.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["etag"] != script.headers["etag"]


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), True),
        (b'{"a": [1, {"b": [[], {}]}], "c": {"d": {}}}', False),
        (b'{"body": "' + b"[{" * 5000 + b'"}', False),  # brackets inside a string are text
        (b'{"body": "\\"' + b"[" * 100 + b'", "x": [1]}', False),  # an escaped quote does not end the string
        (b'"' + b'\\"' * 20_000, False),  # an unterminated string of escaped quotes: linear, then the decoder's
        (b"[[]" * 20, True),  # unbalanced: refused as not JSON
        (b"[[]" * 15_000 + b"]" * 15_000, True),  # deep without 9 openers in a row
    ],
)
def test_nesting_is_measured_without_parsing(text: bytes, refused: bool) -> None:
    if refused:
        with pytest.raises(BadRequest):
            check_json_nesting(text)
    else:
        check_json_nesting(text)
