"""The console's model page buttons, for admins: promote a registered version, roll back to the one before. Form posts
with the session's CSRF token (service/web/console/routes.py _state_change); each change is recorded as this user's."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from service.errors import Conflict, Forbidden, NotFound
from service.scoring.activation import promote_version, roll_back
from service.scoring.registry import refresh
from service.scoring.state import ScoringState
from service.storage.database import Database
from service.web.console.notices import Notice
from service.web.console.routes import _page, _state_change, _to


async def _change(
    request: Request[Any, Any, Any], db: Database, scoring: ScoringState, *, promote: bool
) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    try:
        session.moderator.require("admin")
    except Forbidden:
        return _page("refused", {"message": "Changing the active model needs the admin role."}, 403)
    moderator_id = session.moderator.id
    try:
        async with db.write() as conn:
            if promote:
                await promote_version(conn, str(form.get("version") or ""), actor="console", moderator_id=moderator_id)
            else:
                await roll_back(conn, actor="console", moderator_id=moderator_id)
    except NotFound as exc:
        return _page("refused", {"message": f"{exc.detail}."}, 404)
    except Conflict as exc:
        return _page("refused", {"message": f"Not changed: {exc.detail}."}, 409)
    await refresh(db, scoring)  # this process at once; the others at their next registry poll
    code = "model_promoted" if promote else "model_rolled_back"
    return _to("/console/model", **Notice(code).query(session.csrf_token))


@post("/console/model/promote", include_in_schema=False, status_code=303)
async def promote(
    request: Request[Any, Any, Any], db: NamedDependency[Database], scoring: NamedDependency[ScoringState]
) -> Template | Redirect:
    return await _change(request, db, scoring, promote=True)


@post("/console/model/rollback", include_in_schema=False, status_code=303)
async def rollback(
    request: Request[Any, Any, Any], db: NamedDependency[Database], scoring: NamedDependency[ScoringState]
) -> Template | Redirect:
    return await _change(request, db, scoring, promote=False)


ROUTES = [promote, rollback]
