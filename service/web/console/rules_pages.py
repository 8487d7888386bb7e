"""The console's pages for the site's rules (admins: modes, lists, the audit) and for authors (moderators: an
author's replies, decisions, trust and sanction; a sanction set from a queue item in one step). The same use cases
as the API, with the same validation and audit; forms carry the session's CSRF token like every console change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from classifier.language import SERVICE_LANGUAGES
from service.domain import authors, site_rules
from service.errors import FieldError, Forbidden, InvalidInput, NotFound
from service.rules.site_rules import LINK_ACTIONS, LISTS, MODES, SANCTIONS, SETTINGS, SITE
from service.storage.database import Database
from service.web.console.notices import Notice
from service.web.console.notices import banner as notice_banner
from service.web.console.routes import _invalid, _page, _session, _state_change, _to
from service.web.runtime import Runtime

LIST_TITLES = {
    "blocked_emails": "Blocked email addresses (rejected)",
    "blocked_email_domains": "Blocked email domains (rejected)",
    "banned_phrases": "Banned phrases (rejected)",
    "suspect_phrases": "Suspect phrases (held)",
    "blocked_link_domains": "Blocked link domains (held or rejected)",
    "allowed_link_domains": "Allowed link domains (not counted toward the link limit)",
}
CHANGES_SHOWN = 30
MAX_DAYS = 36_500


def _expiry(form: dict[str, Any]) -> str | None:
    """A form's "days from now" as the API's expires_at; InvalidInput for anything but a whole number of days."""
    raw = str(form.get("days") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise InvalidInput("Invalid form", errors=[FieldError("days", f"must be a whole number from 1 to {MAX_DAYS}")])
    return (datetime.now(UTC) + timedelta(days=int(raw))).isoformat()


def _refused_unless_admin(session: Any) -> Template | None:
    try:
        session.moderator.require("admin")
    except Forbidden:
        return _page("refused", {"message": "The site's rules are for admins."}, 403)
    return None


@get("/console/rules", include_in_schema=False)
async def rules_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    runtime: NamedDependency[Runtime],
    notice: Annotated[str | None, QueryParameter(max_length=300)] = None,
    sig: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Template | Redirect:
    session = await _session(request, db)
    if session is None:
        return _to("/console/sign-in")
    if (refused := _refused_unless_admin(session)) is not None:
        return refused
    banner = notice_banner(notice, session.csrf_token, sig)
    context = {
        "session": session,
        "notice": banner,
        "modes": await site_rules.modes(db),
        "mode_choices": MODES,
        "settings": await site_rules.site_settings(db),
        "uncovered_choices": SETTINGS["uncovered_language"],
        "covered": _covered_languages(runtime),
        "lists": [(name, LIST_TITLES[name], (await site_rules.list_entries(db, name)).items) for name in LISTS],
        "link_actions": LINK_ACTIONS,
        "changes": (await site_rules.changes(db, cursor=None, limit=CHANGES_SHOWN)).items,
    }
    return _page("rules", context)


def _covered_languages(runtime: Runtime) -> list[str] | None:
    """Which of the readers' languages the active model covers (None without a model)."""
    scorer = runtime.scoring.scorer
    if scorer is None:
        return None
    return [code for code in SERVICE_LANGUAGES if scorer.card.covers_language(code)]


@post("/console/rules/entries", include_in_schema=False, status_code=303)
async def add_entry(
    request: Request[Any, Any, Any], db: NamedDependency[Database], runtime: NamedDependency[Runtime]
) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    if (refused := _refused_unless_admin(session)) is not None:
        return refused
    payload = {key: form.get(key) or None for key in ("value", "note", "action")}
    try:
        await site_rules.put_entry(db, str(form.get("list")), {**payload, "expires_at": _expiry(form)},
                                   moderator=session.moderator)  # fmt: skip
    except InvalidInput as exc:
        return _invalid(exc)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    runtime.rules.forget()
    return _to("/console/rules", **Notice("rule_saved").query(session.csrf_token))


@post("/console/rules/entries/{list_name:str}/{entry_id:int}/remove", include_in_schema=False, status_code=303)
async def remove_entry(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    runtime: NamedDependency[Runtime],
    list_name: Annotated[str, PathParameter(max_length=32)],
    entry_id: Annotated[int, PathParameter(ge=1, le=2**31 - 1)],
) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, _ = checked
    if (refused := _refused_unless_admin(session)) is not None:
        return refused
    try:
        await site_rules.remove_entry(db, list_name, entry_id, moderator=session.moderator)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    runtime.rules.forget()
    return _to("/console/rules", **Notice("rule_removed").query(session.csrf_token))


@post("/console/rules/modes", include_in_schema=False, status_code=303)
async def set_mode(
    request: Request[Any, Any, Any], db: NamedDependency[Database], runtime: NamedDependency[Runtime]
) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    if (refused := _refused_unless_admin(session)) is not None:
        return refused
    scope = str(form.get("article_id") or "").strip() or SITE
    payload = {"mode": form.get("mode") or None, "note": form.get("note") or None}
    try:
        await site_rules.set_mode(db, scope, payload, moderator=session.moderator)
    except InvalidInput as exc:
        return _invalid(exc)
    runtime.rules.forget()
    return _to("/console/rules", **Notice("mode_saved").query(session.csrf_token))


@post("/console/rules/settings", include_in_schema=False, status_code=303)
async def set_setting(
    request: Request[Any, Any, Any], db: NamedDependency[Database], runtime: NamedDependency[Runtime]
) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    if (refused := _refused_unless_admin(session)) is not None:
        return refused
    payload = {"value": form.get("value") or None, "note": form.get("note") or None}
    try:
        await site_rules.set_setting(db, str(form.get("name")), payload, moderator=session.moderator)
    except InvalidInput as exc:
        return _invalid(exc)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    runtime.rules.forget()
    return _to("/console/rules", **Notice("setting_saved").query(session.csrf_token))


@get("/console/authors", include_in_schema=False)
async def author_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    runtime: NamedDependency[Runtime],
    email: Annotated[str, QueryParameter(max_length=320)] = "",
    notice: Annotated[str | None, QueryParameter(max_length=300)] = None,
    sig: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Template | Redirect:
    session = await _session(request, db)
    if session is None:
        return _to("/console/sign-in")
    try:
        author = await authors.author_page(db, email, trust_after=runtime.settings.trust_after_approvals)
    except InvalidInput as exc:
        return _invalid(exc)
    banner = notice_banner(notice, session.csrf_token, sig)
    context = {"session": session, "notice": banner, "author": author, "sanctions": SANCTIONS}
    return _page("author", context)


@post("/console/authors/sanction", include_in_schema=False, status_code=303)
async def sanction(
    request: Request[Any, Any, Any], db: NamedDependency[Database], runtime: NamedDependency[Runtime]
) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    email = str(form.get("email") or "")
    try:
        payload = {"kind": form.get("kind"), "note": form.get("note") or None, "expires_at": _expiry(form)}
        if form.get("lift"):
            await authors.lift_sanction(db, email, moderator=session.moderator)
        else:
            await authors.sanction_author(db, email, payload, moderator=session.moderator)
    except InvalidInput as exc:
        return _invalid(exc)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    runtime.rules.forget()
    notice = Notice("lifted" if form.get("lift") else "sanctioned").query(session.csrf_token)
    return _to("/console/authors", email=email, **notice)


@post("/console/items/{comment_id:uuid}/sanction", include_in_schema=False, status_code=303)
async def sanction_from_item(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    runtime: NamedDependency[Runtime],
    comment_id: Annotated[uuid.UUID, PathParameter()],
) -> Template | Redirect:
    """The queue's one step: ban (or shadow-ban) whoever wrote this reply, and come back to where it was."""
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    try:
        await authors.sanction_author_of(db, comment_id, {"kind": form.get("kind") or "ban"},
                                         moderator=session.moderator)  # fmt: skip
    except InvalidInput as exc:
        return _invalid(exc, comment_id)
    runtime.rules.forget()
    notice = Notice("sanctioned_author", item=comment_id).query(session.csrf_token)
    if form.get("back") == "item":
        return _to(f"/console/items/{comment_id}", **notice)
    return _to("/console", status=str(form.get("from_status") or "pending"), **notice)


ROUTES = [rules_page, add_entry, remove_entry, set_mode, set_setting, author_page, sanction, sanction_from_item]
