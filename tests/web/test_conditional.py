"""If-None-Match as RFC 9110 13.1.2 reads it for a GET: "*", lists, weak comparison."""

from __future__ import annotations

import pytest

from service.web.conditional import names_version

STRONG = '"abc"'
WEAK = 'W/"abc"'


@pytest.mark.parametrize(
    ("field", "etag", "named"),
    [
        ('"abc"', STRONG, True),
        ('W/"abc"', STRONG, True),  # weak comparison: either side may be weak
        ('"abc"', WEAK, True),
        ('W/"abc"', WEAK, True),
        ("*", STRONG, True),
        ("*", WEAK, True),
        ('"old", W/"abc"', WEAK, True),
        ('"old","abc"', STRONG, True),
        ('  "old" ,\t"abc"  ', STRONG, True),
        ('"old", W/"older"', WEAK, False),
        ('"ABC"', STRONG, False),  # opaque tags compare exactly
        ('"abcd"', STRONG, False),
        ("abc", STRONG, False),  # not an entity tag: names nothing
        ('w/"abc"', STRONG, False),  # the weak marker is "W/", case-sensitive
        ('"abc"x, "old"', STRONG, False),
        ('"a,bc", "abc"', STRONG, True),  # an opaque tag may hold a comma
        ('"a,bc"', '"a,bc"', True),
        ("", STRONG, False),
    ],
)
def test_if_none_match_names_a_version_by_weak_comparison(field: str, etag: str, named: bool) -> None:
    assert names_version(field, etag) is named
