"""Probes, metrics and the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from service.domain.moderation import NOTE_MAX
from service.rules import site_rules, validation
from service.rules.policy import overrides_from
from service.scoring.state import ScoringState
from service.settings import Settings
from service.storage.tables import EXCERPT_MAX
from tests.conftest import build_app
from tests.replies import POLITE, reply


def test_health_and_ready(client: TestClient[Any]) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["model_loaded"] is True


def test_without_a_model_ready_is_503_and_replies_wait(settings: Settings, moderator_headers: dict[str, str]) -> None:
    no_model = ScoringState(scorer=None, overrides=overrides_from(settings), problem="no model is registered")
    with TestClient(build_app(settings, scoring=no_model)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert "no model" in ready.json()["model"]
        created = client.post("/api/v1/articles/x/comments", json=reply(POLITE[0]))
        assert created.status_code == 201 and created.json()["status"] == "pending"
        item = client.get(f"/api/v1/moderation/comments/{created.json()['id']}", headers=moderator_headers).json()
        assert item["status"] == "pending"
        assert [r["code"] for r in item["reasons"]] == ["model_unavailable"]


def test_unreachable_database_is_503_with_retry_after(tmp_path: Any, model_dir: Any) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db", data_dir=None)
    with TestClient(build_app(settings, scoring=ScoringState(None, overrides_from(settings)))) as client:
        response = client.post("/api/v1/articles/x/comments", json=reply(POLITE[0]))
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert client.get("/ready").status_code == 503


def test_metrics_are_prometheus_text(client: TestClient[Any]) -> None:
    client.get("/api/v1/articles/x/comments")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "replyguard_requests_total" in response.text


def test_openapi_schema_documents_the_contract(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()
    paths = schema["paths"]
    submit = paths["/api/v1/articles/{article_id}/comments"]["post"]
    assert set(submit["requestBody"]["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    created = submit["responses"]["201"]["content"]["application/json"]["schema"]
    answer = schema["components"]["schemas"][created["$ref"].rsplit("/", 1)[1]]
    assert {"edit_token", "editable_until"} <= set(answer["properties"])
    # The author's edit and delete: the token in Authorization, documented on both.
    own = paths["/api/v1/articles/{article_id}/comments/{comment_id}"]
    assert {"get", "patch", "delete"} <= set(own)
    for method in ("patch", "delete"):
        headers = {p["name"] for p in own[method]["parameters"] if p["in"] == "header"}
        assert "Authorization" in headers, method
    assert "204" in own["delete"]["responses"]
    for path in (
        "/api/v1/articles/{article_id}/comments/count",
        "/api/v1/moderation/queue",
        "/api/v1/moderation/comments/{comment_id}",
        "/api/v1/moderation/comments/{comment_id}/decision",
        "/health",
        "/ready",
    ):
        assert path in paths


def test_the_schema_states_the_limits_the_validation_applies(settings: Settings) -> None:
    """The body limit is a setting: change it and the schema follows, for JSON and for forms; the other limits are the
    validation's own constants. A body over the stated limit is refused, one at it is not."""
    limited = settings.with_overrides(body_max_chars=1234)
    with TestClient(build_app(limited, scoring=ScoringState(None, overrides_from(limited)))) as client:
        schema = client.get("/schema/openapi.json").json()
        content = schema["paths"]["/api/v1/articles/{article_id}/comments"]["post"]["requestBody"]["content"]
        for media_type in ("application/json", "application/x-www-form-urlencoded"):
            fields = content[media_type]["schema"]["properties"]
            assert fields["body"]["maxLength"] == 1234, media_type
            assert fields["name"]["maxLength"] == validation.NAME_MAX
        fields = content["application/json"]["schema"]["properties"]
        assert fields["website"]["maxLength"] == validation.WEBSITE_MAX
        assert fields["article_title"]["maxLength"] == validation.ARTICLE_TITLE_MAX
        assert fields["article_url"]["maxLength"] == validation.ARTICLE_URL_MAX
        article = schema["paths"]["/api/v1/articles/{article_id}"]["put"]["requestBody"]["content"]
        assert article["application/json"]["schema"]["properties"]["excerpt"]["maxLength"] == EXCERPT_MAX
        decision = schema["paths"]["/api/v1/moderation/comments/{comment_id}/decision"]["post"]["requestBody"]
        assert decision["content"]["application/json"]["schema"]["properties"]["note"]["maxLength"] == NOTE_MAX
        assert client.post("/api/v1/articles/x/comments", json=reply("a" * 1235)).status_code == 422
        created = client.post("/api/v1/articles/x/comments", json=reply("a" * 1234))
        assert created.status_code == 201
        # An author's edit states and applies the same body limit.
        own = schema["paths"]["/api/v1/articles/{article_id}/comments/{comment_id}"]
        edit_body = own["patch"]["requestBody"]["content"]["application/json"]["schema"]
        assert edit_body["required"] == ["body"] and edit_body["properties"]["body"]["maxLength"] == 1234
        path = f"/api/v1/articles/x/comments/{created.json()['id']}"
        token = {"Authorization": f"Bearer {created.json()['edit_token']}"}
        assert client.patch(path, json={"body": "b" * 1235}, headers=token).status_code == 422
    # Each service its own limit: another app in the same process still states the default.
    with TestClient(build_app(settings, scoring=ScoringState(None, overrides_from(settings)))) as client:
        content = client.get("/schema/openapi.json").json()["paths"]["/api/v1/articles/{article_id}/comments"]
        body = content["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["body"]
        assert body["maxLength"] == settings.body_max_chars == 5000


def test_the_schema_documents_the_rules_routes_and_their_bodies(client: TestClient[Any]) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    bodies = {
        ("/api/v1/rules/lists/{list_name}", "post"): {"value", "action", "note", "expires_at"},
        ("/api/v1/rules/modes/site", "put"): {"mode", "note"},
        ("/api/v1/rules/modes/articles/{article_id}", "put"): {"mode", "note"},
        ("/api/v1/moderation/sanctions", "post"): {"email", "kind", "note", "expires_at"},
        ("/api/v1/moderation/sanctions/lift", "post"): {"email"},
        ("/api/v1/moderation/comments/{comment_id}/sanction", "post"): {"kind", "note", "expires_at"},
    }
    for (path, method), fields in bodies.items():
        schema = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
        assert set(schema["properties"]) == fields, path
    assert (
        paths["/api/v1/rules/lists/{list_name}"]["post"]["requestBody"]["content"]["application/json"]["schema"][
            "properties"
        ]["value"]["maxLength"]
        == site_rules.VALUE_MAX
    )
    for path in (
        "/api/v1/rules/lists/{list_name}/{entry_id}",
        "/api/v1/rules/modes",
        "/api/v1/rules/changes",
        "/api/v1/moderation/authors",
    ):
        assert path in paths
