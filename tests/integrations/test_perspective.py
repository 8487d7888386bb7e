"""The Perspective-compatible API through HTTP, with the JSON Coral sends and the examples in Google's documentation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from classifier import Submission
from service.rules.policy import Overrides
from service.scoring.state import ScoringState
from service.settings import Settings
from service.web.logs import redact
from tests.conftest import build_app
from tests.feedback import stored_feedback, training_rows
from tests.replies import ABUSIVE, POLITE, SPAM

ANALYZE = "/v1alpha1/comments:analyze"
SUGGEST = "/v1alpha1/comments:suggestscore"
# Google's documented AnalyzeComment example (Perspective's "Methods" page).
GOOGLE_TEXT = "What kind of idiot name is foo? Sorry, I like your name."
GOOGLE_ANALYZE = {
    "comment": {"text": GOOGLE_TEXT},
    "languages": ["en"],
    "requestedAttributes": {"TOXICITY": {}, "UNSUBSTANTIAL": {}},
}
# Its SuggestCommentScore example (the documented one has a trailing comma, which no JSON parser takes).
GOOGLE_SUGGEST = {
    "comment": {"text": "I guess it comes down a simple choice: Get busy living, or get busy dying."},
    "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}},
    "communityId": "/forum/movies",
    "clientToken": "comment-53922",
}


def coral_analyze(text: str, *, model: str = "TOXICITY", do_not_store: bool = True) -> dict[str, Any]:
    """Exactly what Coral sends: coralproject/talk, server/src/core/server/services/perspective/perspective.ts,
    formatBody() for "comments:analyze" (the tenant's model, doNotStore defaulting to true, the locale as language)."""
    return {
        "comment": {"text": text},
        "doNotStore": do_not_store,
        "requestedAttributes": {model: {}},
        "languages": ["en"],
    }


def coral_suggest(text: str, *, status: str, model: str = "TOXICITY") -> dict[str, Any]:
    """Coral's "comments:suggestscore" body from the same formatBody(): 0 for an approved comment, 1 for a rejected
    one, the story and comment ids as a JSON context entry."""
    context = {"url": "https://news.example/story#c1", "reply_to_id_Coral_comment_id": None, "Coral_comment_id": "c1"}
    return {
        "comment": {"text": text},
        "context": {"entries": [{"text": json.dumps(context)}]},
        "attributeScores": {model: {"summaryScore": {"value": 0 if status == "APPROVED" else 1}}},
        "languages": ["en"],
        "communityId": "Coral:https://news.example",
        "clientToken": "comment:c1",
    }


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == response.status_code
    return dict(body["error"])


def test_coral_analyze_gets_a_toxicity_probability_and_stores_nothing(
    client: TestClient[Any], settings: Settings, api_key: str
) -> None:
    polite = client.post(f"{ANALYZE}?key={api_key}", json=coral_analyze(POLITE[0]))
    abusive = client.post(f"{ANALYZE}?key={api_key}", json=coral_analyze(ABUSIVE[0], do_not_store=False))
    assert polite.status_code == 200, polite.text
    low, high = (r.json()["attributeScores"]["TOXICITY"]["summaryScore"] for r in (polite, abusive))
    assert low["type"] == high["type"] == "PROBABILITY"
    assert 0 <= low["value"] < 0.2 < 0.8 < high["value"] <= 1
    assert polite.json()["languages"] == ["en"] and polite.json()["detectedLanguages"] == ["en"]
    assert "spanScores" not in polite.json()["attributeScores"]["TOXICITY"]
    assert stored_feedback(settings) == []  # analyze never stores, doNotStore or not


def test_attributes_map_onto_the_two_heads(client: TestClient[Any], api_key: str) -> None:
    request = {
        "comment": {"text": SPAM[0]},
        "requestedAttributes": {"TOXICITY": {}, "SEVERE_TOXICITY": {}, "SPAM": {"scoreType": "PROBABILITY"}},
        "clientToken": "req-7",
    }
    body = client.post(f"{ANALYZE}?key={api_key}", json=request).json()
    expected = client.app.state.scoring.score_now([Submission(body=SPAM[0])])[0].scores
    scores = {name: entry["summaryScore"]["value"] for name, entry in body["attributeScores"].items()}
    assert scores["TOXICITY"] == pytest.approx(expected.abuse_score, abs=1e-7)
    assert scores["SEVERE_TOXICITY"] == pytest.approx(expected.abuse_score**2, abs=1e-7)
    assert scores["SPAM"] == pytest.approx(expected.spam_score, abs=1e-7) and scores["SPAM"] > 0.9
    assert body["clientToken"] == "req-7"


def test_google_example_names_the_attribute_we_cannot_score(client: TestClient[Any], api_key: str) -> None:
    refused = client.post(f"{ANALYZE}?key={api_key}", json=GOOGLE_ANALYZE)
    assert refused.status_code == 400
    error = _error(refused)
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith("Unknown requested attribute: UNSUBSTANTIAL")
    violations = [v for d in error["details"] for v in d.get("fieldViolations", [])]
    assert violations[0]["field"] == "requested_attributes[UNSUBSTANTIAL]"
    assert any(d.get("attribute") == "UNSUBSTANTIAL" for d in error["details"])


@pytest.mark.parametrize("attribute", ["INSULT", "PROFANITY", "THREAT", "IDENTITY_ATTACK"])
def test_abuse_kinds_one_head_cannot_tell_apart_are_refused_not_zeroed(
    client: TestClient[Any], api_key: str, attribute: str
) -> None:
    request = {"comment": {"text": ABUSIVE[1]}, "requestedAttributes": {"TOXICITY": {}, attribute: {}}}
    error = _error(client.post(f"{ANALYZE}?key={api_key}", json=request))
    assert attribute in error["message"] and error["status"] == "INVALID_ARGUMENT"


def test_google_example_with_drop_unsupported_and_spans(client: TestClient[Any], api_key: str) -> None:
    request = {**GOOGLE_ANALYZE, "dropUnsupportedAttributes": True, "spanAnnotations": True}
    body = client.post(f"{ANALYZE}?key={api_key}", json=request).json()
    assert set(body["attributeScores"]) == {"TOXICITY"}
    spans = body["attributeScores"]["TOXICITY"]["spanScores"]
    # The two sentences, as in Google's example response: "What kind of idiot name is foo?" and the rest.
    assert [(s["begin"], s["end"]) for s in spans] == [(0, 31), (32, 56)]
    assert spans[0]["score"]["value"] > 0.5 > spans[1]["score"]["value"]
    assert all(s["score"]["type"] == "PROBABILITY" for s in spans)


def test_a_score_below_the_requested_threshold_is_left_out(client: TestClient[Any], api_key: str) -> None:
    request = {"comment": {"text": POLITE[1]}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 0.5}}}
    body = client.post(f"{ANALYZE}?key={api_key}", json=request).json()
    assert body["attributeScores"] == {}


def test_a_language_the_model_does_not_read_is_perspectives_language_error(
    client: TestClient[Any], api_key: str
) -> None:
    error = _error(client.post(f"{ANALYZE}?key={api_key}", json={**coral_analyze(POLITE[6]), "languages": ["de"]}))
    assert error["message"] == "Attribute TOXICITY does not support request languages: de"
    assert error["details"][0]["errorType"] == "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"
    assert client.post(f"{ANALYZE}?key={api_key}", json={**coral_analyze(POLITE[0]), "languages": ["en-GB"]}).is_success


@pytest.mark.parametrize(
    ("request_body", "error_type"),
    [
        ({"comment": {"text": "  "}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
        ({"comment": {"text": "x" * 20481}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_TOO_LONG"),
        ({"comment": {"text": "hello"}}, "NO_REQUESTED_ATTRIBUTES"),
        ({"comment": {"text": "hello", "type": "HTML"}, "requestedAttributes": {"TOXICITY": {}}}, "INVALID_REQUEST"),
        ({"comment": "hello", "requestedAttributes": {"TOXICITY": {}}}, "INVALID_REQUEST"),
        ({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {"scoreType": "STD_DEV"}}}, "INVALID_REQUEST"),
        ({"comment": {"text": "hi"}, "requestedAttributes": {"SPAM": {}}, "spanAnnotations": "yes"}, "INVALID_REQUEST"),
    ],
)
def test_bad_requests_get_perspectives_error_shape(
    client: TestClient[Any], api_key: str, request_body: dict[str, Any], error_type: str
) -> None:
    error = _error(client.post(f"{ANALYZE}?key={api_key}", json=request_body))
    assert error["status"] == "INVALID_ARGUMENT" and error["details"][0]["errorType"] == error_type


def test_unreadable_bodies_are_google_errors_too(client: TestClient[Any], api_key: str) -> None:
    malformed = client.post(
        f"{ANALYZE}?key={api_key}", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400 and _error(malformed)["status"] == "INVALID_ARGUMENT"
    as_form = client.post(f"{ANALYZE}?key={api_key}", data={"comment": "x"})
    assert as_form.status_code == 415 and "status" in _error(as_form)


def test_keys_missing_or_wrong_are_refused_as_google_refuses_them(client: TestClient[Any], api_key: str) -> None:
    missing = client.post(ANALYZE, json=coral_analyze(POLITE[0]))
    assert missing.status_code == 403 and _error(missing)["status"] == "PERMISSION_DENIED"
    wrong = client.post(f"{ANALYZE}?key=rgk_wrong", json=coral_analyze(POLITE[0]))
    assert wrong.status_code == 400 and _error(wrong)["details"][0]["reason"] == "API_KEY_INVALID"
    header = client.post(ANALYZE, json=coral_analyze(POLITE[0]), headers={"X-Goog-Api-Key": api_key})
    assert header.status_code == 200


def test_key_guessing_gets_resource_exhausted(settings: Settings) -> None:
    limited = settings.with_overrides(rate_limit_enabled=True, auth_failure_limit_per_address=1)
    with TestClient(build_app(limited)) as client:
        codes = [client.post(f"{ANALYZE}?key=guess{n}", json=coral_analyze("hi")).status_code for n in range(2)]
        assert codes == [400, 429]
        refused = client.post(f"{SUGGEST}?key=guess", json=GOOGLE_SUGGEST)
        assert _error(refused)["status"] == "RESOURCE_EXHAUSTED" and refused.headers["retry-after"]


def test_without_a_model_analyze_is_unavailable(settings: Settings, api_key: str) -> None:
    with TestClient(build_app(settings, scoring=ScoringState(scorer=None, overrides=Overrides()))) as client:
        answer = client.post(f"{ANALYZE}?key={api_key}", json=coral_analyze(POLITE[0]))
        assert answer.status_code == 503 and _error(answer)["status"] == "UNAVAILABLE"


def test_coral_suggestions_become_abuse_labels(client: TestClient[Any], settings: Settings, api_key: str) -> None:
    approved = client.post(f"{SUGGEST}?key={api_key}", json=coral_suggest(POLITE[4], status="APPROVED"))
    assert approved.status_code == 200 and approved.json() == {"clientToken": "comment:c1"}
    client.post(f"{SUGGEST}?key={api_key}", json=coral_suggest(ABUSIVE[0], status="DELETED"))
    rows = training_rows(settings)
    assert [(row.text, row.spam, row.abuse, row.source) for row in rows] == [
        (ABUSIVE[0], None, 1, "perspective"),
        (POLITE[4], None, 0, "perspective"),
    ]
    assert "news.example" not in repr(stored_feedback(settings))  # the context (story URL, ids) is not kept


def test_google_suggest_example_is_a_not_toxic_label(client: TestClient[Any], settings: Settings, api_key: str) -> None:
    answer = client.post(f"{SUGGEST}?key={api_key}", json=GOOGLE_SUGGEST)
    assert answer.json() == {"clientToken": "comment-53922"}
    assert [(row.abuse, row.spam) for row in training_rows(settings)] == [(0, None)]


def test_do_not_store_stores_nothing(client: TestClient[Any], settings: Settings, api_key: str) -> None:
    suggestion = {**coral_suggest(ABUSIVE[1], status="DELETED"), "doNotStore": True}
    assert client.post(f"{SUGGEST}?key={api_key}", json=suggestion).status_code == 200
    assert client.post(f"{ANALYZE}?key={api_key}", json=coral_analyze(ABUSIVE[1], do_not_store=True)).is_success
    assert stored_feedback(settings) == []


def test_suggestions_that_teach_nothing_certain_are_not_stored(
    client: TestClient[Any], settings: Settings, api_key: str
) -> None:
    # A low SEVERE_TOXICITY says the reply is not severely toxic, not that it is polite.
    mild = coral_suggest(ABUSIVE[0], status="APPROVED", model="SEVERE_TOXICITY")
    assert client.post(f"{SUGGEST}?key={api_key}", json=mild).status_code == 200
    spans_only = {
        "comment": {"text": SPAM[1]},
        "attributeScores": {"SPAM": {"spanScores": [{"begin": 0, "end": 5, "score": {"value": 1}}]}},
    }
    assert client.post(f"{SUGGEST}?key={api_key}", json=spans_only).json() == {}
    assert [(row.spam, row.abuse) for row in training_rows(settings)] == [(1, None)]
    unknown = coral_suggest(POLITE[0], status="APPROVED", model="INSULT")
    assert _error(client.post(f"{SUGGEST}?key={api_key}", json=unknown))["status"] == "INVALID_ARGUMENT"


def test_api_keys_in_the_query_string_never_reach_the_logs() -> None:
    line = '127.0.0.1:5 - "POST /v1alpha1/comments:analyze?key=rgk_Secret-123_x HTTP/1.1" 200'
    assert "Secret" not in redact(line) and "key=[key]" in redact(line)
    assert "rgk_" not in redact("created rgk_abcDEF-_123")
