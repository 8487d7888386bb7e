"""Use cases of admins on the site's rules: list entries, premoderation modes, settings, and the audit of every change
(who, when, old and new). Each change is one transaction that also writes its audit row, which moves the rules'
generation (service/domain/rule_book.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from service.domain.auth import Moderator
from service.errors import FieldError, InvalidInput, NotFound
from service.rules.site_rules import (
    LINK_ACTIONS,
    LISTS,
    MODES,
    NOTE_MAX,
    SETTINGS,
    SITE,
    VALUE_MAX,
    entry_key,
)
from service.rules.validation import check_article_id, normalised_email
from service.storage import site_rules as rule_store
from service.storage.database import Database


class EntryView(msgspec.Struct):
    id: int
    list: str
    value: str
    key: str  # what is matched: the normalised phrase, the lower-case domain or address
    action: str | None
    note: str | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EntryPage(msgspec.Struct):
    items: list[EntryView]


class ModesView(msgspec.Struct):
    site: str
    articles: dict[str, str]


class SettingsView(msgspec.Struct):
    """Every site setting with its value (its default when never set)."""

    uncovered_language: str


class ChangeView(msgspec.Struct):
    id: int
    moderator_id: int | None
    subject: str
    target: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    created_at: datetime


class ChangePage(msgspec.Struct):
    items: list[ChangeView]
    next_cursor: str | None


def check_list(name: str) -> str:
    if name not in LISTS:
        raise NotFound(f"No such list; the lists are {', '.join(LISTS)}")
    return name


def optional_text(payload: Mapping[str, Any], key: str, errors: list[FieldError], *, limit: int) -> str | None:
    value = payload.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        errors.append(FieldError(key, f"must be a string of at most {limit} characters, or null"))
        return None
    return value


def optional_time(
    payload: Mapping[str, Any], key: str, errors: list[FieldError], *, now: datetime, required: bool = False
) -> datetime | None:
    """An ISO 8601 time with its offset, in the future; None when absent (an error when `required`)."""
    value = payload.get(key)
    if value is None or value == "":
        if required:
            errors.append(FieldError(key, "is required: an ISO 8601 time with its offset, in the future"))
        return None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        errors.append(FieldError(key, "must be an ISO 8601 time with its offset, such as 2027-01-31T12:00:00Z"))
        return None
    if when <= now:
        errors.append(FieldError(key, "must be in the future"))
        return None
    return when.astimezone(UTC)


def parse_entry(list_name: str, payload: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """The columns of a new or replaced entry; InvalidInput naming each bad field."""
    errors: list[FieldError] = []
    value = payload.get("value")
    key = None
    if not isinstance(value, str) or not value.strip() or len(value) > VALUE_MAX:
        errors.append(FieldError("value", f"is required: a string of 1-{VALUE_MAX} characters"))
    else:
        value = value.strip()
        email = normalised_email(value) if list_name == "blocked_emails" else None
        key, problem = entry_key(list_name, value, email=email)
        if key is None:
            errors.append(FieldError("value", problem))
    action = payload.get("action")
    if list_name == "blocked_link_domains":
        action = action or "hold"
        if action not in LINK_ACTIONS:
            errors.append(FieldError("action", f"must be one of {', '.join(LINK_ACTIONS)}"))
    elif action is not None:
        errors.append(FieldError("action", "is only for blocked_link_domains"))
    note = optional_text(payload, "note", errors, limit=NOTE_MAX)
    expires_at = optional_time(payload, "expires_at", errors, now=now)
    if errors:
        raise InvalidInput("Invalid rule", errors=errors)
    return {"key": key, "value": value, "action": action, "note": note, "expires_at": expires_at}


def entry_view(row: Row[Any]) -> EntryView:
    return EntryView(
        id=row.id,
        list=row.list,
        value=row.value,
        key=row.key,
        action=row.action,
        note=row.note,
        expires_at=row.expires_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _audited(row: Mapping[str, Any] | Row[Any] | None, fields: tuple[str, ...]) -> dict[str, Any] | None:
    if row is None:
        return None
    values = row if isinstance(row, Mapping) else row._mapping
    return {name: msgspec.to_builtins(values[name]) for name in fields}


_ENTRY_FIELDS = ("value", "action", "note", "expires_at")
_MODE_FIELDS = ("mode", "note")


async def list_entries(db: Database, list_name: str) -> EntryPage:
    rows = await db.run_read(lambda conn: rule_store.entries_of(conn, check_list(list_name)))
    return EntryPage(items=[entry_view(row) for row in rows])


async def put_entry(
    db: Database, list_name: str, payload: Mapping[str, Any], *, moderator: Moderator
) -> tuple[EntryView, bool]:
    """Add the entry, or replace the one with the same key (its note, expiry, action); (the entry, whether new)."""
    check_list(list_name)
    now = datetime.now(UTC)
    fields = parse_entry(list_name, payload, now=now)
    async with db.write() as conn:
        old = await rule_store.entry(conn, list_name, key=fields["key"])
        values = {**fields, "moderator_id": moderator.id, "updated_at": now}
        if old is None:
            id_ = await rule_store.insert_entry(conn, {**values, "list": list_name, "created_at": now})
        else:
            id_ = old.id
            await rule_store.update_entry(conn, id_, values)
        await rule_store.record_change(
            conn, moderator_id=moderator.id, subject=list_name, target=fields["key"],
            old=_audited(old, _ENTRY_FIELDS), new=_audited(fields, _ENTRY_FIELDS), now=now,
        )  # fmt: skip
        row = await rule_store.entry(conn, list_name, id_=id_)
    assert row is not None  # written in this transaction
    return entry_view(row), old is None


async def remove_entry(db: Database, list_name: str, entry_id: int, *, moderator: Moderator) -> None:
    check_list(list_name)
    now = datetime.now(UTC)
    async with db.write() as conn:
        old = await rule_store.entry(conn, list_name, id_=entry_id)
        if old is None:
            raise NotFound("No such entry in this list")
        await rule_store.delete_entry(conn, entry_id)
        await rule_store.record_change(
            conn, moderator_id=moderator.id, subject=list_name, target=old.key,
            old=_audited(old, _ENTRY_FIELDS), new=None, now=now,
        )  # fmt: skip


async def modes(db: Database) -> ModesView:
    rows = await db.run_read(rule_store.modes)
    found = {row.scope: row.mode for row in rows}
    site = found.pop(SITE, "model")
    return ModesView(site=site, articles=found)


def parse_mode(payload: Mapping[str, Any], *, allow_null: bool) -> tuple[str | None, str | None]:
    """(mode, note); mode None (when allowed) removes an article's own mode, so the site's applies."""
    errors: list[FieldError] = []
    mode = payload.get("mode")
    if not (mode in MODES or (mode is None and allow_null)):
        choices = ", ".join(MODES) + (", or null for the site's" if allow_null else "")
        errors.append(FieldError("mode", f"must be one of {choices}"))
    note = optional_text(payload, "note", errors, limit=NOTE_MAX)
    if errors:
        raise InvalidInput("Invalid mode", errors=errors)
    return mode, note


async def set_mode(db: Database, scope: str, payload: Mapping[str, Any], *, moderator: Moderator) -> ModesView:
    """Set the site's mode (scope SITE) or an article's (its id; a null mode removes it)."""
    if scope != SITE:
        check_article_id(scope)
    mode, note = parse_mode(payload, allow_null=scope != SITE)
    now = datetime.now(UTC)
    async with db.write() as conn:
        await _write_mode(conn, scope, mode, note, moderator=moderator, now=now)
    return await modes(db)


async def _write_mode(
    conn: AsyncConnection, scope: str, mode: str | None, note: str | None, *, moderator: Moderator, now: datetime
) -> None:
    old = await rule_store.mode(conn, scope)
    new = {"scope": scope, "mode": mode, "note": note, "moderator_id": moderator.id, "updated_at": now}
    if mode is None:
        if old is None:
            return
        await rule_store.delete_mode(conn, scope)
    else:
        await rule_store.put_mode(conn, new, exists=old is not None)
    await rule_store.record_change(
        conn, moderator_id=moderator.id, subject="mode", target=scope,
        old=_audited(old, _MODE_FIELDS), new=_audited(new, _MODE_FIELDS) if mode else None, now=now,
    )  # fmt: skip


_SETTING_FIELDS = ("value", "note")


async def site_settings(db: Database) -> SettingsView:
    rows = await db.run_read(rule_store.settings)
    found = {row.name: row.value for row in rows}
    values = {name: found[name] if found.get(name) in choices else choices[0] for name, choices in SETTINGS.items()}
    return msgspec.convert(values, SettingsView)


def parse_setting(name: str, payload: Mapping[str, Any]) -> tuple[str, str | None]:
    """(value, note) of a setting change; NotFound for an unknown setting, InvalidInput naming each bad field."""
    choices = SETTINGS.get(name)
    if choices is None:
        raise NotFound(f"No such setting; the settings are {', '.join(SETTINGS)}")
    errors: list[FieldError] = []
    value = payload.get("value")
    if value not in choices:
        errors.append(FieldError("value", f"must be one of {', '.join(choices)}"))
    note = optional_text(payload, "note", errors, limit=NOTE_MAX)
    if errors:
        raise InvalidInput("Invalid setting", errors=errors)
    return str(value), note


async def set_setting(db: Database, name: str, payload: Mapping[str, Any], *, moderator: Moderator) -> SettingsView:
    """Change a site setting, audited (subject "setting", target its name) like the rules."""
    value, note = parse_setting(name, payload)
    now = datetime.now(UTC)
    async with db.write() as conn:
        old = await rule_store.setting(conn, name)
        new = {"name": name, "value": value, "note": note, "moderator_id": moderator.id, "updated_at": now}
        await rule_store.put_setting(conn, new, exists=old is not None)
        await rule_store.record_change(
            conn, moderator_id=moderator.id, subject="setting", target=name,
            old=_audited(old, _SETTING_FIELDS), new=_audited(new, _SETTING_FIELDS), now=now,
        )  # fmt: skip
    return await site_settings(db)


async def changes(db: Database, *, cursor: str | None, limit: int) -> ChangePage:
    before = None
    if cursor:
        if not cursor.isdigit() or len(cursor) > 18:
            raise InvalidInput("Invalid cursor", errors=[FieldError("cursor", "is not a cursor this API gave")])
        before = int(cursor)
    rows = await db.run_read(lambda conn: rule_store.changes(conn, before=before, limit=limit))
    page = rows[:limit]
    items = [
        ChangeView(
            id=row.id,
            moderator_id=row.moderator_id,
            subject=row.subject,
            target=row.target,
            old=row.old,
            new=row.new,
            created_at=row.created_at,
        )
        for row in page
    ]
    return ChangePage(items=items, next_cursor=str(page[-1].id) if len(rows) > limit else None)
