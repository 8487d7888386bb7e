"""Webhooks end to end: admins manage endpoints through the API; replies and decisions reach a real receiver on
loopback through the outbox and the service's own delivery worker, signed per Standard Webhooks (the receiver checks
every signature), filtered by event, without the author's email unless granted; targets in private networks are
refused unless allowed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from classifier import Scorer
from service.domain.events import WEBHOOK_EVENTS
from service.domain.webhook_signature import SignatureError, verify
from service.settings import Settings
from tests.conftest import _loaded, build_app
from tests.receivers import Receiver, receiving
from tests.replies import POLITE, reply

LOOPBACK = ("127.0.0.0/8",)


@pytest.fixture
def hooked_settings(settings: Settings) -> Settings:
    return settings.with_overrides(
        delivery_worker=True, delivery_poll_seconds=0.05, webhook_private_networks=LOOPBACK, rules_check_seconds=0
    )


@pytest.fixture
def hooked(hooked_settings: Settings, default_model: Scorer) -> Iterator[TestClient[Any]]:
    """The app with its delivery worker running and loopback receivers allowed."""
    app = build_app(hooked_settings, scoring=_loaded(hooked_settings, default_model))
    with TestClient(app) as client:
        yield client


def _add(client: TestClient[Any], headers: dict[str, str], url: str, **fields: Any) -> dict[str, Any]:
    created = client.post("/api/v1/webhooks", json={"url": url, **fields}, headers=headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _listening(client: TestClient[Any], headers: dict[str, str], receiver: Receiver, **fields: Any) -> dict[str, Any]:
    """An endpoint for `receiver`, which from now on checks every call's signature with the endpoint's secret."""
    created = _add(client, headers, receiver.url, **fields)
    receiver.secret = created["secret"]
    return created


def test_a_reply_and_a_decision_reach_the_receiver_signed_and_without_the_email(
    hooked: TestClient[Any], admin_headers: dict[str, str], moderator_headers: dict[str, str]
) -> None:
    with receiving() as receiver:
        created = _listening(hooked, admin_headers, receiver)
        assert created["secret"].startswith("whsec_") and created["events"] == list(WEBHOOK_EVENTS)
        assert created["include_email"] is False and created["enabled"] is True
        posted = hooked.post("/api/v1/articles/hooks/comments", json=reply(POLITE[0], email="ana@example.org"))
        assert posted.status_code == 201
        comment_id = posted.json()["id"]
        calls = receiver.wait_for(3)
        assert receiver.refused == []
        kinds = [call.type for call in calls]
        assert sorted(kinds) == sorted(["reply.created", "reply.published", "decision.made"])
        by_type = {call.type: call.body for call in calls}
        assert by_type["reply.created"]["data"]["id"] == comment_id
        assert by_type["reply.created"]["data"]["status"] == "published"
        assert by_type["reply.created"]["data"]["body"] == POLITE[0]
        assert by_type["decision.made"]["data"] | {"id": None, "created_at": None} == {
            "id": None, "comment_id": comment_id, "article_id": "hooks", "actor": "model", "moderator": None,
            "from_status": None, "to_status": "published", "reason": None, "created_at": None,
        }  # fmt: skip
        assert len({call.id for call in calls}) == 3  # a delivery id per message
        assert all("ana@example.org" not in str(call.body) and "email" not in call.body["data"] for call in calls)

        decided = hooked.post(
            f"/api/v1/moderation/comments/{comment_id}/decision",
            json={"action": "reject", "reason": "abuse"},
            headers=moderator_headers,
        )
        assert decided.status_code == 200
        calls = receiver.wait_for(5)
        later = {call.type: call.body["data"] for call in calls[3:]}
        assert set(later) == {"reply.rejected", "decision.made"}
        assert later["reply.rejected"]["status"] == "rejected"
        assert (later["decision.made"]["actor"], later["decision.made"]["moderator"]) == ("moderator", "mod")
        assert (later["decision.made"]["from_status"], later["decision.made"]["reason"]) == ("published", "abuse")

        # The receiver has the fifth call before the worker records its outcome: wait (bounded) for the record.
        deadline = time.monotonic() + 10
        while True:
            detail = hooked.get(f"/api/v1/webhooks/{created['id']}", headers=admin_headers).json()
            statuses = [d["status"] for d in detail["deliveries"]]
            if statuses == ["sent"] * 5 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert "secret" not in detail
        assert statuses == ["sent"] * 5
        assert {d["id"] for d in detail["deliveries"]} == {call.id for call in calls}


def test_an_endpoint_hears_only_its_events_and_the_email_only_when_granted(
    hooked: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    with receiving() as held_only, receiving() as granted:
        _listening(hooked, admin_headers, held_only, events=["reply.held"])
        _listening(hooked, admin_headers, granted, events=["reply.created", "decision.made"], include_email=True)
        hooked.post("/api/v1/articles/hooks/comments", json=reply(POLITE[1], email="bo@example.org"))
        held_mode = hooked.put("/api/v1/rules/modes/articles/held", json={"mode": "all-held"}, headers=admin_headers)
        assert held_mode.status_code == 200
        hooked.post("/api/v1/articles/held/comments", json=reply(POLITE[2], email="cy@example.org"))
        granted_calls = granted.wait_for(4)
        (held,) = held_only.wait_for(1)
        assert held.type == "reply.held" and held.body["data"]["status"] == "pending"
        assert "email" not in held.body["data"]
        created = [call.body["data"] for call in granted_calls if call.type == "reply.created"]
        assert sorted(data["email"] for data in created) == ["bo@example.org", "cy@example.org"]
        assert all("email" not in call.body["data"] for call in granted_calls if call.type == "decision.made")
        time.sleep(0.3)  # nothing else arrives
        assert len(held_only.calls) == 1 and len(granted.calls) == 4


def test_a_rotated_secret_signs_beside_the_new_one_and_a_test_send_arrives(
    hooked: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    with receiving() as receiver:
        created = _listening(hooked, admin_headers, receiver, events=["reply.created"])
        old = created["secret"]
        rotated = hooked.post(f"/api/v1/webhooks/{created['id']}/secret", headers=admin_headers)
        assert rotated.status_code == 200
        new = rotated.json()["secret"]
        assert new != old and new.startswith("whsec_")
        receiver.secret = new
        sent = hooked.post(f"/api/v1/webhooks/{created['id']}/test", headers=admin_headers)
        assert sent.status_code == 202
        (call,) = receiver.wait_for(1)
        assert call.type == "webhook.test" and call.id == sent.json()["delivery_id"]
        assert len(call.headers["webhook-signature"].split()) == 2
        body = call.raw
        now = int(time.time())
        assert verify(old, call.headers, body, now=now) == call.id  # receivers not yet switched still verify
        assert verify(new, call.headers, body, now=now) == call.id
        with pytest.raises(SignatureError):
            verify("whsec_" + "A" * 44, call.headers, body, now=now)
        with pytest.raises(SignatureError):
            verify(new, call.headers, body + b" ", now=now)
        with pytest.raises(SignatureError):
            verify(new, call.headers, body, now=now + 3600)  # a replay an hour later


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://[::1]/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://localhost/hooks",
    ],
)
def test_targets_in_private_networks_are_refused_unless_allowed(
    client: TestClient[Any], admin_headers: dict[str, str], url: str
) -> None:
    refused = client.post("/api/v1/webhooks", json={"url": url}, headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "url"
    assert "private, loopback or link-local" in refused.json()["errors"][0]["message"]


def test_only_loopback_is_allowed_when_the_operator_allows_loopback(
    hooked: TestClient[Any], admin_headers: dict[str, str]
) -> None:
    assert (
        hooked.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/in"}, headers=admin_headers).status_code == 201
    )
    refused = hooked.post("/api/v1/webhooks", json={"url": "http://10.0.0.5/in"}, headers=admin_headers)
    assert refused.status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": "ftp://hooks.example/in"}, "url"),
        ({"url": "https://user:pw@hooks.example/in"}, "url"),
        ({"url": "https://hooks.example/in", "events": []}, "events"),
        ({"url": "https://hooks.example/in", "events": ["reply.archived"]}, "events"),
        ({"url": "https://hooks.example/in", "include_email": "yes"}, "include_email"),
        ({"url": "https://hooks.example/in", "secret": "whsec_x"}, "secret"),
        ({"url": "https://hooks.example/in", "description": "x" * 201}, "description"),
    ],
)
def test_a_bad_endpoint_is_refused_naming_the_field(
    client: TestClient[Any], admin_headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    refused = client.post("/api/v1/webhooks", json=body, headers=admin_headers)
    assert refused.status_code == 422
    assert field in [error["field"] for error in refused.json()["errors"]]


def test_endpoints_are_for_admins_and_can_be_changed_and_deleted(
    client: TestClient[Any], admin_headers: dict[str, str], moderator_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/webhooks").status_code == 401
    assert client.get("/api/v1/webhooks", headers=moderator_headers).status_code == 403
    forbidden = client.post("/api/v1/webhooks", json={"url": "https://hooks.example/in"}, headers=moderator_headers)
    assert forbidden.status_code == 403
    created = _add(client, admin_headers, "https://hooks.example/in", description="CRM")
    listed = client.get("/api/v1/webhooks", headers=admin_headers).json()["items"]
    assert [item["description"] for item in listed] == ["CRM"] and "secret" not in listed[0]
    changed = client.put(
        f"/api/v1/webhooks/{created['id']}",
        json={"url": "https://hooks.example/v2", "events": ["decision.made"], "enabled": False},
        headers=admin_headers,
    )
    assert changed.status_code == 200
    assert (changed.json()["url"], changed.json()["events"], changed.json()["enabled"]) == (
        "https://hooks.example/v2", ["decision.made"], False)  # fmt: skip
    assert client.delete(f"/api/v1/webhooks/{created['id']}", headers=admin_headers).status_code == 204
    assert client.get(f"/api/v1/webhooks/{created['id']}", headers=admin_headers).status_code == 404
    assert client.post(f"/api/v1/webhooks/{created['id']}/test", headers=admin_headers).status_code == 404
    assert client.put(f"/api/v1/webhooks/{created['id']}", json={"url": "https://a.example/"},
                      headers=admin_headers).status_code == 404  # fmt: skip


def test_the_schema_documents_the_webhook_routes(client: TestClient[Any]) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    for path in ("/api/v1/webhooks", "/api/v1/webhooks/{endpoint_id}", "/api/v1/webhooks/{endpoint_id}/secret",
                 "/api/v1/webhooks/{endpoint_id}/test", "/api/v1/outbox/{message_id}/replay"):  # fmt: skip
        assert path in paths, path
    body = paths["/api/v1/webhooks"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"url", "description", "events", "include_email", "enabled"}
    assert body["properties"]["events"]["items"]["enum"] == list(WEBHOOK_EVENTS)
