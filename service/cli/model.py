"""`replyguard train`, `evaluate`, `score` and `model bootstrap|list|promote|rollback`: the model's life from the
command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifier import compare_models, evaluate_model, load_scorer, train_model, write_report
from classifier.progress import to_stderr
from service.cli import model_registry
from service.cli.jobs import run_on_database
from service.cli.score import relevance_for, score_lines
from service.domain.labels import feedback_labels_rows, moderator_labels
from service.scoring.bootstrap import BUNDLED_MODELS, bootstrap_model
from service.scoring.registry import register_model
from service.settings import Settings
from service.storage import migrations
from service.storage.database import Database, opened
from service.storage.model_versions import active_model, model_by_version

log = logging.getLogger("replyguard")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = commands.add_parser("train", help="train, save and register a model")
    train.add_argument("--data-dir", help="folder of corpora (default: REPLYGUARD_DATA_DIR or ../shared/data)")
    train.add_argument("--promote", action="store_true", help="make the challenger active even if it is worse")
    train.add_argument("--dry-run", action="store_true", help="train and compare, register nothing")
    train.set_defaults(run=_train)
    evaluate = commands.add_parser("evaluate", help="report a model's quality on the corpora")
    evaluate.add_argument("--model", help="a registered version (default: the active one)")
    evaluate.add_argument("--model-dir", help="a model folder, instead of a registered version")
    evaluate.add_argument("--data-dir")
    evaluate.add_argument("--report", help="also write report.json, index.html and plots into this folder")
    evaluate.add_argument("--quick", action="store_true", help="skip the cross-domain refits (most of the time)")
    evaluate.set_defaults(run=_evaluate)
    score = commands.add_parser("score", help="score JSON lines from stdin to stdout")
    score.add_argument("--model", help="a registered version (default: the active one)")
    score.add_argument("--model-dir", help="a model folder, instead of a registered version")
    score.set_defaults(run=_score)
    model = commands.add_parser("model", help="manage the model registry")
    model_commands = model.add_subparsers(dest="model_command", required=True)
    bootstrap = model_commands.add_parser(
        "bootstrap",
        help="at deploy time, when no model is active: register the image's bundled model, or train the default one",
    )
    bootstrap.add_argument("--bundled-dir", default=str(BUNDLED_MODELS), help=f"default: {BUNDLED_MODELS}")
    bootstrap.set_defaults(run=_model_bootstrap)
    model_registry.add_model_commands(model_commands)


def _train(settings: Settings, args: argparse.Namespace) -> int:
    """Train a challenger on the corpora plus the moderators' decisions; promote it only if it is not worse."""
    migrations.upgrade(settings.database_url)
    data_dir = Path(args.data_dir) if args.data_dir else settings.data_dir
    outcome = run_on_database(settings, lambda db: _learn(db, settings, data_dir, args))
    print(json.dumps(outcome, indent=2, sort_keys=True))
    print(outcome["summary"])
    return 0


async def _learn(db: Database, settings: Settings, data_dir: Path | None, args: argparse.Namespace) -> dict[str, Any]:
    seen_at = datetime.now(
        UTC
    )  # decisions made after this are new to the challenger (automatic retraining counts them)
    async with db.read() as conn:
        decided = await moderator_labels(conn)
        reported = await feedback_labels_rows(conn)
        champion = await active_model(conn)
    # Moderators first: training keeps the first copy of a text, and a person's decision outranks a client site's.
    labels = decided + reported
    counts = {"moderator_labels": len(decided), "feedback_labels": len(reported)}
    log.info("training a challenger", extra={**counts, "data_dir": str(data_dir)})
    challenger_dir = await asyncio.to_thread(
        train_model, output_root=settings.model_dir, data_dir=data_dir, extra_rows=labels, progress=to_stderr
    )
    outcome: dict[str, Any] = {"challenger": challenger_dir.name, **counts}
    if champion is None:
        promote = True
        outcome["comparison"] = None
    else:
        comparison = await asyncio.to_thread(
            compare_models, Path(champion.path), challenger_dir, data_dir=data_dir, extra_rows=labels
        )
        outcome["comparison"] = comparison
        promote = bool(comparison["challenger_not_worse"]) or args.promote
    if args.dry_run:
        outcome["summary"] = f"dry run: challenger {challenger_dir.name} would {'' if promote else 'not '}be promoted"
        return outcome
    async with db.write() as conn:
        learned = {"decisions_seen_at": seen_at, "training": {**counts, "site_held_out": 0}}
        await register_model(conn, challenger_dir, activate=promote, learned=learned)
    verdict = (
        "promoted to the active model"
        if promote
        else f"registered; {champion.version if champion else ''} stays active"
    )
    outcome["summary"] = f"model {challenger_dir.name} {verdict}"
    outcome["promoted"] = promote
    return outcome


async def _model_path(settings: Settings, version: str | None) -> Path:
    async with opened(settings) as db, db.read() as conn:
        if version is None:
            row = await active_model(conn)
        else:
            row = await model_by_version(conn, version)
    if row is None:
        raise SystemExit(f"replyguard: no model {'is active' if version is None else version + ' is registered'}")
    return Path(row.path)


def _evaluate(settings: Settings, args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir) if args.data_dir else settings.data_dir
    if data_dir is None:
        raise SystemExit("replyguard: evaluate needs the corpora: set REPLYGUARD_DATA_DIR or pass --data-dir")
    model_dir = Path(args.model_dir) if args.model_dir else asyncio.run(_model_path(settings, args.model))
    report = evaluate_model(model_dir, data_dir=data_dir, refits=not args.quick)
    if args.report:
        page = write_report(report, Path(args.report))
        print(f"wrote {page}", file=sys.stderr)
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0


def _score(settings: Settings, args: argparse.Namespace) -> int:
    model_dir = Path(args.model_dir) if args.model_dir else asyncio.run(_model_path(settings, args.model))
    scorer = load_scorer(model_dir)
    return score_lines(scorer, sys.stdin, sys.stdout, relevance=relevance_for(scorer, settings))


def _model_bootstrap(settings: Settings, args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    print(asyncio.run(bootstrap_model(settings, bundled_root=Path(args.bundled_dir))))
    return 0
