"""No email address or issued secret reaches the log, however it is encoded (issue 20, finding 5).

A real `replyguard serve` with its access log on (the default): uvicorn writes each request line with the path quoted
again (an `@` in a path is written `%40`) and the query string as sent, so redaction must look after decoding.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from service.settings import Settings
from service.web.logs import redact
from tests.conftest import add_api_key, add_moderator
from tests.servers import free_port, running_server

LOCAL = "quentin.private"  # the part of the address that must never be logged


def test_encoded_emails_and_issued_tokens_never_reach_the_access_log(settings: Settings, tmp_path: Path) -> None:
    token = add_moderator(settings, "carla")
    key = add_api_key(settings, "site")
    port, log = free_port(), tmp_path / "server.log"
    email = f"{LOCAL}@example.org"
    raw_paths = [
        f"/api/v1/articles/{LOCAL}%40example.org/comments",  # an address in the path, %-encoded
        f"/api/v1/articles/{email}/comments",  # sent as @: uvicorn writes it %40
        f"/api/v1/articles/x/comments?email={LOCAL}%40example.org",
        f"/api/v1/articles/x/comments?email={LOCAL}%2540example.org",  # encoded twice
        f"/api/v1/articles/x/comments?e={LOCAL}%40example.org&n=%0A%22",  # with a newline and a quote to decode
        f"/api/v1/moderation/queue?token={token}",
        f"/api/v1/moderation/queue?t={token.replace('_', '%5F', 1)}",  # the prefix itself encoded
        f"/api/v1/articles/{token}/comments",  # a token is a valid article id: in the path
        f"/v1alpha1/comments:analyze?key={key}",
        f"/v1alpha1/comments:analyze?other={key}",
    ]
    with running_server(settings, port, log), httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        for raw in raw_paths:
            analyze = "analyze" in raw
            request = client.build_request("POST" if analyze else "GET", "/", json={} if analyze else None)
            request.url = request.url.copy_with(raw_path=raw.encode())
            assert client.send(request).status_code < 500, raw
    lines = log.read_text(encoding="utf-8").splitlines()
    access = [json.loads(line) for line in lines if line.startswith("{") and '"uvicorn.access"' in line]
    assert len(access) >= len(raw_paths), lines[-20:]  # every request was logged (and each line is one JSON object)
    text = "\n".join(lines)
    assert LOCAL not in text and "example.org" not in text
    for secret in (token, key, token.removeprefix("rg_"), key.removeprefix("rgk_")):
        assert secret not in text
    assert '"GET /api/v1/articles/x/comments?email=[email]' not in text  # the whole address-bearing line is redacted
    assert any("/api/v1/moderation/queue?token=[key]" in entry["message"] for entry in access)


def test_redaction_decodes_before_looking_and_keeps_clean_text_as_it_was() -> None:
    assert redact("GET /a/b%40c.org HTTP/1.1") == "GET [email] HTTP/1.1"
    assert redact("GET /x?token=rg_abcdefghijklmnop HTTP/1.1") == "GET /x?token=[key] HTTP/1.1"
    assert redact("token rg%5Fabcdefghijklmnop here") == "token [key] here"
    assert redact("password=hunter2&x=1") == "password=[key]&x=1"
    # Nothing to hide: the text stays as written, escapes and all.
    assert redact("GET /api/v1/articles/caf%C3%A9/comments?order=newest") == (
        "GET /api/v1/articles/caf%C3%A9/comments?order=newest"
    )
    assert redact("rg_console cookie set") == "rg_console cookie set"  # a name of ours, not a token
