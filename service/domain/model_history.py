"""The registry's story for people: each model version (what it trained on, how it did on the site's own decisions),
who changed the active one and when, and where a rollback would go. Read by `replyguard model list` and the
console's model page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.storage import model_versions
from service.storage.database import Database


@dataclass(frozen=True, slots=True)
class VersionSummary:
    version: str
    created_at: datetime
    active: bool
    # Training rows (corpora and labels, after de-duplication and the corpora's held-out split), from its card.
    rows: int | None
    # Moderators' decisions and sites' feedback it trained on, and the site's decisions held out to judge it; None
    # for a model trained outside the service's learning round (the default model, a bundle, `replyguard train`).
    moderator_labels: int | None
    feedback_labels: int | None
    site_held_out: int | None
    # Its figures on the site's held-out decisions when it was judged (classifier/site_compare.py), and its
    # champion's on the same decisions; None when not measured.
    on_site: dict[str, Any] | None
    champion_on_site: dict[str, Any] | None
    verdict: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "active": self.active,
            "rows": self.rows,
            "moderator_labels": self.moderator_labels,
            "feedback_labels": self.feedback_labels,
            "site_held_out": self.site_held_out,
            "on_site": self.on_site,
            "champion_on_site": self.champion_on_site,
            "verdict": self.verdict,
        }


@dataclass(frozen=True, slots=True)
class Activation:
    at: datetime
    action: str  # "register", "promote", "rollback"
    by: str  # "cli", "auto", or "console: <moderator name>"
    from_version: str | None
    to_version: str

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "action": self.action,
            "by": self.by,
            "from": self.from_version,
            "to": self.to_version,
        }


@dataclass(frozen=True, slots=True)
class ModelHistory:
    versions: list[VersionSummary]  # oldest first: the learning curve reads left to right
    activations: list[Activation]  # newest first
    active: str | None
    rollback_to: str | None  # what `replyguard model rollback` would make active

    def as_json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "rollback_to": self.rollback_to,
            "versions": [version.as_json() for version in self.versions],
            "activations": [activation.as_json() for activation in self.activations],
        }


def _summary(row: Any) -> VersionSummary:
    training = dict(row.training or {})
    site = dict(row.site_comparison or {})
    rows = (row.card or {}).get("metrics", {}).get("rows", {}).get("train")
    if site:
        verdict = site.get("why")
        if not site.get("decided", True) and "corpora_not_worse" in site:
            verdict = f"{verdict}; on the corpora: {'not worse' if site['corpora_not_worse'] else 'worse'}"
    else:
        verdict = None
    return VersionSummary(
        version=row.version,
        created_at=row.created_at,
        active=bool(row.active),
        rows=int(rows) if rows is not None else None,
        moderator_labels=training.get("moderator_labels"),
        feedback_labels=training.get("feedback_labels"),
        site_held_out=training.get("site_held_out"),
        on_site=site.get("challenger"),
        champion_on_site=site.get("champion"),
        verdict=verdict,
    )


async def model_history(db: Database, *, activations: int = 50) -> ModelHistory:
    """Every registered version and the latest `activations` changes of the active one."""
    async with db.read() as conn:
        rows = await model_versions.all_versions(conn)
        changes = await model_versions.activations(conn, limit=activations)
        active = next((row.version for row in rows if row.active), None)
        rollback_to = await model_versions.version_before(conn, active) if active is not None else None
    return ModelHistory(
        versions=[_summary(row) for row in rows],
        activations=[
            Activation(
                at=change.created_at,
                action=change.action,
                by=f"console: {change.moderator}" if change.actor == "console" else change.actor,
                from_version=change.from_version,
                to_version=change.to_version,
            )
            for change in changes
        ],
        active=active,
        rollback_to=rollback_to,
    )
