"""Coral's external moderation phase through HTTP, with the exact bytes and signature header Coral sends."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from classifier import Submission
from service.integrations import coral
from service.rules.policy import Overrides, count_links, decide
from service.scoring.state import ScoringState
from service.settings import Settings, SettingsError
from service.storage.database import opened
from service.storage.tables import comments
from service.web.logs import redact
from tests.conftest import build_app, run
from tests.feedback import stored_feedback
from tests.replies import ABUSIVE, POLITE, SPAM

PHASE = "/coral/external-moderation"
# Secrets as Coral generates them: "empsec_" + 32-37 random bytes in hex (signingSecret/helpers.ts).
SECRET = "empsec_" + "5e1f" * 16
ROTATED = "empsec_" + "a07c" * 16
# Coral's COMMENT_STATUS, and the values its Joi schema (external.ts) lets through.
CORAL_STATUSES = {"NONE", "APPROVED", "REJECTED", "PREMOD", "SYSTEM_WITHHELD"}
CORAL_REASONS = {"COMMENT_DETECTED_TOXIC", "COMMENT_DETECTED_SPAM"}


def coral_request(body: str, *, parent_id: str | None = None, action: str = "NEW") -> dict[str, Any]:
    """Coral's ExternalModerationRequest as processPhase() in external.ts builds it, keys in its order."""
    return {
        "action": action,
        "comment": {"body": body, "parentID": parent_id},
        "author": {"id": "baf4e943-3594-4fcc-b2ba-3e8de7a76352", "role": "COMMENTER"},
        "story": {"id": "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6", "url": "https://news.example/posts/budget-vote/"},
        "site": {"id": "a4bede88-2d2c-4424-bc18-4322a9e285a6"},
        "tenantID": "19ba5794-7eeb-4d46-a81b-c00c61672501",
        "tenantDomain": "comments.news.example",
    }


def coral_bytes(request: dict[str, Any]) -> bytes:
    """JSON.stringify(request, null, 2) (fetch.ts, generateFetchOptions): two-space indent, ", " never, UTF-8."""
    return json.dumps(request, indent=2, ensure_ascii=False).encode()


def coral_signature(body: bytes, *secrets: str) -> str:
    """generateSignatures() in signingSecret/helpers.ts, written out independently of service/integrations/coral.py:
    one `sha256=<hex HMAC-SHA256 of the body>` per active secret, joined by commas."""
    return ",".join("sha256=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets)


def send(client: TestClient[Any], request: dict[str, Any] | bytes, *secrets: str, **headers: str) -> Any:
    body = request if isinstance(request, bytes) else coral_bytes(request)
    sent = {"Content-Type": "application/json", "User-Agent": "Coral Moderation/9.0.0"}
    if secrets:
        sent["X-Coral-Signature"] = coral_signature(body, *secrets)
    return client.post(PHASE, content=body, headers={**sent, **headers})


def coral_accepts(answer: dict[str, Any]) -> dict[str, Any]:
    """What Coral keeps of an answer: its Joi schema with stripUnknown (external.ts, validateResponse), which throws
    on any value outside its enums. Returns the stripped answer."""
    kept: dict[str, Any] = {}
    if "status" in answer:
        assert answer["status"] in CORAL_STATUSES
        kept["status"] = answer["status"]
    if "tags" in answer:
        assert all(tag in {"FEATURED", "STAFF"} for tag in answer["tags"])
        kept["tags"] = answer["tags"]
    if "actions" in answer:
        assert isinstance(answer["actions"], list)
        for action in answer["actions"]:
            assert action["actionType"] == "FLAG" and action["reason"] in CORAL_REASONS
        kept["actions"] = [{"actionType": a["actionType"], "reason": a["reason"]} for a in answer["actions"]]
    return kept


@pytest.fixture
def coral_settings(settings: Settings) -> Settings:
    return settings.with_overrides(coral_signing_secrets=(SECRET,))


@pytest.fixture
def coral_client(coral_settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(build_app(coral_settings)) as client:
        yield client


def _expected_status(client: TestClient[Any], settings: Settings, text: str) -> str | None:
    scored = client.app.state.scoring.score_now([Submission(body=text)])[0]
    verdict = decide(
        scored.scores,
        thresholds=scored.thresholds,
        article_status="open",
        link_count=count_links(text),
        max_links=settings.max_links,
    )
    return coral.STATUSES.get(verdict.status)


def test_a_polite_reply_gets_204_so_coral_applies_its_own_status(coral_client: TestClient[Any]) -> None:
    for text in POLITE[:4]:
        answer = send(coral_client, coral_request(text), SECRET)
        assert answer.status_code == 204, answer.text
        assert answer.content == b""


def test_spam_is_flagged_as_spam_with_the_status_our_thresholds_give(
    coral_client: TestClient[Any], coral_settings: Settings
) -> None:
    answer = send(coral_client, coral_request(SPAM[0]), SECRET)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == _expected_status(coral_client, coral_settings, SPAM[0])
    assert body["status"] in {"REJECTED", "SYSTEM_WITHHELD"}
    kept = coral_accepts(body)
    assert {"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"} in kept["actions"]
    details = body["metadata"]["replyguard"]
    assert details["spam_score"] > 0.9 and details["model_version"]
    assert any(r["code"].startswith("spam_score_") for r in details["reasons"])
    spam_flag = next(a for a in body["actions"] if a["reason"] == "COMMENT_DETECTED_SPAM")
    assert spam_flag["additionalDetails"].startswith("replyguard: ")


def test_abuse_is_flagged_as_toxic(coral_client: TestClient[Any], coral_settings: Settings) -> None:
    for text in ABUSIVE:
        body = send(coral_client, coral_request(text, parent_id="d79b787f-f406-49a0-a179-72e3652e54be"), SECRET).json()
        assert body["status"] == _expected_status(coral_client, coral_settings, text)
        reasons = {a["reason"] for a in coral_accepts(body)["actions"]}
        assert "COMMENT_DETECTED_TOXIC" in reasons
        assert body["metadata"]["replyguard"]["abuse_score"] > 0.8


def test_rejected_and_held_map_onto_corals_statuses(coral_settings: Settings) -> None:
    # Thresholds fixed by settings so both outcomes are certain: everything above 0.5 rejected, 0.2-0.5 held.
    strict = coral_settings.with_overrides(
        spam_hold_threshold=0.2, spam_reject_threshold=0.5, abuse_hold_threshold=0.2, abuse_reject_threshold=0.5
    )
    lenient = coral_settings.with_overrides(
        spam_hold_threshold=0.2,
        spam_reject_threshold=0.999999,
        abuse_hold_threshold=0.2,
        abuse_reject_threshold=0.999999,
    )
    with TestClient(build_app(strict)) as client:
        assert send(client, coral_request(SPAM[1]), SECRET).json()["status"] == "REJECTED"
    with TestClient(build_app(lenient)) as client:
        assert send(client, coral_request(SPAM[1]), SECRET).json()["status"] == "SYSTEM_WITHHELD"


def test_too_many_links_is_held_and_flagged_as_spam(coral_client: TestClient[Any], coral_settings: Settings) -> None:
    links = " ".join(f"https://site{i}.example/page" for i in range(coral_settings.max_links + 1))
    body = send(coral_client, coral_request(f"{POLITE[0]} {links}"), SECRET).json()
    assert body["status"] in {"SYSTEM_WITHHELD", "REJECTED"}
    assert any(r["code"] == "too_many_links" for r in body["metadata"]["replyguard"]["reasons"])
    assert {"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"} in coral_accepts(body)["actions"]


def test_an_html_body_is_read_as_its_words_and_links(coral_client: TestClient[Any]) -> None:
    html = (
        "<p>BUY CHEAP VIAGRA ONLINE!!! Best prices, no prescription "
        '<a href="http://cheap-pills.example" rel="nofollow">http://cheap-pills.example</a></p>'
        "<p>&lt;order&gt; now&nbsp;<b>http://pills.example</b></p>"
    )
    request = coral.parse_request(coral_bytes(coral_request(html)))
    text = coral.comment_text(request)
    assert "<p>" not in text and "<order>" in text and "http://cheap-pills.example" in text
    # Coral's linkify writes <a href="U">U</a>: one link, counted once; a hidden address behind other words counts.
    assert count_links(text) == 2
    hidden = coral_request('<p>see <a href="http://pills.example/buy">my page</a></p>')
    assert "http://pills.example/buy" in coral.comment_text(coral.parse_request(coral_bytes(hidden)))
    body = send(coral_client, coral_request(html), SECRET).json()
    assert {"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"} in coral_accepts(body)["actions"]
    assert send(coral_client, coral_request("<p>" + POLITE[2] + "</p>"), SECRET).status_code == 204


@pytest.mark.parametrize("body", ["", "   ", "<p><img src='gif.gif'></p>"])
def test_a_reply_without_words_gets_no_opinion(coral_client: TestClient[Any], body: str) -> None:
    assert send(coral_client, coral_request(body), SECRET).status_code == 204


def test_an_edit_is_scored_like_a_new_reply(coral_client: TestClient[Any]) -> None:
    new = send(coral_client, coral_request(SPAM[2]), SECRET).json()
    edit = send(coral_client, coral_request(SPAM[2], action="EDIT"), SECRET).json()
    assert new == edit


def test_the_first_releases_request_shape_is_accepted(coral_client: TestClient[Any]) -> None:
    # Coral 6.0's ExternalModerationPhaseRequest: tenant {id, domain} first, no tenantID/tenantDomain.
    request = {
        "tenant": {"id": "19ba5794", "domain": "comments.news.example"},
        "action": "NEW",
        "comment": {"body": ABUSIVE[0], "parentID": None},
        "author": {"id": "baf4e943", "role": "COMMENTER"},
        "story": {"id": "245b3856", "url": "https://news.example/a/"},
        "site": {"id": "a4bede88"},
    }
    answer = send(coral_client, request, SECRET)
    assert answer.status_code == 200 and coral_accepts(answer.json())["actions"]


def test_nothing_is_stored(coral_client: TestClient[Any], coral_settings: Settings) -> None:
    for text in (POLITE[0], SPAM[0], ABUSIVE[0]):
        send(coral_client, coral_request(text), SECRET)

    async def count() -> int:
        async with opened(coral_settings) as db, db.read() as conn:
            return int((await conn.execute(select(func.count()).select_from(comments))).scalar_one())

    assert run(count()) == 0
    assert stored_feedback(coral_settings) == []


def test_without_a_signature_the_answer_is_401(coral_client: TestClient[Any]) -> None:
    answer = send(coral_client, coral_request(SPAM[0]))
    assert answer.status_code == 401 and "X-Coral-Signature" in answer.json()["detail"]


@pytest.mark.parametrize(
    "signature",
    [
        "sha256=" + "0" * 64,
        "sha256=",
        "sha1=" + "0" * 40,
        "not a signature",
        coral_signature(b"some other body", SECRET),
    ],
)
def test_a_signature_that_does_not_match_is_403(coral_client: TestClient[Any], signature: str) -> None:
    body = coral_bytes(coral_request(SPAM[0]))
    answer = coral_client.post(
        PHASE, content=body, headers={"Content-Type": "application/json", "X-Coral-Signature": signature}
    )
    assert answer.status_code == 403, answer.text


def test_a_wrong_secret_is_403(coral_client: TestClient[Any]) -> None:
    assert send(coral_client, coral_request(SPAM[0]), ROTATED).status_code == 403


def test_a_body_changed_after_signing_is_403(coral_client: TestClient[Any]) -> None:
    signed = coral_bytes(coral_request(POLITE[0]))
    tampered = coral_bytes(coral_request(SPAM[0]))
    headers = {"Content-Type": "application/json", "X-Coral-Signature": coral_signature(signed, SECRET)}
    assert coral_client.post(PHASE, content=tampered, headers=headers).status_code == 403
    # Re-serialised JSON is not the body Coral signed either: the signature covers the exact bytes.
    compact = json.dumps(coral_request(POLITE[0]), separators=(",", ":")).encode()
    assert coral_client.post(PHASE, content=compact, headers=headers).status_code == 403


def test_rotated_secrets_are_accepted_while_both_are_configured(settings: Settings) -> None:
    both = settings.with_overrides(coral_signing_secrets=(SECRET, ROTATED))
    with TestClient(build_app(both)) as client:
        # While the old secret is still active Coral signs with both; afterwards with the new one alone.
        assert send(client, coral_request(SPAM[0]), SECRET, ROTATED).status_code == 200
        assert send(client, coral_request(SPAM[0]), ROTATED).status_code == 200
        assert send(client, coral_request(SPAM[0]), SECRET).status_code == 200
    only_new = settings.with_overrides(coral_signing_secrets=(ROTATED,))
    with TestClient(build_app(only_new)) as client:
        assert send(client, coral_request(SPAM[0]), SECRET, ROTATED).status_code == 200
        assert send(client, coral_request(SPAM[0]), SECRET).status_code == 403


def test_an_unconfigured_phase_is_404(client: TestClient[Any]) -> None:
    answer = send(client, coral_request(SPAM[0]), SECRET)
    assert answer.status_code == 404 and "REPLYGUARD_CORAL_SIGNING_SECRETS" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("request_body", "status", "field"),
    [
        (b"{not json", 400, None),
        (b"[1, 2]", 422, "body"),
        (coral_bytes({**coral_request("x"), "comment": {"parentID": None}}), 422, "comment.body"),
        (coral_bytes({**coral_request("x"), "comment": {"body": 5}}), 422, "comment.body"),
        (coral_bytes({**coral_request("x"), "action": "DELETE"}), 422, "action"),
        (coral_bytes({k: v for k, v in coral_request("x").items() if k != "action"}), 422, "action"),
        (coral_bytes({**coral_request("x"), "comment": "x"}), 422, "comment"),
    ],
)
def test_a_malformed_request_names_its_field(
    coral_client: TestClient[Any], request_body: bytes, status: int, field: str | None
) -> None:
    answer = send(coral_client, request_body, SECRET)
    assert answer.status_code == status, answer.text
    if field is not None:
        assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_a_body_that_is_not_json_by_its_media_type_is_415(coral_client: TestClient[Any]) -> None:
    answer = send(coral_client, coral_request(SPAM[0]), SECRET, **{"Content-Type": "text/plain"})
    assert answer.status_code == 415


def test_without_a_model_the_reply_is_withheld_not_published(coral_settings: Settings) -> None:
    with TestClient(build_app(coral_settings, scoring=ScoringState(scorer=None, overrides=Overrides()))) as client:
        answer = send(client, coral_request(POLITE[0]), SECRET)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "SYSTEM_WITHHELD" and "actions" not in body
    assert [r["code"] for r in body["metadata"]["replyguard"]["reasons"]] == ["model_unavailable"]


def test_failed_signatures_count_against_the_address(coral_settings: Settings) -> None:
    limited = coral_settings.with_overrides(rate_limit_enabled=True, auth_failure_limit_per_address=3)
    with TestClient(build_app(limited)) as client:
        codes = [send(client, coral_request(SPAM[0]), ROTATED).status_code for _ in range(4)]
        assert codes == [403, 403, 403, 429]
        assert send(client, coral_request(SPAM[0])).headers.get("Retry-After")


def test_the_secret_and_the_comment_are_never_logged(
    coral_client: TestClient[Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        send(coral_client, coral_request(SPAM[0]), SECRET)
        send(coral_client, coral_request(SPAM[0]), ROTATED)
        send(coral_client, b"{not json", SECRET)
    assert SECRET not in caplog.text and ROTATED not in caplog.text
    assert "cheap-pills" not in caplog.text and "baf4e943" not in caplog.text
    # And should a secret ever reach a log line, the formatter hides it as it hides API keys.
    assert redact(f"secrets ({SECRET!r}, {ROTATED!r})") == "secrets ('[key]', '[key]')"


def test_signatures_are_read_as_coral_writes_them() -> None:
    body = b'{\n  "action": "NEW"\n}'
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert coral.sign(body, [SECRET]) == f"sha256={digest}"
    assert coral.signatures(f"sha256={digest}, sha256=abc,sha1=def") == [digest, "abc"]
    assert coral.is_signed(body, f"sha256={digest.upper()}", [SECRET])
    assert coral.is_signed(body, f"sha256=00,sha256={digest}", [ROTATED, SECRET])
    assert not coral.is_signed(body, f"sha256={digest}", [ROTATED])
    assert not coral.is_signed(body, None, [SECRET]) and not coral.is_signed(body, f"sha256={digest}", [])


def test_short_or_empty_secrets_are_refused_at_start_up() -> None:
    with pytest.raises(SettingsError, match="CORAL_SIGNING_SECRETS"):
        Settings.from_env({"REPLYGUARD_CORAL_SIGNING_SECRETS": "short"})
    assert Settings.from_env({"REPLYGUARD_CORAL_SIGNING_SECRETS": f"{SECRET}, {ROTATED}"}).coral_signing_secrets == (
        SECRET,
        ROTATED,
    )
    assert Settings.from_env({}).coral_signing_secrets == ()


def test_the_openapi_schema_describes_the_phase_as_coral_speaks_it(client: TestClient[Any]) -> None:
    operation = client.get("/schema/openapi.json").json()["paths"][PHASE]["post"]
    assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [
        ("X-Coral-Signature", "header", True)
    ]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request["required"] == ["action", "comment"] and request["properties"]["action"]["enum"] == ["NEW", "EDIT"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(answer["properties"]["status"]["enum"]) <= CORAL_STATUSES
    assert set(answer["properties"]["actions"]["items"]["properties"]["reason"]["enum"]) == CORAL_REASONS
    assert "content" not in operation["responses"]["204"]
