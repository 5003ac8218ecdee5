"""Email addresses: normalised domains, and refusals that say why (or guess a spoken one)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.values import refusal, value


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (" Ana.Lopez@Example.COM ", "Ana.Lopez@example.com"),
        ("o'brien+calls@mail.example.co.uk", "o'brien+calls@mail.example.co.uk"),
        ("ana@bücher.de", "ana@xn--bcher-kva.de"),
        ("x@a-b.io", "x@a-b.io"),
    ],
)
def test_email_values(given: str, expected: str) -> None:
    """Emails are trimmed, the domain lower-cased (and punycoded), the local part kept."""
    assert value(("Contact", "Email"), given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "ana at example",
            "Email: 'ana at example' is not a valid email address (it has no @) — ask the caller "
            "to spell it, e.g. ana@example.com",
        ),
        (
            "ana dot lopez at example dot com",
            "did you mean ana.lopez@example.com? Confirm the spelling",
        ),
        ("ana@example", "(the part after the @ is not a domain name)"),
        ("ana lopez@example.com", "(it contains a space)"),
        ("ana@@example.com", "(it has more than one @)"),
        ("ana@exa_mple.com", "(the part after the @ is not a domain name)"),
        ("ana@-example.com", "(the part after the @ is not a domain name)"),
        ("ana@example.c", "(the part after the @ is not a domain name)"),
        ("ana@example.123", "(the part after the @ is not a domain name)"),
        ('"ana lopez"@example.com', "is not a valid email address"),
        ("ana..lopez@example.com", "(the part before the @ has characters an address cannot have)"),
        (".ana@example.com", "(the part before the @ has characters"),
        ("josé@example.com", "(the part before the @ has characters"),
        ("a" * 65 + "@example.com", "(the part before the @ has characters"),
        ("a@" + "b" * 60 + "." + "c" * 20 + ".com", "is 87 characters; the limit is 80"),
        (42, "is not an email address — give an email address, e.g. ana@example.com"),
    ],
)
def test_email_refusals(given: Any, expected: str) -> None:
    """Invalid or spoken emails are refused with the reason and an example (spoken: a guess)."""
    assert expected in refusal(("Contact", "Email"), given)
