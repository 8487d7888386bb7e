"""Routes for the site's rules: lists, premoderation modes, settings and their audit (admin token); authors'
sanctions and the author page (moderator token). Each change is seen by this process's next submission at once
(RuleBook.forget)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from service.domain import authors, site_rules
from service.domain.auth import Moderator
from service.domain.authors import AuthorView, SanctionPage, SanctionView
from service.domain.site_rules import ChangePage, EntryPage, EntryView, ModesView, SettingsView
from service.rules.site_rules import SITE
from service.storage.database import Database
from service.web.openapi import (
    AUTHOR_SANCTION_SCHEMA,
    ENTRY_SCHEMA,
    LIFT_SCHEMA,
    MODE_SCHEMA,
    SANCTION_SCHEMA,
    SETTING_SCHEMA,
    json_body_operation,
)
from service.web.payloads import read_payload
from service.web.runtime import Runtime

ListName = Annotated[
    str,
    PathParameter(
        description="blocked_emails, blocked_email_domains, banned_phrases, suspect_phrases, blocked_link_domains "
        "or allowed_link_domains",
        max_length=32,
    ),
]


@get("/api/v1/rules/lists/{list_name:str}", summary="A rules list's entries (admin)")
async def get_list(
    list_name: ListName, db: NamedDependency[Database], moderator: NamedDependency[Moderator]
) -> EntryPage:
    moderator.require("admin")
    return await site_rules.list_entries(db, list_name)


@post(
    "/api/v1/rules/lists/{list_name:str}",
    operation_class=json_body_operation(ENTRY_SCHEMA),
    summary="Add an entry to a rules list, or replace the one with the same value (admin)",
    responses={},
)
async def add_entry(
    request: Request[Any, Any, Any],
    list_name: ListName,
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
) -> Response[EntryView]:
    moderator.require("admin")
    payload, _ = await read_payload(request, allow_form=False)
    entry, created = await site_rules.put_entry(db, list_name, payload, moderator=moderator)
    runtime.rules.forget()
    return Response(entry, status_code=201 if created else 200)


@delete("/api/v1/rules/lists/{list_name:str}/{entry_id:int}", summary="Remove an entry from a rules list (admin)")
async def remove_entry(
    list_name: ListName,
    entry_id: Annotated[int, PathParameter(ge=1, le=2**31 - 1)],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
) -> None:
    moderator.require("admin")
    await site_rules.remove_entry(db, list_name, entry_id, moderator=moderator)
    runtime.rules.forget()


@get("/api/v1/rules/modes", summary="The site's premoderation mode and the articles' own (admin)")
async def get_modes(db: NamedDependency[Database], moderator: NamedDependency[Moderator]) -> ModesView:
    moderator.require("admin")
    return await site_rules.modes(db)


@put(
    "/api/v1/rules/modes/site",
    operation_class=json_body_operation(MODE_SCHEMA),
    summary="Set the site's premoderation mode (admin)",
)
async def put_site_mode(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
) -> ModesView:
    moderator.require("admin")
    payload, _ = await read_payload(request, allow_form=False)
    view = await site_rules.set_mode(db, SITE, payload, moderator=moderator)
    runtime.rules.forget()
    return view


@put(
    "/api/v1/rules/modes/articles/{article_id:str}",
    operation_class=json_body_operation(MODE_SCHEMA),
    summary="Set an article's own premoderation mode, or null for the site's (admin)",
)
async def put_article_mode(
    request: Request[Any, Any, Any],
    article_id: Annotated[str, PathParameter(max_length=128)],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
) -> ModesView:
    moderator.require("admin")
    payload, _ = await read_payload(request, allow_form=False)
    view = await site_rules.set_mode(db, article_id, payload, moderator=moderator)
    runtime.rules.forget()
    return view


@get("/api/v1/rules/settings", summary="The site's settings, each with its value or default (admin)")
async def get_settings(db: NamedDependency[Database], moderator: NamedDependency[Moderator]) -> SettingsView:
    moderator.require("admin")
    return await site_rules.site_settings(db)


@put(
    "/api/v1/rules/settings/{name:str}",
    operation_class=json_body_operation(SETTING_SCHEMA),
    summary="Change a site setting, such as uncovered_language (admin)",
)
async def put_setting(
    request: Request[Any, Any, Any],
    name: Annotated[str, PathParameter(description="uncovered_language", max_length=32)],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
) -> SettingsView:
    moderator.require("admin")
    payload, _ = await read_payload(request, allow_form=False)
    view = await site_rules.set_setting(db, name, payload, moderator=moderator)
    runtime.rules.forget()
    return view


@get("/api/v1/rules/changes", summary="Every change of a rule, mode or sanction: who, when, old and new (admin)")
async def get_changes(
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> ChangePage:
    moderator.require("admin")
    return await site_rules.changes(db, cursor=cursor, limit=limit)


@get("/api/v1/moderation/authors", summary="An author by email: replies, decisions, trust and sanction")
async def get_author(
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
    email: Annotated[str, QueryParameter(max_length=320)] = "",  # optional here so a missing token is 401 first
) -> AuthorView:
    moderator.require("moderator")
    return await authors.author_page(db, email, trust_after=runtime.settings.trust_after_approvals)


@get("/api/v1/moderation/sanctions", summary="Banned, shadow-banned and suspended authors")
async def get_sanctions(db: NamedDependency[Database], moderator: NamedDependency[Moderator]) -> SanctionPage:
    moderator.require("moderator")
    return await authors.sanctions(db)


@post(
    "/api/v1/moderation/sanctions",
    status_code=200,
    operation_class=json_body_operation(AUTHOR_SANCTION_SCHEMA),
    summary="Ban, shadow-ban or suspend an author by email (replaces their sanction)",
)
async def sanction(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
) -> SanctionView:
    moderator.require("moderator")
    payload, _ = await read_payload(request, allow_form=False)
    view = await authors.sanction_author(db, payload.get("email"), payload, moderator=moderator)
    runtime.rules.forget()
    return view


@post(
    "/api/v1/moderation/sanctions/lift",
    status_code=204,
    operation_class=json_body_operation(LIFT_SCHEMA),
    summary="Lift an author's ban, shadow ban or suspension",
)
async def lift(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
) -> None:
    moderator.require("moderator")
    payload, _ = await read_payload(request, allow_form=False)
    await authors.lift_sanction(db, payload.get("email"), moderator=moderator)
    runtime.rules.forget()


@post(
    "/api/v1/moderation/comments/{comment_id:uuid}/sanction",
    status_code=200,
    operation_class=json_body_operation(SANCTION_SCHEMA),
    summary="Ban, shadow-ban or suspend the author of this reply, in one step from the queue",
)
async def sanction_author_of(
    request: Request[Any, Any, Any],
    comment_id: Annotated[uuid.UUID, PathParameter()],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
) -> SanctionView:
    moderator.require("moderator")
    payload, _ = await read_payload(request, allow_form=False)
    view = await authors.sanction_author_of(db, comment_id, payload, moderator=moderator)
    runtime.rules.forget()
    return view


ROUTES = [
    get_list,
    add_entry,
    remove_entry,
    get_modes,
    put_site_mode,
    put_article_mode,
    get_settings,
    put_setting,
    get_changes,
    get_author,
    get_sanctions,
    sanction,
    lift,
    sanction_author_of,
]
