"""Every protected route, found by walking the app's routes, refuses a missing token (401) and a too-low role (403);
expired tokens are refused; a token guesser is answered 429."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.domain.auth import create_moderator
from service.settings import Settings
from service.storage.database import opened
from service.web.logs import JsonFormatter
from tests.conftest import add_moderator, build_app

SAMPLE_ID = "0190c2d4-8f5e-7000-8000-000000000000"
QUEUE = "/api/v1/moderation/queue"
RULES = "/api/v1/rules/"
ADMIN_ONLY = {("PUT", "/api/v1/articles/{article_id}"), ("GET", "/api/v1/articles/{article_id}"),
              ("POST", "/api/v1/admin/privacy/export"),
              ("POST", "/api/v1/admin/privacy/erase")}  # fmt: skip


def _protected(app: Litestar) -> list[tuple[str, str]]:
    routes = []
    for route in app.routes:
        for method in sorted(getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}):
            path = route.path_format if hasattr(route, "path_format") else route.path
            if path.startswith(("/api/v1/moderation", "/api/v1/admin", RULES)) or (method, path) in ADMIN_ONLY:
                routes.append((method, path))
    return routes


def _url(path: str) -> str:
    path = path.replace("{list_name}", "banned_phrases").replace("{entry_id}", "1")
    return path.replace("{comment_id}", SAMPLE_ID).replace("{article_id}", "some-article")


def test_every_protected_route_needs_a_token(client: TestClient[Any]) -> None:
    routes = _protected(client.app)
    assert len(routes) >= 6, routes
    for method, path in routes:
        assert client.request(method, _url(path), json={}).status_code == 401, (method, path)
        bad = client.request(method, _url(path), json={}, headers={"Authorization": "Bearer rg_not_a_token"})
        assert bad.status_code == 401, (method, path)


def test_admin_routes_refuse_moderators_and_moderator_routes_admit_them(
    client: TestClient[Any], moderator_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    for method, path in _protected(client.app):
        as_moderator = client.request(method, _url(path), json={}, headers=moderator_headers).status_code
        as_admin = client.request(method, _url(path), json={}, headers=admin_headers).status_code
        if (method, path) in ADMIN_ONLY or path.startswith(RULES):  # the site's rules: lists, modes, audit
            assert as_moderator == 403, (method, path)
        else:
            assert as_moderator not in {401, 403}, (method, path)
        assert as_admin not in {401, 403}, (method, path)


def _token(settings: Settings, name: str, expires_in: timedelta | None) -> str:
    async def create() -> str:
        async with opened(settings) as db, db.write() as conn:
            _, token = await create_moderator(conn, name, role="moderator", expires_in=expires_in)
            return token

    return asyncio.run(create())


def test_an_expired_token_is_refused_and_no_token_is_ever_logged(
    settings: Settings, client: TestClient[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    expired = _token(settings, "contractor", timedelta(microseconds=1))
    current = _token(settings, "shift", timedelta(days=1))
    assert client.get(QUEUE, headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    assert client.get(QUEUE, headers={"Authorization": f"Bearer {current}"}).status_code == 200
    assert client.get(QUEUE, headers={"Authorization": "Bearer rg_a_guess"}).status_code == 401
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert logged and expired not in logged and current not in logged and "rg_a_guess" not in logged


def test_repeated_bad_tokens_from_one_address_get_429(settings: Settings) -> None:
    limited = settings.with_overrides(rate_limit_enabled=True, auth_failure_limit_per_address=3)
    good = add_moderator(settings, "steady")
    with TestClient(build_app(limited)) as client:
        answers = [client.get(QUEUE, headers={"Authorization": f"Bearer rg_guess{n}"}) for n in range(5)]
        assert [answer.status_code for answer in answers] == [401, 401, 401, 429, 429]
        assert 1 <= int(answers[-1].headers["Retry-After"]) <= 301
        assert client.get(QUEUE).status_code == 429  # a missing token is a failure too
        # Only failures are counted: a moderator behind the same address still gets in.
        assert client.get(QUEUE, headers={"Authorization": f"Bearer {good}"}).status_code == 200
