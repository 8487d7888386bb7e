"""The console's model page: the versions and the site's learning curve for everyone signed in; promote and roll back
for admins only, with the session's CSRF token, each change recorded as the user's."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from classifier import train_model
from service.domain.model_history import model_history
from service.scoring.registry import register_model
from service.settings import Settings
from service.storage.database import opened
from tests.classifier.test_site_thresholds import busy_site_decisions
from tests.conftest import add_moderator

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _sign_in(client: TestClient[Any], token: str) -> str:
    form = client.get("/console/sign-in")
    client.post("/console/sign-in", data={"token": token, "csrf_token": CSRF.search(form.text)[1]})  # type: ignore[index]
    return str(CSRF.search(client.get("/console/model").text)[1])  # type: ignore[index]


def _register(settings: Settings, folder: Path) -> None:
    async def register() -> None:
        async with opened(settings) as db, db.write() as conn:
            await register_model(conn, folder, activate=False)

    asyncio.run(register())


def _active(settings: Settings) -> str | None:
    async def read() -> str | None:
        async with opened(settings) as db:
            return (await model_history(db)).active

    return asyncio.run(read())


def test_a_moderator_sees_the_versions_but_cannot_change_the_model(
    client: TestClient[Any], settings: Settings, model_dir: Path, seed_model_dir: Path
) -> None:
    _register(settings, seed_model_dir)
    csrf = _sign_in(client, add_moderator(settings, "mo"))
    page = client.get("/console/model").text
    assert seed_model_dir.name in page and "learning curve" in page
    assert "/console/model/promote" not in page and "/console/model/rollback" not in page
    refused = client.post("/console/model/promote", data={"csrf_token": csrf, "version": seed_model_dir.name})
    assert refused.status_code == 403 and "admin role" in refused.text
    assert _active(settings) == model_dir.name


def test_an_admin_promotes_with_the_sessions_csrf_token(
    client: TestClient[Any], settings: Settings, model_dir: Path, seed_model_dir: Path
) -> None:
    _register(settings, seed_model_dir)
    csrf = _sign_in(client, add_moderator(settings, "ad", "admin"))
    form = {"version": seed_model_dir.name}
    assert client.post("/console/model/promote", data={**form, "csrf_token": "forged"}).status_code == 403
    unknown = client.post("/console/model/promote", data={"version": "20990101-000000000000", "csrf_token": csrf})
    assert unknown.status_code == 404 and "no model 20990101-000000000000 is registered" in unknown.text
    assert _active(settings) == model_dir.name
    done = client.post("/console/model/promote", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "is now active" in page.text and "console: ad" in page.text
    assert _active(settings) == seed_model_dir.name
    assert client.get("/ready").json()["model"] == seed_model_dir.name  # this process switched at once


def test_the_page_says_where_the_thresholds_were_placed_and_what_they_imply(
    client: TestClient[Any], settings: Settings, tmp_path: Path
) -> None:
    _sign_in(client, add_moderator(settings, "mo"))
    general = client.get("/console/model").text
    assert "Placed on the training corpora" in general and "Placed on this site's" not in general
    site_model = train_model(output_root=tmp_path, data_dir=None, extra_rows=busy_site_decisions())

    async def activate() -> None:
        async with opened(settings) as db, db.write() as conn:
            await register_model(conn, site_model)

    asyncio.run(activate())
    page = client.get("/console/model").text
    assert re.search(r"Placed on this site's 400 moderator decisions \(site decisions, [^)]*\)", page)
    assert re.search(r"they imply: \d+\.\d% reviewed, \d+\.\d% of the bad ones published", page)
