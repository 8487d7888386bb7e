"""The model registry: promoted versions reach running services without a restart; broken ones are refused."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from service.rules.policy import overrides_from
from service.scoring.registry import load_active, refresh, register_model
from service.settings import Settings
from service.storage.database import opened
from tests.conftest import build_app


@pytest.fixture(scope="module")
def challenger_dir(seed_model_dir: Path, model_dir: Path) -> Path:
    assert seed_model_dir.name != model_dir.name  # a challenger must be another version
    return seed_model_dir


async def _promote(settings: Settings, model_dir: Path) -> str:
    async with opened(settings) as db, db.write() as conn:
        return await register_model(conn, model_dir)


def test_refresh_switches_to_a_promoted_model(settings: Settings, model_dir: Path, challenger_dir: Path) -> None:
    async def scenario() -> tuple[str | None, bool, str | None, bool]:
        async with opened(settings) as db:
            scoring = await load_active(db, overrides_from(settings))
            before = scoring.version
            unchanged = await refresh(db, scoring)
            async with db.write() as conn:
                await register_model(conn, challenger_dir)
            switched = await refresh(db, scoring)
            return before, unchanged, scoring.version, switched

    before, unchanged, after, switched = asyncio.run(scenario())
    assert before == model_dir.name and unchanged is False
    assert switched is True and after == challenger_dir.name


def test_a_tampered_model_is_refused_and_the_current_one_kept(
    settings: Settings, model_dir: Path, challenger_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / challenger_dir.name
    shutil.copytree(challenger_dir, broken)
    with (broken / "model.skops").open("ab") as handle:
        handle.write(b"tampered")

    async def scenario() -> tuple[bool, str | None, str | None]:
        async with opened(settings) as db:
            scoring = await load_active(db, overrides_from(settings))
            async with db.write() as conn:
                await register_model(conn, broken)
            return await refresh(db, scoring), scoring.version, scoring.problem

    switched, version, problem = asyncio.run(scenario())
    assert switched is False and version == model_dir.name
    assert problem is not None and "cannot be loaded" in problem


def test_running_service_follows_the_registry(settings: Settings, challenger_dir: Path) -> None:
    polling = settings.with_overrides(model_poll_seconds=0.1)
    with TestClient(build_app(polling)) as client:
        asyncio.run(_promote(polling, challenger_dir))
        deadline = time.monotonic() + 30  # a bound on waiting, not a speed claim
        while client.get("/ready").json()["model"] != challenger_dir.name:
            assert time.monotonic() < deadline, "the service never picked up the promoted model"
            time.sleep(0.1)
        created: Any = client.post(
            "/api/v1/articles/x/comments", json={"name": "A", "email": "a@example.org", "body": "Thanks."}
        )
        assert created.status_code == 201
