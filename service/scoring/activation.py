"""Changing the active model by hand: promote a registered version, or roll back to the one active before; each
change is recorded (who, when, from, to) beside the automatic ones (service/scoring/registry.py register_model)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from classifier import ModelLoadError, load_scorer
from service.errors import Conflict, NotFound
from service.storage import model_versions


async def _activate(
    conn: AsyncConnection, version: str, *, action: str, actor: str, moderator_id: int | None
) -> str | None:
    """Make `version` active after checking that its folder loads; returns the version it replaced (None if none).
    NotFound for an unregistered version, Conflict for one that cannot be loaded (the active one stays)."""
    row = await model_versions.model_by_version(conn, version)
    if row is None:
        raise NotFound(f"no model {version} is registered")
    before = await model_versions.active_model(conn)
    previous = str(before.version) if before is not None else None
    if previous == version:
        return previous
    try:
        # A version whose folder is gone or broken would leave every replica on the old model while the registry
        # named another: refuse it here instead.
        await asyncio.to_thread(load_scorer, Path(row.path))
    except ModelLoadError as exc:
        raise Conflict(f"model {version} cannot be loaded: {exc}") from exc
    now = datetime.now(UTC)
    await model_versions.set_active(conn, version)
    await model_versions.record_activation(
        conn, from_version=previous, to_version=version, action=action, actor=actor, moderator_id=moderator_id, now=now
    )
    return previous


async def promote_version(
    conn: AsyncConnection, version: str, *, actor: str, moderator_id: int | None = None
) -> str | None:
    """Make a registered version the active one; returns the version it replaced (itself if it already was)."""
    return await _activate(conn, version, action="promote", actor=actor, moderator_id=moderator_id)


async def roll_back(conn: AsyncConnection, *, actor: str, moderator_id: int | None = None) -> tuple[str, str]:
    """Make the version active before the current one active again; returns (from, to).

    "Before" skips rollbacks, so a second rollback goes one more step back. Conflict when there is no active model
    or no record of one before it.
    """
    current = await model_versions.active_model(conn)
    if current is None:
        raise Conflict("no model is active")
    earlier = await model_versions.version_before(conn, current.version)
    if earlier is None:
        raise Conflict(f"no model was active before {current.version}")
    await _activate(conn, earlier, action="rollback", actor=actor, moderator_id=moderator_id)
    return str(current.version), earlier
