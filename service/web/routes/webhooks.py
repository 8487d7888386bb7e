"""Routes for webhook endpoints (admin token): add, list, show with the last deliveries, change, delete, rotate the
secret, send a test; and sending an outbox message again. Changes reach this process's next reply at once
(Subscriptions.forget), other workers and replicas within REPLYGUARD_RULES_CHECK_SECONDS."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import PathParameter

from service.domain import delivery, webhooks
from service.domain.auth import Moderator
from service.domain.couriers import target_policy
from service.domain.webhooks import (
    CreatedEndpoint,
    EndpointDetail,
    EndpointPage,
    EndpointView,
    RotatedSecret,
    TestMessage,
)
from service.storage.database import Database
from service.web.openapi import WEBHOOK_ENDPOINT_SCHEMA, json_body_operation
from service.web.payloads import read_payload
from service.web.runtime import Runtime

EndpointId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]


class Replayed(msgspec.Struct):
    id: uuid.UUID
    previous_status: str


@get("/api/v1/webhooks", summary="Webhook endpoints (admin)")
async def get_endpoints(db: NamedDependency[Database], moderator: NamedDependency[Moderator]) -> EndpointPage:
    moderator.require("admin")
    return await webhooks.list_endpoints(db)


@post(
    "/api/v1/webhooks",
    operation_class=json_body_operation(WEBHOOK_ENDPOINT_SCHEMA),
    summary="Add a webhook endpoint; the answer shows its signing secret, once (admin)",
)
async def add_endpoint(
    request: Request[Any, Any, Any], moderator: NamedDependency[Moderator], runtime: NamedDependency[Runtime]
) -> CreatedEndpoint:
    moderator.require("admin")
    payload, _ = await read_payload(request, allow_form=False)
    created = await webhooks.create_endpoint(
        runtime.db, payload, moderator=moderator, policy=target_policy(runtime.settings)
    )
    runtime.subscriptions.forget()
    return created


@get("/api/v1/webhooks/{endpoint_id:int}", summary="A webhook endpoint with its last deliveries (admin)")
async def get_endpoint(
    endpoint_id: EndpointId, db: NamedDependency[Database], moderator: NamedDependency[Moderator]
) -> EndpointDetail:
    moderator.require("admin")
    return await webhooks.endpoint_detail(db, endpoint_id)


@put(
    "/api/v1/webhooks/{endpoint_id:int}",
    operation_class=json_body_operation(WEBHOOK_ENDPOINT_SCHEMA),
    summary="Change a webhook endpoint's URL, events, email grant or state (admin)",
)
async def put_endpoint(
    request: Request[Any, Any, Any],
    endpoint_id: EndpointId,
    moderator: NamedDependency[Moderator],
    runtime: NamedDependency[Runtime],
) -> EndpointView:
    moderator.require("admin")
    payload, _ = await read_payload(request, allow_form=False)
    view = await webhooks.update_endpoint(runtime.db, endpoint_id, payload, policy=target_policy(runtime.settings))
    runtime.subscriptions.forget()
    return view


@delete("/api/v1/webhooks/{endpoint_id:int}", summary="Delete a webhook endpoint and its messages (admin)")
async def remove_endpoint(
    endpoint_id: EndpointId, moderator: NamedDependency[Moderator], runtime: NamedDependency[Runtime]
) -> None:
    moderator.require("admin")
    await webhooks.delete_endpoint(runtime.db, endpoint_id)
    runtime.subscriptions.forget()


@post(
    "/api/v1/webhooks/{endpoint_id:int}/secret",
    summary="Rotate the signing secret; the previous one signs beside it for 24 hours (admin)",
    status_code=200,
)
async def rotate_secret(
    endpoint_id: EndpointId, db: NamedDependency[Database], moderator: NamedDependency[Moderator]
) -> RotatedSecret:
    moderator.require("admin")
    return await webhooks.rotate_secret(db, endpoint_id)


@post(
    "/api/v1/webhooks/{endpoint_id:int}/test",
    summary="Send a webhook.test message to this endpoint through the outbox (admin)",
    status_code=202,
)
async def test_endpoint(
    endpoint_id: EndpointId, db: NamedDependency[Database], moderator: NamedDependency[Moderator]
) -> TestMessage:
    moderator.require("admin")
    return await webhooks.send_test(db, endpoint_id, moderator=moderator)


@post(
    "/api/v1/outbox/{message_id:uuid}/replay",
    summary="Send an outbox message (a dead one, say) again from its first attempt (admin)",
    status_code=200,
)
async def replay_message(
    message_id: Annotated[uuid.UUID, PathParameter()],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
) -> Replayed:
    moderator.require("admin")
    return Replayed(id=message_id, previous_status=await delivery.replay(db, message_id))


ROUTES = [get_endpoints, add_endpoint, get_endpoint, put_endpoint, remove_endpoint, rotate_secret, test_endpoint,
          replay_message]  # fmt: skip
