"""The console's Appeals folder: open appeals with the reply, the decision appealed and the author's explanation,
each decided (reverse: publish; uphold) by a moderator other than the one whose decision it appeals; then the
decided ones. Forms carry the session's CSRF token like every console change."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from service.domain import appeals
from service.errors import Conflict, Forbidden, NotFound
from service.storage.database import Database
from service.web.console.notices import Notice
from service.web.console.notices import banner as notice_banner
from service.web.console.routes import _page, _session, _state_change, _to
from service.web.runtime import runtime_of

NOTE_MAX = 1000


@get("/console/appeals", include_in_schema=False)
async def appeals_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    notice: Annotated[str | None, QueryParameter(max_length=300)] = None,
    sig: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Template | Redirect:
    session = await _session(request, db)
    if session is None:
        return _to("/console/sign-in")
    banner = notice_banner(notice, session.csrf_token, sig)
    context = {
        "session": session,
        "notice": banner,
        "open": await appeals.appeals_in(db, "open"),
        "decided": [*await appeals.appeals_in(db, "reversed"), *await appeals.appeals_in(db, "upheld")],
    }
    return _page("appeals", context)


@post("/console/appeals/{appeal_id:uuid}/decision", include_in_schema=False, status_code=303)
async def decide(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    appeal_id: Annotated[uuid.UUID, PathParameter()],
) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    action = form.get("action")
    if action not in ("reverse", "uphold"):
        return _page("refused", {"message": "action must be reverse or uphold"}, 422)
    note = str(form.get("note") or "").strip()[:NOTE_MAX] or None
    mail = runtime_of(request).replies.options.mail
    try:
        await appeals.decide_appeal(db, appeal_id, reverse=action == "reverse", note=note,
                                    moderator=session.moderator, mail=mail)  # fmt: skip
    except Forbidden as exc:
        return _page("refused", {"message": exc.detail}, 403)
    except Conflict as exc:
        return _page("refused", {"message": exc.detail}, 409)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    code = "appeal_reversed" if action == "reverse" else "appeal_upheld"
    return _to("/console/appeals", **Notice(code).query(session.csrf_token))


ROUTES = [appeals_page, decide]
