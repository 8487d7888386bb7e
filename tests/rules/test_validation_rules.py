"""The fast control- and invisible-character scans agree with the rules they stand for, on every code point."""

from __future__ import annotations

import sys

from email_validator import EmailNotValidError, validate_email

from service.rules import validation


def test_control_classes_match_the_unicode_rule_on_every_code_point() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        control = validation._is_control(char)
        assert bool(validation._CONTROL.fullmatch(char)) == control, hex(code)
        allowed = char in validation._BODY_ALLOWED_CONTROLS
        assert bool(validation._BODY_CONTROL.fullmatch(char)) == (control and not allowed), hex(code)


def test_a_validated_submission_carries_the_same_domain_as_email_validator_finds() -> None:
    new = validation.validate_submission(
        {"name": "Ana", "email": "Ana@BÜCHER.example", "body": "Thanks"},
        body_max_chars=5000,
        check_deliverability=False,
    )
    assert new.email == "Ana@bücher.example"
    assert new.email_domain == "bücher.example"


def test_the_invisible_class_matches_its_rule_on_every_code_point() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert bool(validation._INVISIBLE.fullmatch(char)) == validation._is_invisible(char), hex(code)


def test_email_problems_never_quote_the_address() -> None:
    for address in ("ana@secretlabel\U0001f4a9.org", "ana@secret\u2603label.org", "x<secret>@label.org", "ana@[1.2.3]"):
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            problem = validation.email_problem(str(exc), address)
            assert "secret" not in problem and "label" not in problem and "1.2.3" not in problem, problem
            assert problem.endswith(".")
        else:
            raise AssertionError(address)
    domain_message = "The domain name secretlabel.example does not exist."
    assert validation.email_problem(domain_message, "a@secretlabel.example") == "The domain does not exist."
