"""Validation of a reader's report of a reply: the reason, the explanation (required for illegal content) and the
optional contact email, reported per field. Error messages never quote what was sent."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from email_validator import EmailNotValidError, validate_email

from service.errors import FieldError, InvalidInput
from service.rules.validation import _BODY_CONTROL, email_problem

REASONS: Final = ("spam", "abuse", "off_topic", "illegal")
EXPLANATION_MAX: Final = 1000  # characters; enough to name the law or the harm, short enough to read in the folder
CONTACT_MAX: Final = 320  # the longest address email-validator accepts


@dataclass(frozen=True, slots=True)
class NewReport:
    reason: str
    explanation: str | None  # trimmed, NFC; None when left empty
    contact_email: str | None  # normalised; None when left empty


def _optional_text(payload: Mapping[str, object], key: str, errors: list[FieldError]) -> str | None:
    value = payload.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.append(FieldError(key, "must be a string"))
        return None
    return unicodedata.normalize("NFC", value).strip() or None


def _explanation(payload: Mapping[str, object], reason: object, errors: list[FieldError]) -> str | None:
    text = _optional_text(payload, "explanation", errors)
    if text is None:
        if reason == "illegal" and "explanation" not in {e.field for e in errors}:
            errors.append(FieldError("explanation", "is required for illegal content"))
        return None
    if len(text) > EXPLANATION_MAX:
        errors.append(FieldError("explanation", f"must be at most {EXPLANATION_MAX} characters"))
    elif _BODY_CONTROL.search(text):
        errors.append(FieldError("explanation", "must not contain control characters"))
    else:
        return text
    return None


def _contact(payload: Mapping[str, object], errors: list[FieldError], *, deliverability: bool) -> str | None:
    address = _optional_text(payload, "contact_email", errors)
    if address is None:
        return None
    if len(address) > CONTACT_MAX:
        errors.append(FieldError("contact_email", "is not a valid email address"))
        return None
    try:
        return validate_email(address, check_deliverability=deliverability).normalized
    except EmailNotValidError as exc:
        # email_problem strips any piece of the address from the validator's words.
        errors.append(FieldError("contact_email", email_problem(str(exc), address)))
        return None


def validate_report(payload: Mapping[str, object], *, check_deliverability: bool = False) -> NewReport:
    """The report, or InvalidInput naming each offending field."""
    errors: list[FieldError] = []
    reason = payload.get("reason")
    if reason not in REASONS:
        errors.append(FieldError("reason", "must be one of spam, abuse, off_topic, illegal"))
    explanation = _explanation(payload, reason, errors)
    contact = _contact(payload, errors, deliverability=check_deliverability)
    if errors:
        raise InvalidInput("Invalid report", errors=errors)
    return NewReport(reason=str(reason), explanation=explanation, contact_email=contact)
