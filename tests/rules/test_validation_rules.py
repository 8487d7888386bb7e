"""The fast control-character scans agree with the rule they stand for, on every code point."""

from __future__ import annotations

import sys

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
