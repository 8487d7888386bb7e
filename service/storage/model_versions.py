"""SQL for the model registry (model_versions, model_activations): which trained models are known, which one is
active, and every change of the active one. Runs inside the caller's transaction; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.ids import new_id
from service.storage.tables import decisions, model_activations, model_versions, moderators


async def record_version(
    conn: AsyncConnection,
    version: str,
    *,
    path: str,
    card: dict[str, Any],
    activate: bool,
    now: datetime,
    learned: dict[str, Any] | None = None,
) -> None:
    """Record a model version (a known one keeps its row); with `activate`, it becomes the only active one.

    `learned` may hold the version's decisions_seen_at, training and site_comparison columns.
    """
    if activate:
        await conn.execute(update(model_versions).values(active=False))
    existing = (await conn.execute(select(model_versions.c.version).where(model_versions.c.version == version))).first()
    if existing is None:
        row = {"version": version, "path": path, "card": card, "active": activate, "created_at": now}
        await conn.execute(model_versions.insert(), {**row, **(learned or {})})
    elif activate:
        await conn.execute(update(model_versions).where(model_versions.c.version == version).values(active=True))


async def set_active(conn: AsyncConnection, version: str) -> None:
    """Make a registered version the only active one."""
    await conn.execute(update(model_versions).values(active=model_versions.c.version == version))


async def record_activation(
    conn: AsyncConnection,
    *,
    from_version: str | None,
    to_version: str,
    action: str,
    actor: str,
    moderator_id: int | None,
    now: datetime,
) -> None:
    await conn.execute(
        model_activations.insert(),
        {
            "id": new_id(),
            "from_version": from_version,
            "to_version": to_version,
            "action": action,
            "actor": actor,
            "moderator_id": moderator_id,
            "created_at": now,
        },
    )


async def active_model(conn: AsyncConnection) -> Row[Any] | None:
    """The active model's row; None when none is registered."""
    query = select(model_versions).where(model_versions.c.active.is_(True))
    return (await conn.execute(query)).first()


async def model_by_version(conn: AsyncConnection, version: str) -> Row[Any] | None:
    query = select(model_versions).where(model_versions.c.version == version)
    return (await conn.execute(query)).first()


async def all_versions(conn: AsyncConnection) -> Sequence[Row[Any]]:
    """Every registered version, oldest first."""
    query = select(model_versions).order_by(model_versions.c.created_at, model_versions.c.version)
    return (await conn.execute(query)).all()


async def activations(conn: AsyncConnection, *, limit: int = 100) -> Sequence[Row[Any]]:
    """The latest changes of the active model, newest first, with the console user's name (None for others)."""
    query = (
        select(model_activations, moderators.c.name.label("moderator"))
        .outerjoin(moderators, moderators.c.id == model_activations.c.moderator_id)
        .order_by(model_activations.c.created_at.desc(), model_activations.c.id.desc())
        .limit(limit)
    )
    return (await conn.execute(query)).all()


async def version_before(conn: AsyncConnection, version: str) -> str | None:
    """The version that was active before `version` last became active by a promotion or registration (rollbacks
    are skipped, so rolling back twice walks two steps back); None if nothing was active before it."""
    query = (
        select(model_activations.c.from_version)
        .where(model_activations.c.to_version == version, model_activations.c.action != "rollback")
        .order_by(model_activations.c.created_at.desc(), model_activations.c.id.desc())
        .limit(1)
    )
    return (await conn.execute(query)).scalar_one_or_none()


async def last_decisions_seen(conn: AsyncConnection) -> datetime | None:
    """When the newest training read the decisions: a version's decisions_seen_at, else its registration."""
    seen = func.coalesce(model_versions.c.decisions_seen_at, model_versions.c.created_at)
    return (await conn.execute(select(func.max(seen)))).scalar_one_or_none()


async def count_decisions_since(conn: AsyncConnection, since: datetime | None) -> int:
    """Moderators' decisions made after `since` (all of them for None)."""
    query = select(func.count()).select_from(decisions).where(decisions.c.actor == "moderator")
    if since is not None:
        query = query.where(decisions.c.created_at > since)
    return int((await conn.execute(query)).scalar_one())
