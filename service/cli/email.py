"""`replyguard email suppress ADDRESS...`: record addresses the mailer must send nothing more, such as those a mail
provider's feedback loop reports as complaints (the service itself records unsubscribes and permanent bounces)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from service.cli.jobs import run_on_database
from service.rules.validation import normalised_email
from service.settings import Settings
from service.storage import email_addresses as address_store
from service.storage import migrations
from service.storage.tables import SUPPRESSION_REASONS


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    email = commands.add_parser("email", help="the mailer's suppression list")
    email_commands = email.add_subparsers(dest="email_command", required=True)
    suppress = email_commands.add_parser(
        "suppress", help="send these addresses nothing more (complaints from a feedback loop, say); '-' reads stdin"
    )
    suppress.add_argument("addresses", nargs="+", metavar="ADDRESS")
    suppress.add_argument("--reason", choices=SUPPRESSION_REASONS, default="complained")
    suppress.set_defaults(run=_suppress)


def _suppress(settings: Settings, args: argparse.Namespace) -> int:
    given = [line for line in sys.stdin.read().split() if line] if args.addresses == ["-"] else args.addresses
    addresses = [normalised_email(address) for address in given]
    if None in addresses:
        # Which ones, by position only: an address is never echoed to a terminal or a log.
        bad = ", ".join(str(n) for n, address in enumerate(addresses, start=1) if address is None)
        print(f"replyguard: not a valid email address: number {bad}; nothing was suppressed", file=sys.stderr)
        return 2
    migrations.upgrade(settings.database_url)
    now = datetime.now(UTC)

    async def record(conn: AsyncConnection) -> None:
        for address in sorted({address for address in addresses if address is not None}):
            await address_store.suppress_address(conn, address, reason=args.reason, now=now)

    run_on_database(settings, lambda db: db.run_write(record))
    print(f"{len(set(addresses))} address(es) suppressed ({args.reason})")
    return 0
