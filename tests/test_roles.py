"""Every protected route, found by walking the app's routes, refuses a missing token (401) and a too-low role (403)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

SAMPLE_ID = "0190c2d4-8f5e-7000-8000-000000000000"
ADMIN_ONLY = {("PUT", "/api/v1/articles/{article_id}"), ("POST", "/api/v1/admin/privacy/export"),
              ("POST", "/api/v1/admin/privacy/erase")}  # fmt: skip


def _protected(app: Litestar) -> list[tuple[str, str]]:
    routes = []
    for route in app.routes:
        for method in sorted(getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}):
            path = route.path_format if hasattr(route, "path_format") else route.path
            if path.startswith(("/api/v1/moderation", "/api/v1/admin")) or (method, path) in ADMIN_ONLY:
                routes.append((method, path))
    return routes


def _url(path: str) -> str:
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
        if (method, path) in ADMIN_ONLY:
            assert as_moderator == 403, (method, path)
        else:
            assert as_moderator not in {401, 403}, (method, path)
        assert as_admin not in {401, 403}, (method, path)
