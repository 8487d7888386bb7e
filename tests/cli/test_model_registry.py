"""`replyguard model list|promote|rollback`: the registry by hand, each change of the active model recorded."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from classifier import train_model
from service.scoring.registry import register_model
from service.settings import Settings
from service.storage.database import opened
from tests.commands import run_cli


@pytest.fixture(scope="module")
def third_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another seed-only model: its own version (skops bytes differ between trainings)."""
    return train_model(output_root=tmp_path_factory.mktemp("third-model"), data_dir=None)


def _register(settings: Settings, *folders: Path) -> None:
    async def register() -> None:
        async with opened(settings) as db, db.write() as conn:
            for folder in folders:
                await register_model(conn, folder, activate=False)

    asyncio.run(register())


def _env(settings: Settings) -> dict[str, str]:
    return {"REPLYGUARD_DATABASE_URL": settings.database_url, "REPLYGUARD_MODEL_DIR": str(settings.model_dir)}


def _listed(settings: Settings) -> dict[str, Any]:
    done = run_cli("model", "list", "--json", env=_env(settings))
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_promote_and_rollback_change_the_active_model_and_are_recorded(
    settings: Settings, model_dir: Path, seed_model_dir: Path
) -> None:
    _register(settings, seed_model_dir)
    before = _listed(settings)
    assert before["active"] == model_dir.name
    assert [(v["version"], v["active"]) for v in before["versions"]] == [
        (model_dir.name, True),
        (seed_model_dir.name, False),
    ]
    assert before["rollback_to"] is None

    promoted = run_cli("model", "promote", seed_model_dir.name, env=_env(settings))
    assert promoted.returncode == 0, promoted.stderr
    assert f"promoted {model_dir.name} -> {seed_model_dir.name}" in promoted.stdout
    after = _listed(settings)
    assert after["active"] == seed_model_dir.name and after["rollback_to"] == model_dir.name
    latest = after["activations"][0]
    assert (latest["action"], latest["by"], latest["from"], latest["to"]) == (
        "promote",
        "cli",
        model_dir.name,
        seed_model_dir.name,
    )

    rolled = run_cli("model", "rollback", env=_env(settings))
    assert rolled.returncode == 0, rolled.stderr
    assert f"rolled back {seed_model_dir.name} -> {model_dir.name}" in rolled.stdout
    back = _listed(settings)
    assert back["active"] == model_dir.name
    assert [(a["action"], a["to"]) for a in back["activations"]] == [
        ("rollback", model_dir.name),
        ("promote", seed_model_dir.name),
        ("register", model_dir.name),
    ]
    # The first model had nothing before it: a clear refusal, and nothing changes.
    again = run_cli("model", "rollback", env=_env(settings))
    assert again.returncode == 1 and f"no model was active before {model_dir.name}" in again.stderr
    assert _listed(settings)["active"] == model_dir.name

    text = run_cli("model", "list", env=_env(settings))
    assert text.returncode == 0 and "rollback by cli" in text.stdout and "active" in text.stdout


def test_rolling_back_twice_walks_two_steps_back(
    settings: Settings, model_dir: Path, seed_model_dir: Path, third_model_dir: Path
) -> None:
    _register(settings, seed_model_dir, third_model_dir)
    for version in (seed_model_dir.name, third_model_dir.name):
        assert run_cli("model", "promote", version, env=_env(settings)).returncode == 0
    assert run_cli("model", "rollback", env=_env(settings)).returncode == 0
    assert _listed(settings)["active"] == seed_model_dir.name
    assert run_cli("model", "rollback", env=_env(settings)).returncode == 0
    assert _listed(settings)["active"] == model_dir.name


def test_promoting_an_unknown_version_is_a_clear_error(settings: Settings, model_dir: Path) -> None:
    done = run_cli("model", "promote", "20990101-000000000000", env=_env(settings))
    assert done.returncode == 1
    assert "no model 20990101-000000000000 is registered" in done.stderr
    assert _listed(settings)["active"] == model_dir.name


def test_a_version_that_cannot_be_loaded_is_not_promoted(
    settings: Settings, model_dir: Path, seed_model_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / seed_model_dir.name
    shutil.copytree(seed_model_dir, broken)
    _register(settings, broken)
    with (broken / "model.skops").open("ab") as handle:
        handle.write(b"tampered")
    done = run_cli("model", "promote", seed_model_dir.name, env=_env(settings))
    assert done.returncode == 1 and "cannot be loaded" in done.stderr
    assert _listed(settings)["active"] == model_dir.name
    assert _listed(settings)["activations"][0]["action"] == "register"
