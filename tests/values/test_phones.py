"""Phone numbers: E.164 after a +, national numbers as written, extensions kept."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.values import refusal, value


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+1 415 555 0100", "+14155550100"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("(415) 555-0100", "(415) 555-0100"),
        ("415.555.0100", "415.555.0100"),
        ("  415   555  0100 ", "415 555 0100"),
        ("(415) 555-0100 x12", "(415) 555-0100 ext. 12"),
        ("+1 415 555 0100, extension 7", "+14155550100 ext. 7"),
        ("415-555-0100 ext.99", "415-555-0100 ext. 99"),
        (4155550100, "4155550100"),
        ("911", "911"),
    ],
)
def test_phone_values(given: Any, expected: str) -> None:
    """A leading + gives E.164; national numbers keep their formatting; extensions are kept."""
    assert value(("Contact", "Phone"), given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1-800-FLOWERS", "contains letters — give the number as digits"),
        ("call me maybe", "contains letters"),
        ("12", "has too few digits — give a phone number, e.g. +14155550100"),
        ("+12 34", "after the + come the country code and number, 7 to 15 digits"),
        ("+1 415 555 0100 1234 5678", "7 to 15 digits"),
        ("415*555*0100", "is not a phone number — give a phone number"),
        ("415+555", "is not a phone number"),
        (415.5, "is not a phone number"),
        ("1" * 41, "is 41 characters; the limit is 40"),
    ],
)
def test_phone_refusals(given: Any, expected: str) -> None:
    """Letters (vanity numbers), too few digits, bad E.164 and odd characters are refused."""
    message = refusal(("Contact", "Phone"), given)
    assert message.startswith("Phone (Business Phone): ")
    assert expected in message
