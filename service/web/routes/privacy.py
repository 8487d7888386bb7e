"""Routes for admins: export and erase what is stored about an email address (the address goes in the body, so it
never lands in access logs or URLs)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from litestar.di import NamedDependency

from service.domain import privacy
from service.domain.auth import Moderator
from service.errors import invalid
from service.storage.database import Database
from service.web.openapi import PrivacyOperation
from service.web.payloads import read_payload


class Erased(msgspec.Struct):
    comments_erased: int


async def _email(request: Request[Any, Any, Any]) -> str:
    payload, _ = await read_payload(request, allow_form=False)
    email = payload.get("email")
    if not isinstance(email, str) or not email.strip():
        raise invalid("email", "is required")
    return email


@post(
    "/api/v1/admin/privacy/export",
    operation_class=PrivacyOperation,
    status_code=200,
    summary="Everything stored about an email address (admin)",
)
async def export_author(
    request: Request[Any, Any, Any], db: NamedDependency[Database], moderator: NamedDependency[Moderator]
) -> dict[str, Any]:
    moderator.require("admin")
    return await privacy.export_author(db, await _email(request), moderator_id=moderator.id)


@post(
    "/api/v1/admin/privacy/erase",
    operation_class=PrivacyOperation,
    status_code=200,
    summary="Anonymise every comment of an email address (admin)",
)
async def erase_author(
    request: Request[Any, Any, Any], db: NamedDependency[Database], moderator: NamedDependency[Moderator]
) -> Erased:
    moderator.require("admin")
    return Erased(comments_erased=await privacy.erase_author(db, await _email(request), moderator_id=moderator.id))


ROUTES = [export_author, erase_author]
