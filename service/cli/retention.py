"""`replyguard privacy export|erase EMAIL` and `replyguard purge`: what is kept about people, and for how long."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

from service.cli.jobs import run_on_database
from service.domain import privacy
from service.settings import Settings
from service.storage import migrations


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    privacy_parser = commands.add_parser("privacy", help="export or erase what is stored about an email address")
    privacy_commands = privacy_parser.add_subparsers(dest="privacy_command", required=True)
    for name, text in (
        ("export", "print everything stored about EMAIL as JSON"),
        ("erase", "anonymise EMAIL's comments"),
    ):
        privacy_commands.add_parser(name, help=text).add_argument("email")
    privacy_parser.set_defaults(run=_privacy)
    purge = commands.add_parser(
        "purge", help="delete old rejected replies and delivered outbox messages (for a scheduler)"
    )
    purge.add_argument("--rejected-older-than-days", type=int, help="default: REPLYGUARD_RETENTION_REJECTED_DAYS")
    purge.add_argument("--outbox-older-than-days", type=int, help="default: REPLYGUARD_RETENTION_OUTBOX_DAYS")
    purge.add_argument(
        "--report-contacts-older-than-days", type=int, help="default: REPLYGUARD_RETENTION_REPORT_CONTACT_DAYS"
    )
    purge.set_defaults(run=_purge)


def _privacy(settings: Settings, args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    if args.privacy_command == "export":
        report = run_on_database(settings, lambda db: privacy.export_author(db, args.email, moderator_id=None))
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        count = run_on_database(settings, lambda db: privacy.erase_author(db, args.email, moderator_id=None))
        print(f"erased {count} comments")
    return 0


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    migrations.upgrade(settings.database_url)
    days = (
        args.rejected_older_than_days if args.rejected_older_than_days is not None else settings.retention_rejected_days
    )
    count = run_on_database(settings, lambda db: privacy.purge_rejected(db, older_than=timedelta(days=days)))
    print(f"purged {count} rejected comments older than {days} days")
    outbox_days = (
        args.outbox_older_than_days if args.outbox_older_than_days is not None else settings.retention_outbox_days
    )
    messages = run_on_database(settings, lambda db: privacy.purge_outbox(db, older_than=timedelta(days=outbox_days)))
    print(f"purged {messages} delivered, dead or skipped outbox messages older than {outbox_days} days")
    contact_days = (
        args.report_contacts_older_than_days
        if args.report_contacts_older_than_days is not None
        else settings.retention_report_contact_days
    )
    contacts = run_on_database(
        settings, lambda db: privacy.forget_report_contacts(db, older_than=timedelta(days=contact_days))
    )
    print(f"forgot {contacts} contact emails of readers' reports decided more than {contact_days} days ago")
    return 0
