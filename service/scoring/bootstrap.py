"""Deploy-time model bootstrap: before the replicas start, make sure the registry has an active model.

Run once per release by the one-shot that follows `replyguard migrate` (compose's `model-init`, the Kubernetes
migration Job) as `replyguard model bootstrap`. The replicas then run with REPLYGUARD_TRAIN_IF_MISSING=false, so two
of them never train and register a first model at the same time.

- A model is already active: nothing to do (retraining is the scheduled `replyguard train`'s job).
- The image bundles a model (built with TRAIN_MODEL=true): copy it into REPLYGUARD_MODEL_DIR, the volume every
  replica mounts at the same path, and register it there. The registry stores the folder's absolute path.
- Otherwise: train the default model on REPLYGUARD_DATA_DIR (the seed corpus when unset) and register it, as
  `replyguard serve` would.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from service.scoring.registry import ensure_model, register_model
from service.settings import Settings
from service.storage.database import Database, opened
from service.storage.model_versions import active_model

# Where the image's model stage leaves the model it trained (deploy/Dockerfile).
BUNDLED_MODELS: Final = Path("/opt/replyguard/bundled-models")

TrainDefault = Callable[[Database, Settings], Awaitable[str]]


def bundled_model(root: Path) -> Path | None:
    """The newest model folder shipped in the image (versions sort by date), if any."""
    folders = sorted(card.parent for card in root.glob("*/card.json")) if root.is_dir() else []
    return folders[-1] if folders else None


def install_model(source: Path, model_root: Path) -> Path:
    """Copy a model folder into the model volume under its own name; a complete copy only ever appears there."""
    target = model_root / source.name
    if (target / "card.json").is_file():
        return target
    model_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".bundled-", dir=model_root))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


async def bootstrap_model(
    settings: Settings, *, bundled_root: Path = BUNDLED_MODELS, train_default: TrainDefault = ensure_model
) -> str:
    """Ensure an active model; return what was done, in one line. `train_default` is a seam for tests."""
    async with opened(settings) as db:
        async with db.read() as conn:
            row = await active_model(conn)
        if row is not None:
            return f"model {row.version} is active: nothing to do"
        source = bundled_model(bundled_root)
        if source is not None:
            target = await asyncio.to_thread(install_model, source, settings.model_dir)
            async with db.write() as conn:
                version = await register_model(conn, target)
            return f"registered the image's bundled model {version} from {target}"
        version = await train_default(db, settings)
        return f"trained and registered the default model {version}"
