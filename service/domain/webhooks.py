"""Use cases of admins on webhook endpoints: add, list, change, delete, rotate the signing secret, send a test, see
the last deliveries. Each is one transaction."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import msgspec
from sqlalchemy import Row

from service.domain import events
from service.domain.auth import Moderator
from service.domain.webhook_sender import TargetPolicy, TargetRefused, check_url, resolve_target
from service.domain.webhook_signature import new_secret
from service.errors import FieldError, InvalidInput, NotFound
from service.storage import outbox as outbox_store
from service.storage import webhook_endpoints as endpoint_store
from service.storage.database import Database

URL_MAX: Final = 2000
DESCRIPTION_MAX: Final = 200
# After a rotation the previous secret signs beside the new one this long, so receivers can switch without a gap.
ROTATION_OVERLAP: Final = timedelta(hours=24)
DELIVERIES_SHOWN: Final = 20


class EndpointView(msgspec.Struct):
    id: int
    url: str
    description: str | None
    events: list[str]
    include_email: bool
    enabled: bool
    # While a rotation's overlap lasts, calls carry a second signature made with the previous secret.
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CreatedEndpoint(EndpointView):
    """An endpoint as created: the signing secret is shown here and after a rotation only."""

    secret: str = ""


class EndpointPage(msgspec.Struct):
    items: list[EndpointView]


class DeliveryView(msgspec.Struct):
    id: uuid.UUID  # the delivery id: the webhook-id header of every attempt
    event: str
    status: str  # pending | sent | dead
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


class EndpointDetail(EndpointView):
    deliveries: list[DeliveryView] = msgspec.field(default_factory=list)


class RotatedSecret(msgspec.Struct):
    id: int
    secret: str
    previous_secret_expires_at: datetime


class TestMessage(msgspec.Struct):
    delivery_id: uuid.UUID


def endpoint_view(row: Row[Any]) -> EndpointView:
    return EndpointView(
        id=row.id,
        url=row.url,
        description=row.description,
        events=list(row.events),
        include_email=bool(row.include_email),
        enabled=bool(row.enabled),
        previous_secret_expires_at=row.previous_secret_expires_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def delivery_view(row: Row[Any]) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        event=row.event,
        status=row.status,
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
    )


def _flag(payload: Mapping[str, Any], key: str, default: bool, errors: list[FieldError]) -> bool:
    value = payload.get(key, default)
    if not isinstance(value, bool):
        errors.append(FieldError(key, "must be true or false"))
        return default
    return value


def read_endpoint(payload: Mapping[str, Any]) -> dict[str, Any]:
    """An endpoint's fields from a request, each checked; InvalidInput naming every bad one."""
    errors: list[FieldError] = []
    unknown = set(payload) - {"url", "description", "events", "include_email", "enabled"}
    for key in sorted(unknown):
        errors.append(FieldError(key, "is not a field of an endpoint"))
    url = payload.get("url")
    if not isinstance(url, str) or not url.strip() or len(url) > URL_MAX:
        errors.append(FieldError("url", f"is required: an http or https URL of at most {URL_MAX} characters"))
        url = None
    else:
        url = url.strip()
        try:
            check_url(url)
        except TargetRefused as exc:
            errors.append(FieldError("url", str(exc)))
    description = payload.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > DESCRIPTION_MAX):
        errors.append(FieldError("description", f"must be a string of at most {DESCRIPTION_MAX} characters, or null"))
    chosen = payload.get("events", list(events.WEBHOOK_EVENTS))
    if (
        not isinstance(chosen, list)
        or not chosen
        or any(not isinstance(e, str) or e not in events.WEBHOOK_EVENTS for e in chosen)
    ):
        errors.append(FieldError("events", f"must be a non-empty list of: {', '.join(events.WEBHOOK_EVENTS)}"))
        chosen = []
    values = {
        "url": url,
        "description": description or None,
        "events": sorted(set(chosen), key=events.WEBHOOK_EVENTS.index),
        "include_email": _flag(payload, "include_email", False, errors),
        "enabled": _flag(payload, "enabled", True, errors),
    }
    if errors:
        raise InvalidInput("The endpoint is not valid", errors=errors)
    return values


async def _refuse_private(url: str, policy: TargetPolicy) -> None:
    """An endpoint whose host is, or resolves to, an address the operator has not allowed is refused now (each call
    checks again: a name may move). A name that does not resolve yet is accepted; its calls fail until it does."""
    try:
        await resolve_target(url, policy)
    except TargetRefused as exc:
        if "does not resolve" in str(exc):
            host = check_url(url)[1]
            try:
                ipaddress.ip_address(host)
            except ValueError:
                return
        raise InvalidInput(
            "The endpoint is not valid", errors=[FieldError("url", f"is refused: the URL {exc}")]
        ) from exc


async def create_endpoint(
    db: Database, payload: Mapping[str, Any], *, moderator: Moderator, policy: TargetPolicy
) -> CreatedEndpoint:
    values = read_endpoint(payload)
    await _refuse_private(values["url"], policy)
    now = datetime.now(UTC)
    secret = new_secret()
    row = {**values, "secret": secret, "moderator_id": moderator.id, "created_at": now, "updated_at": now}
    async with db.write() as conn:
        endpoint_id = await endpoint_store.insert_endpoint(conn, row)
        created = await endpoint_store.get_endpoint(conn, endpoint_id)
    assert created is not None  # written by this transaction
    view = endpoint_view(created)
    return CreatedEndpoint(**msgspec.structs.asdict(view), secret=secret)


async def list_endpoints(db: Database) -> EndpointPage:
    async with db.read() as conn:
        rows = await endpoint_store.all_endpoints(conn)
    return EndpointPage(items=[endpoint_view(row) for row in rows])


async def endpoint_detail(db: Database, endpoint_id: int) -> EndpointDetail:
    async with db.read() as conn:
        row = await endpoint_store.get_endpoint(conn, endpoint_id)
        if row is None:
            raise NotFound("No such webhook endpoint")
        deliveries = await outbox_store.recent_for_endpoint(conn, endpoint_id, limit=DELIVERIES_SHOWN)
    view = endpoint_view(row)
    return EndpointDetail(**msgspec.structs.asdict(view), deliveries=[delivery_view(d) for d in deliveries])


async def update_endpoint(
    db: Database, endpoint_id: int, payload: Mapping[str, Any], *, policy: TargetPolicy
) -> EndpointView:
    """Replace the endpoint's settings (its secret stays); NotFound for an unknown id."""
    values = read_endpoint(payload)
    await _refuse_private(values["url"], policy)
    async with db.write() as conn:
        if not await endpoint_store.update_endpoint(conn, endpoint_id, {**values, "updated_at": datetime.now(UTC)}):
            raise NotFound("No such webhook endpoint")
        row = await endpoint_store.get_endpoint(conn, endpoint_id)
    assert row is not None
    return endpoint_view(row)


async def delete_endpoint(db: Database, endpoint_id: int) -> None:
    async with db.write() as conn:
        if not await endpoint_store.delete_endpoint(conn, endpoint_id):
            raise NotFound("No such webhook endpoint")


async def rotate_secret(db: Database, endpoint_id: int) -> RotatedSecret:
    """A new signing secret; the previous one signs beside it for ROTATION_OVERLAP."""
    now = datetime.now(UTC)
    secret = new_secret()
    async with db.write() as conn:
        rotated = await endpoint_store.rotate_secret(
            conn, endpoint_id, secret=secret, previous_until=now + ROTATION_OVERLAP, now=now
        )
    if not rotated:
        raise NotFound("No such webhook endpoint")
    return RotatedSecret(id=endpoint_id, secret=secret, previous_secret_expires_at=now + ROTATION_OVERLAP)


async def send_test(db: Database, endpoint_id: int, *, moderator: Moderator) -> TestMessage:
    """Put a `webhook.test` message for this endpoint alone in the outbox (sent like any other, retries included)."""
    now = datetime.now(UTC)
    data = {"endpoint_id": endpoint_id, "requested_by": moderator.name}
    async with db.write() as conn:
        if await endpoint_store.get_endpoint(conn, endpoint_id) is None:
            raise NotFound("No such webhook endpoint")
        row = events.webhook_row(endpoint_id, events.TEST_EVENT, events.envelope(events.TEST_EVENT, data, now=now),
                                 now=now)  # fmt: skip
        await events.record(conn, [row])
    return TestMessage(delivery_id=row["id"])
