"""The general heads of the last training, kept beside the models: a retraining whose corpora did not change reuses
them instead of fitting them again.

The service retrains when moderators have decided more replies, and the general heads are fitted on the corpora
alone (classifier/site.py corrects them with the decisions afterwards), so between two retrainings they are usually
the same fit of the same rows: about a third of a retraining's time on the full corpora. The cache is keyed by
everything that fit reads (the feature recipe, scikit-learn's version, the heads, and each row's text, labels,
weight and source), so any change to the corpora or to which corpus rows a decision displaced fits them anew. It is
loaded like a model (skops with the trusted-type list and a checked sha256), never unpickled, and holds one entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import sklearn
from sklearn.pipeline import Pipeline

from classifier.artifact import read_models, write_models
from classifier.card import ModelCard
from classifier.errors import ModelLoadError
from classifier.pipeline import RECIPE
from classifier.rows import LabelledRow
from classifier.thresholds import Thresholds
from classifier.weights import weights_fingerprint

# A dot folder under the models root: a model scan (folders holding card.json) never takes it for a model.
CACHE_FOLDER = ".general-heads"
CACHE_CARD = "heads.json"


def _row_bytes(row: LabelledRow) -> bytes:
    fields = (row.text, row.name, row.website, row.spam, row.abuse, row.weight, row.source)
    return "\0".join(repr(field) for field in fields).encode()


def in_fitting_order(rows: Sequence[LabelledRow]) -> list[LabelledRow]:
    """The rows in an order that depends on the rows alone (their digests'), not on what else was read with them:
    the calibrator's folds follow the order, so this makes the fit, and the cache key, a function of the rows."""
    return sorted(rows, key=lambda row: hashlib.blake2b(_row_bytes(row), digest_size=16).digest())


def rows_key(rows: Sequence[LabelledRow], heads: Sequence[str]) -> str:
    """What the general fit depends on, as a hex digest; rows in the order they are fitted."""
    digest = hashlib.sha256(f"{RECIPE}\0{sklearn.__version__}\0{','.join(heads)}\0{weights_fingerprint()}".encode())
    for row in rows:
        digest.update(b"\1" + _row_bytes(row))
    return digest.hexdigest()


def general_heads(
    models_root: Path | None,
    rows: list[LabelledRow],
    heads: Sequence[str],
    fit: Callable[[list[LabelledRow], Sequence[str]], dict[str, Pipeline]],
) -> tuple[dict[str, Pipeline], bool]:
    """The general heads for `rows` (from the cache under `models_root` when it holds this fit), and whether they
    came from the cache. Without a models root, or when the cache cannot be read, they are fitted."""
    if models_root is None:
        return fit(rows, heads), False
    key = rows_key(rows, heads)
    folder = models_root / CACHE_FOLDER / key
    cached = _read(folder)
    if cached is not None and set(cached) == set(heads):
        return cached, True
    pipelines = fit(rows, heads)
    # A full disk or a concurrent training's clean-up costs only the reuse: the next training fits them again.
    with contextlib.suppress(OSError):
        _write(models_root / CACHE_FOLDER, key, pipelines)
    return pipelines, False


def _read(folder: Path) -> dict[str, Pipeline] | None:
    try:
        card = ModelCard.from_json((folder / CACHE_CARD).read_text(encoding="utf-8"))
        return read_models(folder, card)
    except (OSError, ValueError, KeyError, TypeError, ModelLoadError):
        return None  # absent, half-written by a dead process, or from another version: fit again


def _write(cache: Path, key: str, pipelines: dict[str, Pipeline]) -> None:
    """Replace the cache's entry with this one; the folder appears whole or not at all."""
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=cache))
    sha256 = write_models(pipelines, staging)
    card = ModelCard(
        version=f"general-{key[:12]}",
        created_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        sha256=sha256,
        sklearn_version=sklearn.__version__,
        library_versions={},
        data_fingerprints={},
        metrics={"general_heads_of": key},
        # Never decides anything: the heads' thresholds are placed by the training that uses them.
        thresholds=Thresholds(spam_hold=0.5, spam_reject=0.99, abuse_hold=0.5, abuse_reject=0.99),
        recipe=RECIPE,
    )
    (staging / CACHE_CARD).write_text(card.to_json(), encoding="utf-8")
    for old in cache.iterdir():
        if old != staging:
            shutil.rmtree(old, ignore_errors=True)
    staging.rename(cache / key)
