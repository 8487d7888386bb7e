"""The console's Reported folder: replies with enough open readers' reports, each with its reports (reason,
explanation, whether a contact was given: never the address) and keep / take down / dismiss. Forms carry the
session's CSRF token like every console change; the decisions are the API's (service/domain/reports.py)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from service.domain import reports
from service.errors import Conflict, InvalidInput, NotFound
from service.settings import Settings
from service.storage.database import Database
from service.web.console.notices import Notice
from service.web.console.notices import banner as notice_banner
from service.web.console.routes import _page, _session, _state_change, _to
from service.web.routes.reports import report_policy
from service.web.runtime import runtime_of

NOTICES = {"keep": "reports_kept", "take_down": "reports_taken_down", "dismiss": "reports_dismissed"}


@get("/console/reports", include_in_schema=False)
async def reports_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    notice: Annotated[str | None, QueryParameter(max_length=300)] = None,
    sig: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Template | Redirect:
    session = await _session(request, db)
    if session is None:
        return _to("/console/sign-in")
    banner = notice_banner(notice, session.csrf_token, sig)
    folder = await reports.reported_folder(db, policy=report_policy(settings))
    context = {"session": session, "notice": banner, "items": folder.items, "policy": report_policy(settings)}
    return _page("reports", context)


@post("/console/reports/{comment_id:uuid}/decision", include_in_schema=False, status_code=303)
async def decide(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    comment_id: Annotated[uuid.UUID, PathParameter()],
) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    try:
        action, confirm, note = reports.check_decision(
            form.get("action"), form.get("confirm") or None, str(form.get("note") or "").strip() or None
        )
        mail = runtime_of(request).replies.options.mail
        await reports.decide_reports(db, comment_id, action=action, confirm=confirm, note=note,
                                     moderator=session.moderator, mail=mail)  # fmt: skip
    except InvalidInput as exc:
        return _page("refused", {"message": "; ".join(f"{e.field} {e.message}" for e in exc.errors)}, 422)
    except Conflict as exc:
        return _page("refused", {"message": exc.detail}, 409)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    return _to("/console/reports", **Notice(NOTICES[action]).query(session.csrf_token))


ROUTES = [reports_page, decide]
