"""Abuse of the form itself: rate limits per address and per email, the honeypot, CORS and security headers."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from service.settings import Settings
from tests.conftest import SITE, build_app
from tests.replies import POLITE, reply

URL = "/api/v1/articles/limits/comments"


def test_too_many_submissions_from_one_email_get_429_with_retry_after(settings: Settings) -> None:
    limited = settings.with_overrides(rate_limit_enabled=True, submit_limit_per_email=2, submit_limit_per_address=50)
    with TestClient(build_app(limited)) as client:
        codes = [
            client.post(URL, json=reply(f"{POLITE[0]} {n}", email="Flood@example.org")).status_code for n in range(3)
        ]
        assert codes == [201, 201, 429]
        refused = client.post(URL, json=reply(POLITE[1], email="flood@EXAMPLE.org"))
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "flood" not in refused.text.lower()
        assert client.post(URL, json=reply(POLITE[2], email="someone.else@example.org")).status_code == 201
        assert client.get(f"{URL}/count").json()["count"] == 3


def test_too_many_submissions_from_one_address_get_429(settings: Settings) -> None:
    limited = settings.with_overrides(rate_limit_enabled=True, submit_limit_per_address=3)
    with TestClient(build_app(limited)) as client:
        codes = [client.post(URL, json=reply(POLITE[n], email=f"reader{n}@example.org")).status_code for n in range(4)]
        assert codes == [201, 201, 201, 429]
        assert client.get(f"{URL}/count").status_code == 200  # reading is not limited


def test_limits_off_lets_a_load_test_through(settings: Settings) -> None:
    unlimited = settings.with_overrides(rate_limit_enabled=False, submit_limit_per_address=1, submit_limit_per_email=1)
    with TestClient(build_app(unlimited)) as client:
        assert {client.post(URL, json=reply(f"{POLITE[0]} {n}")).status_code for n in range(4)} == {201}


def test_filled_honeypot_is_rejected_silently(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    response = client.post(URL, data={**reply(POLITE[0]), "homepage": "http://bot.example"})
    assert response.status_code == 201 and response.json()["status"] == "pending"
    detail = client.get(f"/api/v1/moderation/comments/{response.json()['id']}", headers=moderator_headers).json()
    assert detail["status"] == "rejected"
    assert [r["code"] for r in detail["reasons"]] == ["honeypot"]


def test_every_response_carries_security_headers(client: TestClient[Any]) -> None:
    for response in (client.get(URL), client.post(URL, json={}), client.get("/nowhere"), client.get("/health")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"


def test_cors_only_for_configured_site_origins(client: TestClient[Any]) -> None:
    allowed = client.get(URL, headers={"Origin": SITE})
    assert allowed.headers.get("access-control-allow-origin") == SITE
    foreign = client.get(URL, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers
    preflight = client.options(
        URL,
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "idempotency-key",
        },
    )
    assert preflight.status_code in {200, 204}
    assert "idempotency-key" in preflight.headers.get("access-control-allow-headers", "").lower()


def test_same_body_again_on_an_article_waits_for_a_person_whoever_sends_it(
    client: TestClient[Any], moderator_headers: dict[str, str]
) -> None:
    first = client.post(URL, json=reply(POLITE[0], email="repeat@example.org")).json()
    again = client.post(URL, json=reply(POLITE[0], email="repeat@example.org")).json()
    # Another sender's copy is held too: a rule that spared other emails told anyone who had sent the first.
    other_author = client.post(URL, json=reply(POLITE[0], email="someone@example.org")).json()
    assert first["status"] == "published"
    assert again["status"] == "pending" and other_author["status"] == "pending"
    for held in (again, other_author):
        detail = client.get(f"/api/v1/moderation/comments/{held['id']}", headers=moderator_headers).json()
        assert "duplicate" in {reason["code"] for reason in detail["reasons"]}
