"""Text values: trimming, numbers as text, length as Salesforce counts it, control characters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.helpers.values import refusal, value


@pytest.mark.parametrize(
    ("target", "given", "expected"),
    [
        (("Contact", "Title"), "  Head of Sales \n", "Head of Sales"),
        (("Contact", "Description"), "  line one\n\tline two\n", "  line one\n\tline two\n"),
        (("Contact", "Title"), "{{ 7*7 }}", "{{ 7*7 }}"),
        (("Contact", "Title"), "{% raw %}{{ config }}", "{% raw %}{{ config }}"),
        (("Contact", "MailingPostalCode"), 94105, "94105"),
        (("Contact", "Title"), 12.5, "12.5"),
        (("Contact", "Title"), 3.0, "3"),
        (("Contact", "Title"), Decimal("1E+3"), "1000"),
        (("Lead", "Website"), " https://example.com ", "https://example.com"),
        (("Contact", "Title"), "Ana\tLopez\r\nCEO", "Ana\tLopez\r\nCEO"),
        (("Contact", "FirstName"), "é" * 40, "é" * 40),
    ],
)
def test_text_values(target: tuple[str, str], given: Any, expected: str) -> None:
    """Text is trimmed (not textarea), numbers become text, templates stay literal text."""
    assert value(target, given) == expected


@pytest.mark.parametrize(
    ("target", "given", "expected"),
    [
        (("Contact", "FirstName"), "a" * 41, "FirstName (First Name): 'aaaa"),
        (("Contact", "FirstName"), "a" * 41, "is 41 characters; the limit is 40 — shorten it"),
        (("Contact", "FirstName"), "😀" * 20 + "a", "is 41 characters; the limit is 40"),
        (("Contact", "Title"), "bell\x07", "'bell\\x07' contains control characters"),
        (("Contact", "Description"), "nul\x00", "contains control characters — remove them"),
        (("Contact", "Title"), True, "Title: true is not text — give the text to store"),
    ],
)
def test_text_refusals(target: tuple[str, str], given: Any, expected: str) -> None:
    """Too long (counted in UTF-16 units, as Salesforce does), control characters, booleans."""
    assert expected in refusal(target, given)
