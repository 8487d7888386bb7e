"""What the model may see of a reply's email: its domain alone, taken one way by every path."""

from __future__ import annotations

import pytest

from classifier.submission import email_domain


@pytest.mark.parametrize(
    ("address", "domain"),
    [
        ("ana@example.org", "example.org"),
        ("Ana@Example.ORG ", "example.org"),
        ("odd@name@mail.example", "mail.example"),
        ("no-at-sign", None),
        (None, None),
    ],
)
def test_the_model_sees_the_lower_cased_domain_after_the_last_at_sign(address: str | None, domain: str | None) -> None:
    assert email_domain(address) == domain
