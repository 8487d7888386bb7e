"""`replyguard moderator|apikey add` after `revoke` (issue 20, finding 10): the name comes back with a new secret,
an active name is refused in plain words, and no command error prints SQL, parameters or hashes."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient

from service.settings import Settings
from tests.commands import run_cli

QUEUE = "/api/v1/moderation/queue"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# What a leaked SQL error looks like: a statement, its parameters, or a 64-hex-digit hash.
LEAKS = re.compile(r"INSERT|UPDATE|SELECT|\[parameters|\[SQL|sqlalche\.me|[0-9a-f]{64}", re.IGNORECASE)


def _token(done: Any) -> str:
    assert done.returncode == 0, done.stderr
    return str(done.stdout.strip().splitlines()[-1])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_revoked_moderator_can_be_added_again_with_a_new_token(settings: Settings, client: TestClient[Any]) -> None:
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    first = _token(run_cli("moderator", "add", "bob", env=env))
    # Signed in to the console with the first token: the session must not come back with the name.
    form = CSRF.search(client.get("/console/sign-in").text)
    assert form is not None
    client.post("/console/sign-in", data={"token": first, "csrf_token": form.group(1)})
    assert client.get("/console", follow_redirects=False).status_code == 200
    assert run_cli("moderator", "revoke", "bob", env=env).returncode == 0
    again = run_cli("moderator", "add", "bob", "--role", "admin", env=env)
    second = _token(again)
    assert second != first and "admin bob" in again.stdout and not LEAKS.search(again.stdout + again.stderr)
    assert client.get(QUEUE, headers=_bearer(second)).status_code == 200
    assert client.put("/api/v1/articles/roles", json={"status": "open"}, headers=_bearer(second)).status_code == 200
    assert client.get(QUEUE, headers=_bearer(first)).status_code == 401  # the old token stays dead
    assert client.get("/console", follow_redirects=False).status_code == 303  # and so does its session


def test_adding_an_active_name_is_refused_in_plain_words(settings: Settings, client: TestClient[Any]) -> None:
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    token = _token(run_cli("moderator", "add", "carla", env=env))
    refused = run_cli("moderator", "add", "carla", env=env)
    assert refused.returncode == 1
    assert "carla is active; revoke it first" in refused.stderr and refused.stdout == ""
    assert not LEAKS.search(refused.stderr) and "Traceback" not in refused.stderr
    assert client.get(QUEUE, headers=_bearer(token)).status_code == 200  # the active one is untouched


def test_api_keys_follow_the_same_rules(settings: Settings, client: TestClient[Any]) -> None:
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    first = _token(run_cli("apikey", "add", "blog", env=env))
    refused = run_cli("apikey", "add", "blog", env=env)
    assert refused.returncode == 1 and "revoke it first" in refused.stderr and not LEAKS.search(refused.stderr)
    assert run_cli("apikey", "revoke", "blog", env=env).returncode == 0
    second = _token(run_cli("apikey", "add", "blog", env=env))
    verify = "/1.1/verify-key"
    assert client.post(verify, data={"key": second, "blog": "https://news.example"}).text == "valid"
    assert client.post(verify, data={"key": first, "blog": "https://news.example"}).text == "invalid"


def test_names_that_cannot_be_shown_as_they_are_are_refused(settings: Settings) -> None:
    env = {"REPLYGUARD_DATABASE_URL": settings.database_url}
    for name in ("Adm\u200bin", "x" * 81, " padded "):
        refused = run_cli("moderator", "add", name, env=env)
        assert refused.returncode == 2 and refused.stderr.startswith("replyguard: the name "), (name, refused.stderr)
        assert not LEAKS.search(refused.stderr)


def test_a_database_error_prints_its_kind_and_no_sql(tmp_path: Any) -> None:
    # A database file that is not a database: the command fails inside SQLAlchemy.
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database " * 100)
    done = run_cli("moderator", "revoke", "bob", env={"REPLYGUARD_DATABASE_URL": f"sqlite+aiosqlite:///{broken}"})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("replyguard: the database refused the command (")
    assert not LEAKS.search(done.stderr) and "Traceback" not in done.stderr
