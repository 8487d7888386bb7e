"""`replyguard model list|promote VERSION|rollback` and `replyguard worker`: the registry by hand, and the retraining
job and the outbox's delivery outside the web service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from typing import Any

from service.cli.jobs import run_on_database
from service.domain import couriers, queue_alerts
from service.domain.delivery import deliver_all_due, keep_delivering
from service.domain.learning import holder_name, keep_learning, learn_if_due
from service.domain.model_history import ModelHistory, VersionSummary, model_history
from service.errors import Conflict, NotFound
from service.scoring.activation import promote_version, roll_back
from service.settings import Settings
from service.storage import migrations
from service.storage.database import Database


def add_model_commands(model_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = model_commands.add_parser(
        "list", help="every registered version, how it did on the site's decisions, and who changed the active one"
    )
    listing.add_argument("--json", action="store_true", help="print it as JSON")
    listing.set_defaults(run=_list)
    promote = model_commands.add_parser("promote", help="make a registered VERSION the active model")
    promote.add_argument("version")
    promote.set_defaults(run=_promote)
    model_commands.add_parser(
        "rollback", help="make the version active before the current one active again"
    ).set_defaults(run=_rollback)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser(
        "worker",
        help="retrain when enough new moderator decisions arrived (REPLYGUARD_RETRAIN_* settings) and deliver the "
        "outbox's messages (REPLYGUARD_DELIVERY_* settings) and alert moderators of a long queue (REPLYGUARD_ALERT_*)",
    )
    worker.add_argument(
        "--once", action="store_true", help="one retraining round if one is due, deliver what is due now, then exit"
    )
    worker.set_defaults(run=_worker)


def _figure(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def _line(version: VersionSummary) -> str:
    on_site = version.on_site or {}
    auc = on_site.get("roc_auc", {})
    cells = [
        version.version,
        f"{version.created_at:%Y-%m-%d %H:%M}",
        "active" if version.active else "-",
        _figure(version.rows),
        _figure(version.moderator_labels),
        _figure(version.site_held_out),
        f"{_figure(auc.get('spam'))}/{_figure(auc.get('abuse'))}",
        _figure(on_site.get("review_rate")),
        _figure(on_site.get("bad_published")),
    ]
    return "  ".join(cells)


def _print_history(history: ModelHistory) -> None:
    print(
        "version  created (UTC)  active  rows  decisions  site held-out  site ROC AUC spam/abuse  review  bad published"
    )
    for version in history.versions:
        print(_line(version))
        if version.verdict:
            print(f"    judged: {version.verdict}")
    print(f"rollback returns to: {history.rollback_to or 'nothing (no earlier active version recorded)'}")
    print("changes of the active model, newest first:")
    for change in history.activations:
        print(f"  {change.at:%Y-%m-%d %H:%M:%S}  {change.action} by {change.by}: {change.from_version or '-'} -> "
              f"{change.to_version}")  # fmt: skip


def _list(settings: Settings, args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    history = run_on_database(settings, model_history)
    if args.json:
        print(json.dumps(history.as_json(), indent=2, sort_keys=True))
    else:
        _print_history(history)
    return 0


async def _change(db: Database, version: str | None) -> str:
    """Promote `version`, or roll back when it is None."""
    async with db.write() as conn:
        if version is not None:
            previous = await promote_version(conn, version, actor="cli")
            return f"model {version} is already active" if previous == version else f"promoted {previous} -> {version}"
        was, now = await roll_back(conn, actor="cli")
        return f"rolled back {was} -> {now}"


def _run_change(settings: Settings, version: str | None) -> int:
    migrations.upgrade(settings.database_url)
    try:
        print(run_on_database(settings, lambda db: _change(db, version)))
    except (NotFound, Conflict) as exc:
        print(f"replyguard: {exc}", file=sys.stderr)
        return 1
    print("running services switch to it within REPLYGUARD_MODEL_POLL_SECONDS")
    return 0


def _promote(settings: Settings, args: argparse.Namespace) -> int:
    return _run_change(settings, args.version)


def _rollback(settings: Settings, args: argparse.Namespace) -> int:
    return _run_change(settings, None)


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    if args.once:
        outcome = run_on_database(settings, lambda db: learn_if_due(db, settings, holder=holder_name()))
        print(json.dumps(outcome, indent=2, sort_keys=True, default=str) if outcome else "no retraining due")
        run_on_database(settings, lambda db: _deliver_once(db, settings))
        return 0
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the worker; a training child dies with it
        run_on_database(settings, lambda db: _work(db, settings))
    return 0


async def _deliver_once(db: Database, settings: Settings) -> int:
    senders = couriers.senders(settings, db)
    try:
        return await deliver_all_due(db, senders, couriers.delivery_options(settings), holder=holder_name())
    finally:
        for sender in senders.values():
            await sender.close()


async def _work(db: Database, settings: Settings) -> None:
    """Retraining, delivery and the queue alerts side by side until interrupted."""
    senders = couriers.senders(settings, db)
    jobs = [keep_learning(db, settings), keep_delivering(db, senders, couriers.delivery_options(settings))]
    alert_rule = queue_alerts.rule_from(settings)
    if alert_rule is not None:
        jobs.append(queue_alerts.keep_watching(db, alert_rule, every_seconds=settings.alert_check_seconds))
    try:
        await asyncio.gather(*jobs)
    finally:
        for sender in senders.values():
            await sender.close()
