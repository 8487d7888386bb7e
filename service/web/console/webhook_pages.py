"""The console's Webhooks page (admins): the endpoints with their event filters and last deliveries, and forms to add
one, send a test, rotate a secret, delete one or send a dead delivery again. The same use cases as the API; forms
carry the session's CSRF token like every console change. A new secret is shown on the page that made it, once."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from service.domain import delivery, events, webhooks
from service.domain.couriers import target_policy
from service.errors import Forbidden, InvalidInput, NotFound
from service.storage.database import Database
from service.web.console.notices import Notice
from service.web.console.notices import banner as notice_banner
from service.web.console.routes import _invalid, _page, _session, _state_change, _to
from service.web.runtime import Runtime

EndpointId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


def _refused_unless_admin(session: Any) -> Template | None:
    try:
        session.moderator.require("admin")
    except Forbidden:
        return _page("refused", {"message": "Webhooks are for admins."}, 403)
    return None


async def _webhooks_page(
    db: Database, session: Any, *, banner: str | None = None, secret: tuple[int, str] | None = None
) -> Template:
    listed = (await webhooks.list_endpoints(db)).items
    details = [await webhooks.endpoint_detail(db, endpoint.id) for endpoint in listed]
    context = {
        "session": session,
        "notice": banner,
        "endpoints": details,
        "event_choices": events.WEBHOOK_EVENTS,
        "secret": secret,  # (endpoint id, secret) right after it was made
    }
    return _page("webhooks", context)


@get("/console/webhooks", include_in_schema=False)
async def webhooks_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    notice: Annotated[str | None, QueryParameter(max_length=300)] = None,
    sig: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Template | Redirect:
    session = await _session(request, db)
    if session is None:
        return _to("/console/sign-in")
    if (refused := _refused_unless_admin(session)) is not None:
        return refused
    banner = notice_banner(notice, session.csrf_token, sig)
    return await _webhooks_page(db, session, banner=banner)


async def _admin_form(
    request: Request[Any, Any, Any], db: Database
) -> tuple[Any, dict[str, Any]] | Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    if (refused := _refused_unless_admin(checked[0])) is not None:
        return refused
    return checked


@post("/console/webhooks", include_in_schema=False, status_code=200)
async def add_endpoint(
    request: Request[Any, Any, Any], db: NamedDependency[Database], runtime: NamedDependency[Runtime]
) -> Template | Redirect:
    checked = await _admin_form(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    payload = {
        "url": form.get("url") or "",
        "description": form.get("description") or None,
        "events": [event for event in events.WEBHOOK_EVENTS if form.get(f"event:{event}")],
        "include_email": bool(form.get("include_email")),
    }
    try:
        created = await webhooks.create_endpoint(
            db, payload, moderator=session.moderator, policy=target_policy(runtime.settings)
        )
    except InvalidInput as exc:
        return _invalid(exc)
    runtime.subscriptions.forget()
    return await _webhooks_page(db, session, banner="Endpoint added", secret=(created.id, created.secret))


@post("/console/webhooks/{endpoint_id:int}/secret", include_in_schema=False, status_code=200)
async def rotate_secret(
    request: Request[Any, Any, Any], db: NamedDependency[Database], endpoint_id: EndpointId
) -> Template | Redirect:
    checked = await _admin_form(request, db)
    if not isinstance(checked, tuple):
        return checked
    try:
        rotated = await webhooks.rotate_secret(db, endpoint_id)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    banner = "New secret made; the previous one signs beside it for 24 hours"
    return await _webhooks_page(db, checked[0], banner=banner, secret=(endpoint_id, rotated.secret))


@post("/console/webhooks/{endpoint_id:int}/test", include_in_schema=False, status_code=303)
async def send_test(
    request: Request[Any, Any, Any], db: NamedDependency[Database], endpoint_id: EndpointId
) -> Template | Redirect:
    checked = await _admin_form(request, db)
    if not isinstance(checked, tuple):
        return checked
    try:
        await webhooks.send_test(db, endpoint_id, moderator=checked[0].moderator)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    return _to("/console/webhooks", **Notice("webhook_test_sent").query(checked[0].csrf_token))


@post("/console/webhooks/{endpoint_id:int}/remove", include_in_schema=False, status_code=303)
async def remove_endpoint(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    runtime: NamedDependency[Runtime],
    endpoint_id: EndpointId,
) -> Template | Redirect:
    checked = await _admin_form(request, db)
    if not isinstance(checked, tuple):
        return checked
    try:
        await webhooks.delete_endpoint(db, endpoint_id)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    runtime.subscriptions.forget()
    return _to("/console/webhooks", **Notice("webhook_removed").query(checked[0].csrf_token))


@post("/console/outbox/{message_id:uuid}/replay", include_in_schema=False, status_code=303)
async def replay_message(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    message_id: Annotated[uuid.UUID, PathParameter()],
) -> Template | Redirect:
    checked = await _admin_form(request, db)
    if not isinstance(checked, tuple):
        return checked
    try:
        await delivery.replay(db, message_id)
    except NotFound as exc:
        return _page("refused", {"message": exc.detail}, 404)
    return _to("/console/webhooks", **Notice("delivery_replayed").query(checked[0].csrf_token))


ROUTES = [webhooks_page, add_endpoint, rotate_secret, send_test, remove_endpoint, replay_message]
