"""The model card: what a model folder holds, how it was built, how good it is, and its tuned thresholds."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from classifier.thresholds import POLICIES, Thresholds

CARD_FILE = "card.json"
MODEL_FILE = "model.skops"
ENGLISH = "en"  # the one language a card without per-language metrics covers


def version_for(*, created_at: datetime, sha256: str) -> str:
    """Return "YYYYMMDD-<first 12 hex of the model file's sha256>": sortable by date, unique by content."""
    return f"{created_at:%Y%m%d}-{sha256[:12]}"


@dataclass(frozen=True)
class ModelCard:
    """Saved as card.json beside model.skops. Loading refuses a model whose sha256, scikit-learn or recipe differs.

    data_fingerprints maps each corpus to "sha256=<hex of its files>;rows=<rows kept after de-duplication>".
    metrics holds held-out quality per head; thresholds are the ones tuned on that held-out split.
    """

    version: str
    created_at: str
    sha256: str
    sklearn_version: str
    library_versions: dict[str, str]
    data_fingerprints: dict[str, str]
    metrics: dict[str, Any]
    thresholds: Thresholds
    # The text-to-features code the model was fitted with (pipeline.RECIPE); cards from before it existed say "1".
    recipe: str = "1"

    def policy_thresholds(self, policy: str) -> Thresholds:
        """The thresholds training placed under `policy` (see thresholds.POLICIES).

        The card's own `thresholds` are the default policy's; a card without the other policy's (a seed-only
        model, whose small-sample rule has no policies, or a card from before them) answers with its own.
        """
        if policy not in POLICIES:
            raise ValueError(f"unknown threshold policy {policy!r}; expected one of {', '.join(POLICIES)}")
        placed = self.metrics.get("operating_points", {}).get(policy, {}).get("thresholds")
        return Thresholds(**{k: float(v) for k, v in placed.items()}) if placed else self.thresholds

    def covers_language(self, code: str) -> bool:
        """Whether replies in language `code` (ISO 639-1) may be published on this model's word.

        A card whose metrics hold "languages" ({code: {"rows": {"spam": int, "abuse": int}, "roc_auc": {"spam":
        float | None, "abuse": float | None}, "covered": bool}}, written by training) answers that language's
        `covered` flag, False for a language it does not list. A card without it (every model trained before
        per-language metrics) was trained and evaluated on English only, and covers "en" alone.
        """
        languages = self.metrics.get("languages")
        if not isinstance(languages, dict):
            return code == ENGLISH
        entry = languages.get(code)
        return isinstance(entry, dict) and entry.get("covered") is True

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, thresholds as a nested object."""
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        """Inverse of to_dict; raises KeyError, TypeError or ValueError on a malformed card."""
        return cls(
            version=str(data["version"]),
            created_at=str(data["created_at"]),
            sha256=str(data["sha256"]),
            sklearn_version=str(data["sklearn_version"]),
            library_versions={str(k): str(v) for k, v in data["library_versions"].items()},
            data_fingerprints={str(k): str(v) for k, v in data["data_fingerprints"].items()},
            metrics=dict(data["metrics"]),
            thresholds=Thresholds(**{k: float(v) for k, v in data["thresholds"].items()}),
            recipe=str(data.get("recipe", "1")),
        )

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        return cls.from_dict(json.loads(text))
