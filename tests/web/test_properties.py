"""Property tests: whatever a client sends to the submit endpoint, the answer is a 2xx or a clear 4xx, never a 5xx."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from service.domain.articles import article_fields
from service.errors import InvalidInput
from service.rules.validation import validate_submission

URL = "/api/v1/articles/prop-test/comments"
text = st.text(max_size=120)
values = st.one_of(st.none(), text, st.integers(), st.booleans(), st.lists(st.integers(), max_size=3))
payloads = st.fixed_dictionaries(
    {},
    optional={
        "name": values,
        "email": st.one_of(values, st.emails()),
        "body": values,
        "website": values,
        "parent_id": st.one_of(values, st.uuids().map(str)),
        "article_title": st.one_of(values, st.text(min_size=290, max_size=310)),
        "article_url": st.one_of(values, st.from_regex(r"\A(https?|ftp|javascript):[^\n]{0,60}\Z")),
    },
)
FIELDS = {"name", "email", "body", "website", "parent_id", "article_title", "article_url"}
article_payloads = st.fixed_dictionaries(
    {},
    optional={
        "status": st.one_of(values, st.sampled_from(["open", "premoderated", "closed"])),
        "title": st.one_of(values, st.text(min_size=295, max_size=305)),
        "url": st.one_of(values, st.from_regex(r"\A(https?|ftp|javascript):[^\n]{0,60}\Z")),
        "excerpt": st.one_of(values, st.integers(19_995, 20_005).map(lambda n: "x" * n)),
    },
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(payload=payloads)
def test_any_json_payload_gets_201_or_a_field_level_4xx(client: TestClient[Any], payload: dict[str, Any]) -> None:
    response = client.post(URL, json=payload)
    assert response.status_code in {201, 400, 422}, response.text
    if response.status_code == 422:
        errors = response.json()["errors"]
        assert errors and all(e["field"] in FIELDS for e in errors)


@FAST
@given(raw=st.binary(max_size=300), kind=st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
def test_any_raw_body_gets_a_4xx_or_201(client: TestClient[Any], raw: bytes, kind: str) -> None:
    response = client.post(URL, content=raw, headers={"Content-Type": kind})
    assert response.status_code in {201, 400, 422}, response.text


@settings(max_examples=300, deadline=None)
@given(payload=payloads)
def test_validation_accepts_or_names_fields_and_never_raises_anything_else(payload: dict[str, Any]) -> None:
    try:
        new = validate_submission(payload, body_max_chars=5000, check_deliverability=False)
    except InvalidInput as exc:
        assert exc.errors
    else:
        assert 1 <= len(new.name) <= 80 and new.name == new.name.strip()
        assert new.body.strip() and len(new.body.strip()) <= 5000
        assert "@" in new.email
        assert new.article_title is None or 1 <= len(new.article_title) <= 300
        assert new.article_url is None or new.article_url.lower().startswith(("http://", "https://"))


@settings(max_examples=300, deadline=None)
@given(payload=article_payloads)
def test_article_fields_are_kept_within_their_limits_or_named(payload: dict[str, Any]) -> None:
    try:
        fields = article_fields(payload)
    except InvalidInput as exc:
        assert exc.errors and {e.field for e in exc.errors} <= set(payload)
        return
    assert set(fields) - {"metadata_source"} == set(payload)
    assert fields.get("metadata_source") == ("operator" if set(payload) & {"title", "url", "excerpt"} else None)
    assert len(fields.get("title") or "") <= 300 and len(fields.get("excerpt") or "") <= 20_000
    assert fields.get("url") is None or fields["url"].lower().startswith(("http://", "https://"))


@settings(max_examples=200, deadline=None)
@given(name=st.text(min_size=1, max_size=80), body=st.text(min_size=1, max_size=300))
def test_valid_text_is_kept_verbatim_after_nfc(name: str, body: str) -> None:
    import unicodedata

    payload = {"name": name, "email": "p@example.org", "body": body}
    try:
        new = validate_submission(payload, body_max_chars=5000, check_deliverability=False)
    except InvalidInput:
        return
    assert new.body == unicodedata.normalize("NFC", body)
