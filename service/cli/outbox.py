"""`replyguard outbox status|replay ID`: how the outbox stands, and sending a dead message again."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from service.cli.jobs import run_on_database
from service.domain.delivery import replay
from service.errors import NotFound
from service.ids import parse_id
from service.settings import Settings
from service.storage import migrations
from service.storage import outbox as outbox_store


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    outbox = commands.add_parser("outbox", help="the messages waiting for delivery (webhooks, emails)")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    outbox_commands.add_parser(
        "status", help="how many messages are pending, sent and dead, and the age of the oldest pending one"
    ).set_defaults(run=_status)
    again = outbox_commands.add_parser(
        "replay", help="send the message with this delivery ID again from its first attempt (a dead one, say)"
    )
    again.add_argument("id", metavar="ID")
    again.set_defaults(run=_replay)


def _status(settings: Settings, _: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    backlog = run_on_database(settings, lambda db: db.run_read(outbox_store.backlog))
    for status in ("pending", "sent", "dead"):
        print(f"{status}: {backlog.counts.get(status, 0)}")
    if backlog.oldest_pending is not None:
        age = (datetime.now(UTC) - backlog.oldest_pending).total_seconds()
        print(f"oldest pending: {age:.0f} s")
    return 0


def _replay(settings: Settings, args: argparse.Namespace) -> int:
    message_id = parse_id(args.id)
    if message_id is None:
        print("replyguard: ID must be a delivery id (a UUID)", file=sys.stderr)
        return 2
    migrations.upgrade(settings.database_url)
    try:
        previous = run_on_database(settings, lambda db: replay(db, message_id))
    except NotFound as exc:
        print(f"replyguard: {exc}", file=sys.stderr)
        return 1
    if previous == "pending":
        print(f"message {message_id} is still pending; its retries go on")
    else:
        print(f"message {message_id} was {previous}; it is pending again and goes out at the next delivery round")
    return 0
