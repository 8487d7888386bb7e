"""The pages the links in mails open: confirm an address (a button, so that a mail scanner following the link does
not confirm it), and unsubscribe (a button, and the one-click POST of RFC 8058 that mail programs send). Not part of
the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from service.domain.mail_links import LinkRefused, confirm_address, unsubscribe
from service.storage.database import Database

AddressId = Annotated[int, QueryParameter(ge=1, le=2**31 - 1)]
Expires = Annotated[int, QueryParameter(ge=0, le=2**40)]
Signature = Annotated[str, QueryParameter(max_length=64)]


def page(title: str, message: str, *, action: str | None = None, button: str = "", status: int = 200) -> Template:
    return Template(
        template_name="email/link.html",
        context={"title": title, "message": message, "action": action, "button": button},
        status_code=status,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@get("/email/confirm", include_in_schema=False)
async def confirm_form(a: AddressId, e: Expires, s: Signature) -> Template:
    action = "/email/confirm?" + urlencode({"a": a, "e": e, "s": s})
    return page("Confirm your address", "Do you want mails about replies to your comments?", action=action,
                 button="Yes, send me these mails")  # fmt: skip


@post("/email/confirm", include_in_schema=False, status_code=200)
async def confirm(a: AddressId, e: Expires, s: Signature, db: NamedDependency[Database]) -> Template:
    try:
        await confirm_address(db, a, e, s, now=datetime.now(UTC))
    except LinkRefused as exc:
        return page("Link not valid", str(exc), status=404)
    return page("Address confirmed", "Thank you: you will get the mails you asked for. Each has a link to stop them.")


@get("/email/unsubscribe", include_in_schema=False)
async def unsubscribe_form(a: AddressId, s: Signature) -> Template:
    action = "/email/unsubscribe?" + urlencode({"a": a, "s": s})
    return page("Stop all mail", "We will send nothing more to this address.", action=action,
                 button="Stop all mail")  # fmt: skip


@post("/email/unsubscribe", include_in_schema=False, status_code=200)
async def unsubscribe_now(a: AddressId, s: Signature, db: NamedDependency[Database]) -> Template:
    """The button's POST and the one-click POST (body `List-Unsubscribe=One-Click`, which needs no reading)."""
    try:
        await unsubscribe(db, a, s, now=datetime.now(UTC))
    except LinkRefused as exc:
        return page("Link not valid", str(exc), status=404)
    return page("Unsubscribed", "Done: we will send nothing more to this address.")


ROUTES: list[Any] = [confirm_form, confirm, unsubscribe_form, unsubscribe_now]
