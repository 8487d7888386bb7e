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
