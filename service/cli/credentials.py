"""`replyguard moderator add|revoke` and `replyguard apikey add|revoke`: a secret printed once, revoked at once (a
moderator's token within REPLYGUARD_MODERATION_CACHE_SECONDS: service/web/moderator_reads.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from service.cli.jobs import run_on_database
from service.domain.auth import Moderator, create_moderator, revoke_moderator
from service.errors import Conflict
from service.integrations.keys import ApiKey, create_api_key, revoke_api_key
from service.rules.validation import name_problem
from service.settings import Settings
from service.storage import migrations
from service.storage.database import Database

Holder = TypeVar("Holder")


@dataclass(frozen=True, slots=True)
class Credential(Generic[Holder]):
    """What tells a moderator's token from an API key on the command line; adding and revoking are one shape.

    `missing` and `revoked` are formatted with the holder's `name`.
    """

    command: str
    help: str
    add_help: str
    expires_help: str
    revoke_help: str
    create: Callable[[AsyncConnection, argparse.Namespace, timedelta | None], Awaitable[tuple[Holder, str]]]
    created: Callable[[Holder], str]  # the line printed before the secret
    revoke: Callable[[AsyncConnection, str], Awaitable[bool]]
    missing: str
    revoked: str
    roles: tuple[str, ...] = ()  # the first is the default; none, and there is no --role

    def add_commands(self, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        group = commands.add_parser(self.command, help=self.help)
        group_commands = group.add_subparsers(dest=f"{self.command}_command", required=True)
        add = group_commands.add_parser("add", help=self.add_help)
        add.add_argument("name")
        if self.roles:
            add.add_argument("--role", choices=list(self.roles), default=self.roles[0])
        add.add_argument("--expires-in-days", type=_positive_days, help=self.expires_help)
        add.set_defaults(run=self.run_add)
        revoke = group_commands.add_parser("revoke", help=self.revoke_help)
        revoke.add_argument("name")
        revoke.set_defaults(run=self.run_revoke)

    def run_add(self, settings: Settings, args: argparse.Namespace) -> int:
        problem = name_problem(args.name.strip())
        if problem is not None or args.name != args.name.strip():
            print(f"replyguard: the name {problem or 'must not start or end with spaces'}", file=sys.stderr)
            return 2
        migrations.upgrade(settings.database_url)

        async def add(db: Database) -> str:
            async with db.write() as conn:
                expires_in = timedelta(days=args.expires_in_days) if args.expires_in_days else None
                holder, secret = await self.create(conn, args, expires_in)
            print(self.created(holder))
            return secret

        try:
            print(run_on_database(settings, add))
        except Conflict as exc:
            print(f"replyguard: {exc.detail}", file=sys.stderr)
            return 1
        return 0

    def run_revoke(self, settings: Settings, args: argparse.Namespace) -> int:
        migrations.upgrade(settings.database_url)

        async def revoke(db: Database) -> bool:
            async with db.write() as conn:
                return await self.revoke(conn, args.name)

        if not run_on_database(settings, revoke):
            print(f"replyguard: {self.missing.format(name=args.name)}", file=sys.stderr)
            return 1
        print(self.revoked.format(name=args.name))
        return 0


def _positive_days(text: str) -> float:
    days = float(text)
    if not 0 < days <= 3650:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3650 days")
    return days


MODERATOR: Credential[Moderator] = Credential(
    command="moderator",
    help="manage moderators",
    add_help="create a moderator and print its token",
    expires_help="the token stops working after this many days",
    revoke_help="revoke a moderator's token at once",
    create=lambda conn, args, expires_in: create_moderator(conn, args.name, role=args.role, expires_in=expires_in),
    created=lambda moderator: (
        f"created {moderator.role} {moderator.name} (id {moderator.id}); the token is shown once:"
    ),
    revoke=revoke_moderator,
    missing="no active moderator named {name}",
    revoked="revoked {name}: servers refuse its token and sessions within REPLYGUARD_MODERATION_CACHE_SECONDS",
    roles=("moderator", "admin"),
)

API_KEY: Credential[ApiKey] = Credential(
    command="apikey",
    help="manage keys for the Akismet- and Perspective-compatible APIs",
    add_help="create an API key and print it (shown once)",
    expires_help="the key stops working after this many days",
    revoke_help="revoke an API key at once",
    create=lambda conn, args, expires_in: create_api_key(conn, args.name, expires_in=expires_in),
    created=lambda api_key: (
        f"created API key {api_key.name} (id {api_key.id}) for the Akismet and Perspective APIs; shown once:"
    ),
    revoke=revoke_api_key,
    missing="no active API key named {name}",
    revoked="revoked API key {name}: it no longer works",
)
