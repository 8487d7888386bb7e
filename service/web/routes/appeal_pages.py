"""The appeal page a statement of reasons links to: the author's reply and a form to explain why the decision should
change. Not part of the JSON API; the link is signed and expires (service/domain/appeal_links.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from service.domain import appeals
from service.domain.appeal_links import AppealLink
from service.domain.mail_links import LinkRefused
from service.errors import InvalidInput
from service.storage.database import Database
from service.web.payloads import read_form
from service.web.routes.email_links import Expires, Signature, page

Id = Annotated[uuid.UUID, QueryParameter()]


def _link(c: uuid.UUID, d: uuid.UUID, e: int, s: str) -> AppealLink:
    return AppealLink(comment_id=c, decision_id=d, expires=e, signature=s)


@get("/appeals/new", include_in_schema=False)
async def appeal_form(c: Id, d: Id, e: Expires, s: Signature, db: NamedDependency[Database]) -> Template:
    try:
        body = await appeals.appeal_page(db, _link(c, d, e, s), now=datetime.now(UTC))
    except LinkRefused as exc:
        return page("Link not valid", str(exc), status=404)
    action = "/appeals/new?" + urlencode({"c": c, "d": d, "e": e, "s": s})
    return Template(
        template_name="email/appeal.html",
        context={"body": body, "action": action, "text_max": appeals.TEXT_MAX},
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@post("/appeals/new", include_in_schema=False, status_code=200)
async def send_appeal(
    request: Request[Any, Any, Any], c: Id, d: Id, e: Expires, s: Signature, db: NamedDependency[Database]
) -> Template:
    text = (await read_form(request)).get("text", [""])[0]
    try:
        opened = await appeals.open_appeal(db, _link(c, d, e, s), text, now=datetime.now(UTC))
    except LinkRefused as exc:
        return page("Link not valid", str(exc), status=404)
    except InvalidInput as exc:
        return page("Appeal not sent", "; ".join(f"{err.field} {err.message}" for err in exc.errors), status=422)
    if not opened:
        return page("Appeal already sent", "This decision was appealed already; you will hear of the outcome.")
    return page("Appeal received", "Thank you. A moderator who did not take the decision will decide; we will write "
                "to you with the outcome.")  # fmt: skip


ROUTES: list[Any] = [appeal_form, send_appeal]
