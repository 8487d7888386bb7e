"""The console's Webhooks page through HTTP: admins only, CSRF on every change, a new secret shown once, a test send
delivered by the service's own worker to a real receiver and shown among the endpoint's last deliveries."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from classifier import Scorer
from service.settings import Settings
from tests.conftest import _loaded, add_moderator, build_app
from tests.receivers import receiving
from tests.web.test_console import _sign_in


@pytest.fixture
def hooked(settings: Settings, default_model: Scorer) -> Iterator[TestClient[Any]]:
    configured = settings.with_overrides(
        delivery_worker=True, delivery_poll_seconds=0.05, webhook_private_networks=("127.0.0.0/8",)
    )
    with TestClient(build_app(configured, scoring=_loaded(configured, default_model))) as client:
        yield client


def test_the_webhooks_page_is_for_admins(client: TestClient[Any], settings: Settings) -> None:
    _sign_in(client, add_moderator(settings, "mo"))
    assert client.get("/console/webhooks").status_code == 403
    assert 'href="/console/webhooks"' not in client.get("/console").text


def test_an_admin_adds_an_endpoint_sends_a_test_and_sees_it_delivered(
    hooked: TestClient[Any], settings: Settings, admin_headers: dict[str, str]
) -> None:
    csrf = _sign_in(hooked, add_moderator(settings, "ada", role="admin"))
    assert 'href="/console/webhooks"' in hooked.get("/console").text
    with receiving() as receiver:
        form = {"url": receiver.url, "description": "<i>CRM</i>", "event:reply.held": "on", "csrf_token": csrf}
        assert hooked.post("/console/webhooks", data={**form, "csrf_token": "forged"}).status_code == 403
        added = hooked.post("/console/webhooks", data=form)
        assert added.status_code == 200 and "Endpoint added" in added.text
        found = re.search(r'<code id="new-secret">(whsec_[^<]+)</code>', added.text)
        assert found is not None
        receiver.secret = found[1]
        assert "&lt;i&gt;CRM&lt;/i&gt;" in added.text and "<i>CRM</i>" not in added.text
        assert "new-secret" not in hooked.get("/console/webhooks").text  # shown once
        (endpoint,) = hooked.get("/api/v1/webhooks", headers=admin_headers).json()["items"]
        assert endpoint["events"] == ["reply.held"]

        sent = hooked.post(f"/console/webhooks/{endpoint['id']}/test", data={"csrf_token": csrf})
        assert sent.status_code == 200 and "Test message queued" in sent.text
        (call,) = receiver.wait_for(1)
        assert call.type == "webhook.test" and receiver.refused == []
        deadline = time.monotonic() + 10
        while "delivery-sent" not in (page := hooked.get("/console/webhooks").text):
            assert time.monotonic() < deadline, "the delivery never showed as sent"
            time.sleep(0.05)
        assert call.id in page and "webhook.test" in page

        rotated = hooked.post(f"/console/webhooks/{endpoint['id']}/secret", data={"csrf_token": csrf})
        assert rotated.status_code == 200 and "previous one signs beside it" in rotated.text
        assert found[1] not in rotated.text
        replayed = hooked.post(f"/console/outbox/{call.id}/replay", data={"csrf_token": csrf})
        assert replayed.status_code == 200 and "goes out again" in replayed.text
        again = receiver.wait_for(2)
        assert again[1].id == call.id  # the same delivery id: a receiver de-duplicates it

        removed = hooked.post(f"/console/webhooks/{endpoint['id']}/remove", data={"csrf_token": csrf})
        assert removed.status_code == 200 and "Endpoint deleted" in removed.text
        assert hooked.get("/api/v1/webhooks", headers=admin_headers).json()["items"] == []


def test_a_refused_endpoint_says_why(client: TestClient[Any], settings: Settings) -> None:
    csrf = _sign_in(client, add_moderator(settings, "ada", role="admin"))
    form = {"url": "http://10.0.0.1/in", "event:decision.made": "on", "csrf_token": csrf}
    refused = client.post("/console/webhooks", data=form)
    assert refused.status_code == 422 and "private, loopback or link-local" in refused.text
    no_events = client.post("/console/webhooks", data={"url": "https://hooks.example/in", "csrf_token": csrf})
    assert no_events.status_code == 422 and "events must be a non-empty list" in no_events.text
