"""Validation and normalisation of a submitted reply: every field rule of the contract, reported per field."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, ValidatedEmail, validate_email

from classifier.submission import email_domain
from service.errors import FieldError, InvalidInput
from service.ids import parse_id

ARTICLE_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")
NAME_MAX = 80
WEBSITE_MAX = 200
ARTICLE_TITLE_MAX = 300
ARTICLE_URL_MAX = 2000
# Bidi embeddings/overrides/isolates and line/paragraph separators: invisible, and used to spoof names.
_FORMAT_CONTROLS = {0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
_BODY_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


@dataclass(frozen=True, slots=True)
class NewComment:
    """A submission that passed every field rule; text is NFC-normalised."""

    name: str
    email: str
    body: str
    parent_id: uuid.UUID | None
    website: str | None
    # What the article page says about itself (the embed's data-article-title/-url): stored only where nobody has
    # described the article yet (see service/storage/articles.py, fill_page_metadata).
    article_title: str | None = None
    article_url: str | None = None

    @property
    def email_domain(self) -> str | None:
        """What the model may see of the email (classifier.submission.email_domain)."""
        return email_domain(self.email)


def check_article_id(article_id: str) -> str:
    if not ARTICLE_ID.fullmatch(article_id):
        raise InvalidInput(
            "Invalid article id",
            errors=[FieldError("article_id", "must be 1-128 characters of A-Z a-z 0-9 . _ ~ -")],
        )
    return article_id


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cs"} or ord(char) in _FORMAT_CONTROLS


# _is_control as one character class (Cc and Cs are fixed ranges of the standard): a regex scan instead of a Python
# call per character, which cost ~0.4 ms on a 5,000-character body. tests/rules/test_validation_rules.py checks that
# both agree on every code point.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_BODY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _text(payload: Mapping[str, object], key: str, errors: list[FieldError], *, required: bool) -> str | None:
    value = payload.get(key)
    if value is None or (not required and value == ""):
        if required:
            errors.append(FieldError(key, "is required"))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(key, "must be a string"))
        return None
    return unicodedata.normalize("NFC", value)


def _filled(payload: Mapping[str, object], key: str, errors: list[FieldError], *, required: bool) -> str | None:
    """The field's text as sent (NFC), or None when it is missing or blank once trimmed ("is required" if required)."""
    raw = _text(payload, key, errors, required=required)
    if raw is None:
        return None
    if not raw.strip():
        if required:
            errors.append(FieldError(key, "is required"))
        return None
    return raw


def _line(
    payload: Mapping[str, object], key: str, errors: list[FieldError], *, limit: int, required: bool
) -> str | None:
    """A one-line text field, trimmed: blank is missing (an error when required), no control characters."""
    raw = _filled(payload, key, errors, required=required)
    if raw is None:
        return None
    line = raw.strip()
    if len(line) > limit:
        errors.append(FieldError(key, f"must be at most {limit} characters"))
    elif _CONTROL.search(line):
        errors.append(FieldError(key, "must not contain control characters"))
    else:
        return line
    return None


def _name(payload: Mapping[str, object], errors: list[FieldError]) -> str | None:
    return _line(payload, "name", errors, limit=NAME_MAX, required=True)


def _email(payload: Mapping[str, object], errors: list[FieldError], *, deliverability: bool) -> str | None:
    raw = _filled(payload, "email", errors, required=True)
    if raw is None:
        return None
    address = raw.strip()
    try:
        # Regular commenters send the same address again and again; the syntax check is pure, so it is cached.
        # A deliverability check asks DNS, whose answer may change: never cached.
        valid = validate_email(address, check_deliverability=True) if deliverability else _valid_syntax(address)
    except EmailNotValidError as exc:
        # The validator's words, with the address itself taken out: error messages must never echo an email.
        message = str(exc).replace(address, "the address")
        errors.append(FieldError("email", message))
        return None
    return valid.normalized


@lru_cache(maxsize=65_536)
def _valid_syntax(address: str) -> ValidatedEmail:
    """email-validator's syntax check (~0.1 ms); an invalid address raises and is not cached."""
    return validate_email(address, check_deliverability=False)


def _body(payload: Mapping[str, object], errors: list[FieldError], *, max_chars: int) -> str | None:
    body = _filled(payload, "body", errors, required=True)
    if body is None:
        return None
    if len(body.strip()) > max_chars:
        errors.append(FieldError("body", f"must be at most {max_chars} characters"))
    elif _BODY_CONTROL.search(body):
        errors.append(FieldError("body", "must not contain control characters"))
    else:
        return body
    return None


# ASCII characters RFC 3986 never allows unencoded in a URL; a "website" holding them is markup, not an address.
_NOT_IN_URLS = frozenset('"<>\\^`{|}')


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, and no whitespace, control or markup characters."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    return (
        parts.scheme.lower() in {"http", "https"}
        and bool(host)
        and not any(c.isspace() or _is_control(c) or c in _NOT_IN_URLS for c in value)
    )


def _url(payload: Mapping[str, object], key: str, errors: list[FieldError], *, max_chars: int) -> str | None:
    raw = _filled(payload, key, errors, required=False)
    if raw is None:
        return None
    url = raw.strip()
    if len(url) > max_chars:
        errors.append(FieldError(key, f"must be at most {max_chars} characters"))
    elif not is_http_url(url):
        errors.append(FieldError(key, "must be an http or https URL"))
    else:
        return url
    return None


def _website(payload: Mapping[str, object], errors: list[FieldError]) -> str | None:
    return _url(payload, "website", errors, max_chars=WEBSITE_MAX)


def _article_title(payload: Mapping[str, object], errors: list[FieldError]) -> str | None:
    return _line(payload, "article_title", errors, limit=ARTICLE_TITLE_MAX, required=False)


def _parent_id(payload: Mapping[str, object], errors: list[FieldError]) -> uuid.UUID | None:
    raw = payload.get("parent_id")
    if raw is None or raw == "":
        return None
    parent = parse_id(raw) if isinstance(raw, str) else None
    if parent is None:
        errors.append(FieldError("parent_id", "must be the id of a published comment of this article"))
    return parent


def validate_submission(
    payload: Mapping[str, object], *, body_max_chars: int, check_deliverability: bool
) -> NewComment:
    """The validated submission; raises InvalidInput naming every offending field at once."""
    errors: list[FieldError] = []
    name = _name(payload, errors)
    email = _email(payload, errors, deliverability=check_deliverability)
    body = _body(payload, errors, max_chars=body_max_chars)
    website = _website(payload, errors)
    parent_id = _parent_id(payload, errors)
    article_title = _article_title(payload, errors)
    article_url = _url(payload, "article_url", errors, max_chars=ARTICLE_URL_MAX)
    if errors or name is None or email is None or body is None:
        raise InvalidInput("Invalid submission", errors=errors)
    return NewComment(
        name=name,
        email=email,
        body=body,
        parent_id=parent_id,
        website=website,
        article_title=article_title,
        article_url=article_url,
    )
