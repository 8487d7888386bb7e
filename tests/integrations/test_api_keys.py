"""API keys as an operator manages them: `replyguard apikey add/revoke`, stored hashed, optionally expiring."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import select

from service.integrations.keys import create_api_key, find_api_key
from service.settings import Settings
from service.storage.database import opened
from service.storage.tables import api_keys
from tests.commands import run_cli

BLOG = "https://news.example"


def test_apikey_add_prints_a_key_that_works_until_revoked(settings: Settings, client: TestClient[Any]) -> None:
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    done = run_cli("apikey", "add", "blog-one", env=env)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("rgk_") and len(key) > 40
    assert client.post("/1.1/verify-key", data={"api_key": key, "blog": BLOG}).text == "valid"

    async def stored_hashes() -> list[str]:
        async with opened(settings) as db, db.read() as conn:
            return list((await conn.execute(select(api_keys.c.key_hash))).scalars())

    assert key not in repr(asyncio.run(stored_hashes()))  # only its SHA-256

    revoked = run_cli("apikey", "revoke", "blog-one", env=env)
    assert revoked.returncode == 0, revoked.stderr
    assert client.post("/1.1/verify-key", data={"api_key": key, "blog": BLOG}).text == "invalid"
    again = run_cli("apikey", "revoke", "blog-one", env=env)
    assert again.returncode == 1 and "no active API key" in again.stderr


def test_an_expired_key_is_refused(settings: Settings) -> None:
    async def check() -> tuple[bool, bool]:
        async with opened(settings) as db:
            async with db.write() as conn:
                _, fresh = await create_api_key(conn, "fresh", expires_in=timedelta(days=1))
                _, stale = await create_api_key(conn, "stale", expires_in=timedelta(seconds=-1))
            async with db.read() as conn:
                return await find_api_key(conn, fresh) is not None, await find_api_key(conn, stale) is not None

    assert asyncio.run(check()) == (True, False)


def test_moderator_tokens_are_not_api_keys(client: TestClient[Any], moderator_headers: dict[str, str]) -> None:
    token = moderator_headers["Authorization"].removeprefix("Bearer ")
    assert client.post("/1.1/verify-key", data={"api_key": token, "blog": BLOG}).text == "invalid"
