"""Model versions: register a trained model folder, pick the active one, train the default when there is none."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from classifier import ModelLoadError, load_scorer, train_model
from classifier.card import ModelCard
from service.rules.policy import Overrides
from service.scoring.state import ScoringState
from service.settings import Settings
from service.storage import model_versions
from service.storage.database import Database

log = logging.getLogger(__name__)


def _read_card(model_dir: Path) -> tuple[ModelCard, str]:
    return ModelCard.from_json((model_dir / "card.json").read_text()), str(model_dir.resolve())


async def register_model(
    conn: AsyncConnection,
    model_dir: Path,
    *,
    activate: bool = True,
    actor: str = "cli",
    learned: dict[str, Any] | None = None,
) -> str:
    """Record the model folder's card; with activate, it becomes the one the service scores with (and the change is
    recorded as `actor`'s: "cli", "auto"). `learned`: what it trained on and how it compared (model_versions)."""
    card, path = await asyncio.to_thread(_read_card, model_dir)
    now = datetime.now(UTC)
    before = await model_versions.active_model(conn) if activate else None
    await model_versions.record_version(
        conn, card.version, path=path, card=card.to_dict(), activate=activate, now=now, learned=learned
    )
    if activate and (before is None or before.version != card.version):
        await model_versions.record_activation(
            conn,
            from_version=before.version if before is not None else None,
            to_version=card.version,
            action="register",
            actor=actor,
            moderator_id=None,
            now=now,
        )
    return card.version


async def load_active(db: Database, overrides: Overrides) -> ScoringState:
    """The active model, loaded; a missing or unloadable model gives a state that says why (and /ready is 503)."""
    async with db.read() as conn:
        row = await model_versions.active_model(conn)
    if row is None:
        return ScoringState(scorer=None, overrides=overrides, problem="no model is registered")
    try:
        scorer = await asyncio.to_thread(load_scorer, Path(row.path))
    except ModelLoadError as exc:
        log.error("cannot load model %s: %s", row.version, exc)
        return ScoringState(scorer=None, overrides=overrides, problem=f"model {row.version} cannot be loaded: {exc}")
    return ScoringState(scorer=scorer, overrides=overrides)


async def ensure_model(db: Database, settings: Settings) -> str:
    """The active model version, training and registering the default model first if none is registered."""
    async with db.read() as conn:
        row = await model_versions.active_model(conn)
    if row is not None:
        return str(row.version)
    log.info("no model registered: training the default model (data: %s)", settings.data_dir or "seed corpus only")
    model_dir = train_model(output_root=settings.model_dir, data_dir=settings.data_dir, progress=log.info)
    async with db.write() as conn:
        return await register_model(conn, model_dir, actor="auto")


async def refresh(db: Database, scoring: ScoringState) -> bool:
    """Switch `scoring` to the registry's active model if another one was promoted; True when it switched.

    The registry lives in the database, so every worker and replica converges on the promoted version. A model
    that cannot be loaded leaves the current one in place (and says so in the log and /ready's detail).
    """
    async with db.read() as conn:
        row = await model_versions.active_model(conn)
    if row is None or row.version == scoring.version:
        return False
    try:
        scorer = await asyncio.to_thread(load_scorer, Path(row.path))
    except ModelLoadError as exc:
        log.error("cannot switch to model %s: %s", row.version, exc)
        scoring.problem = f"model {row.version} cannot be loaded: {exc}"
        return False
    previous = scoring.version
    scoring.use(scorer)
    log.info("switched model", extra={"from_version": previous, "to_version": scorer.version})
    return True


async def follow_registry(db: Database, scoring: ScoringState, *, every_seconds: float) -> None:
    """Poll the registry until cancelled (started in service/web/runtime.py, which owns this task)."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await refresh(db, scoring)
        except Exception:  # a database hiccup must not kill the poller; the next round tries again
            log.warning("model registry poll failed", exc_info=True)
