"""The model folder on disk: writing model.skops and card.json, and reading them back only if they can be trusted."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any, Final

import sklearn
import skops.io as sio
from sklearn.pipeline import Pipeline

from classifier.card import CARD_FILE, MODEL_FILE, ModelCard
from classifier.errors import ModelLoadError
from classifier.pipeline import HEADS, RECIPE

# Every non-builtin type a model file may contain. skops refuses anything else, and so do we, before it
# constructs a single object.
TRUSTED_TYPES: Final = (
    "numpy.float64",
    "numpy.ndarray",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.HashingVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
)


# Containers and scalars skops writes for the structure itself.
_STRUCTURAL_TYPES: Final = frozenset(
    f"builtins.{name}" for name in ("dict", "list", "tuple", "str", "int", "float", "bool", "NoneType")
)


def _types_in(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if "__class__" in node:
            found.add(f"{node.get('__module__')}.{node['__class__']}")
        for value in node.values():
            _types_in(value, found)
    elif isinstance(node, list):
        for value in node:
            _types_in(value, found)
    return found


def types_in_file(path: Path) -> set[str]:
    """Every type named anywhere in a skops file's schema, as "module.Class".

    skops trusts many types by default (any scikit-learn estimator, numpy ufuncs), so its own untrusted list
    would let a FunctionTransformer(numpy.<ufunc>) through; this lists everything, so nothing unexpected loads.
    """
    with zipfile.ZipFile(path) as archive:
        return _types_in(json.loads(archive.read("schema.json")), set())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_models(models: dict[str, Pipeline], folder: Path) -> str:
    """Write both heads' pipelines to folder/model.skops and return the file's sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MODEL_FILE
    # Deflate: untouched hash columns hold runs of equal idf and zero coefficients, which compress well.
    sio.dump(models, path, compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    return file_sha256(path)


def write_card(card: ModelCard, folder: Path) -> None:
    (folder / CARD_FILE).write_text(card.to_json(), encoding="utf-8")


def read_card(folder: Path) -> ModelCard:
    """The folder's card; ModelLoadError if the folder, the card or the model file is missing or malformed."""
    if not folder.is_dir():
        raise ModelLoadError(f"model folder {folder} does not exist")
    for name in (CARD_FILE, MODEL_FILE):
        if not (folder / name).is_file():
            raise ModelLoadError(f"model folder {folder} has no {name}")
    try:
        return ModelCard.from_json((folder / CARD_FILE).read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelLoadError(f"{folder / CARD_FILE} is not a valid model card: {exc}") from exc


def read_models(folder: Path, card: ModelCard) -> dict[str, Pipeline]:
    """Load the pipelines after checking the file against the card, the installed sklearn, the feature recipe
    and TRUSTED_TYPES."""
    path = folder / MODEL_FILE
    actual = file_sha256(path)
    if actual != card.sha256:
        raise ModelLoadError(f"{path} has sha256 {actual}, but its card says {card.sha256}: refusing to load")
    if card.sklearn_version != sklearn.__version__:
        raise ModelLoadError(
            f"{folder} was trained with scikit-learn {card.sklearn_version}, but {sklearn.__version__} is "
            "installed: retrain the model or install the matching version"
        )
    if card.recipe != RECIPE:
        raise ModelLoadError(
            f"{folder} was trained with feature recipe {card.recipe}, but this code builds recipe {RECIPE}: "
            "retrain the model"
        )
    try:
        allowed = set(TRUSTED_TYPES) | _STRUCTURAL_TYPES
        untrusted = (set(sio.get_untrusted_types(file=path)) | types_in_file(path)) - allowed
        if untrusted:
            raise ModelLoadError(f"{path} contains types outside the trusted list: {sorted(untrusted)}")
        models = sio.load(path, trusted=list(TRUSTED_TYPES))
    except ModelLoadError:
        raise
    except Exception as exc:  # skops raises many kinds of errors on a damaged zip or schema
        raise ModelLoadError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(models, dict) or set(models) != set(HEADS):
        raise ModelLoadError(f"{path} does not hold one pipeline per head {HEADS}")
    if not all(isinstance(model, Pipeline) for model in models.values()):
        raise ModelLoadError(f"{path} holds something other than scikit-learn Pipelines")
    return models
