"""Validation and normalisation of a submitted reply: every field rule of the contract, reported per field."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from classifier.submission import email_domain
from service.errors import FieldError, InvalidInput
from service.ids import parse_id

# Dots alone (".", "..") are path segments, not names: in a URL they move up the path (a Location header or a form
# action built from the id would point elsewhere).
ARTICLE_ID = re.compile(r"(?!\.+$)[A-Za-z0-9._~-]{1,128}")
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
    # "Notify me of replies to my comment": mail once the address is confirmed (docs/notifications.md).
    notify: bool = False

    @property
    def email_domain(self) -> str | None:
        """What the model may see of the email (classifier.submission.email_domain)."""
        return email_domain(self.email)


def check_article_id(article_id: str) -> str:
    if not ARTICLE_ID.fullmatch(article_id):
        raise InvalidInput(
            "Invalid article id",
            errors=[FieldError("article_id", "must be 1-128 characters of A-Z a-z 0-9 . _ ~ -, not only dots")],
        )
    return article_id


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cs"} or ord(char) in _FORMAT_CONTROLS


# _is_control as one character class (Cc and Cs are fixed ranges of the standard): a regex scan instead of a Python
# call per character, which cost ~0.4 ms on a 5,000-character body. tests/rules/test_validation_rules.py checks that
# both agree on every code point.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_BODY_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Characters a name must not hold because they show as nothing: every format character (Cf: zero-width spaces and
# joiners, bidi marks, the BOM, tag characters...), the combining grapheme joiner, Khmer and Mongolian invisible marks
# and the Hangul fillers. "Adm\u200bin" would show as "Admin". _is_invisible is the same set, code point by code point
# (tests/rules/test_validation_rules.py checks that the two agree).
_INVISIBLE_MARKS = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810), 0x3164, 0xFFA0}
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\U000110bd"
    "\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def _is_invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or ord(char) in _INVISIBLE_MARKS


def without_controls(text: str, *, body: bool) -> str:
    """`text` less what a name (body=False) or a body (body=True) may not hold: what an import keeps of a source's
    text, where refusing the whole reply would lose it."""
    if body:
        return _BODY_CONTROL.sub("", text)
    return _INVISIBLE.sub("", _CONTROL.sub(" ", text))


def name_problem(name: str) -> str | None:
    """Why a trimmed name (a reply's author, a moderator, an API key) cannot be shown as it is; None if it can."""
    if not name:
        return "is required"
    if len(name) > NAME_MAX:
        return f"must be at most {NAME_MAX} characters"
    if _CONTROL.search(name):
        return "must not contain control characters"
    if _INVISIBLE.search(name):
        return "must not contain invisible characters (zero-width, bidi or other format characters)"
    return None


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
    name = _line(payload, "name", errors, limit=NAME_MAX, required=True)
    problem = name_problem(name) if name is not None else None
    if problem is not None:
        errors.append(FieldError("name", problem))
        return None
    return name


def _email(payload: Mapping[str, object], errors: list[FieldError], *, deliverability: bool) -> str | None:
    raw = _filled(payload, "email", errors, required=True)
    if raw is None:
        return None
    address = raw.strip()
    try:
        # Regular commenters send the same address again and again; the syntax check is pure, so it is cached.
        # A deliverability check asks DNS, whose answer may change: never cached.
        if deliverability:
            return validate_email(address, check_deliverability=True).normalized
        return _normalised_if_valid(address)
    except EmailNotValidError as exc:
        errors.append(FieldError("email", email_problem(str(exc), address)))
        return None


# Where the validator's messages quote what was sent: a nested error's text in parentheses (IDNA's, which echoes the
# decoded domain label), the list after a colon of the characters it refused, the domain in deliverability messages.
_QUOTED_PARTS = re.compile(r"\s*\(.*\)|:\s.*?(?=\.?$)|(?<=^The domain name )\S+ ")
_PLAIN_MESSAGE = re.compile(r"[A-Za-z0-9 @.,'-]+")
EMAIL_INVALID = "is not a valid email address"


def email_problem(message: str, address: str) -> str:
    """The validator's message without anything of the address in it: submitted values never reach error text.

    Its fixed words are kept (they say what is wrong); anything else, or a message still holding a piece of the
    address, becomes a plain "is not a valid email address"."""
    text = _QUOTED_PARTS.sub("", message.removeprefix("After Unicode normalization: ")).strip()
    text = text.replace("The domain name", "The domain") if message.startswith("The domain name") else text
    pieces = {part for part in re.split(r"[@.]", address) if len(part) >= 3}
    if not _PLAIN_MESSAGE.fullmatch(text) or any(piece.lower() in text.lower() for piece in pieces):
        return EMAIL_INVALID
    return text if text.endswith(".") else text + "."


@lru_cache(maxsize=65_536)
def _normalised_if_valid(address: str) -> str:
    """email-validator's syntax check (~0.1 ms) and its normalised address; an invalid address raises and is not
    cached. Only the string is kept: a cache of 65,536 ValidatedEmail objects (each with its own attribute dict) was
    most of what the collector's full passes walked, 12-15 ms each under load (docs/performance.md)."""
    return validate_email(address, check_deliverability=False).normalized


def normalised_email(address: str) -> str | None:
    """The address as submissions store it (the validator's normalised form), or None if its syntax is invalid."""
    try:
        return _normalised_if_valid(address.strip())
    except EmailNotValidError:
        return None


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
    notify = _checkbox(payload, "notify", errors)
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
        notify=notify,
    )


def validate_edit(payload: Mapping[str, object], *, body_max_chars: int) -> str:
    """An author's new text for their reply: the submission's body rule, its errors in the same shape."""
    errors: list[FieldError] = []
    body = _body(payload, errors, max_chars=body_max_chars)
    if errors or body is None:
        raise InvalidInput("Invalid edit", errors=errors)
    return body


def _checkbox(payload: Mapping[str, object], key: str, errors: list[FieldError]) -> bool:
    """A JSON boolean, or a form's checkbox ("on", "true", "1" ticked; absent, "", "false", "0" not)."""
    value = payload.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in {"on", "true", "1", "yes", "", "false", "0", "no", "off"}:
        return value.strip().lower() in {"on", "true", "1", "yes"}
    errors.append(FieldError(key, "must be true or false"))
    return False
