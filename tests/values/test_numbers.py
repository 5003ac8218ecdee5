"""Numbers: int, double, currency and percent values, their symbols, scale and digits."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from tests.helpers.values import refusal, value

# --- whole numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (12, 12),
        (12.0, 12),
        ("12", 12),
        ("-3", -3),
        ("+7", 7),
        ("1,250", 1250),
        ("1 250", 1250),
        ("12\u202f345", 12345),
        ("12.0", 12),
        (Decimal("40"), 40),
        ("99999999", 99_999_999),
    ],
)
def test_int_values(given: Any, expected: int) -> None:
    """int accepts JSON numbers without a fraction and digit text with grouping."""
    result = value(("Lead", "NumberOfEmployees"), given)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("12.5", "is not a whole number — give a whole number, e.g. 250"),
        (12.5, "is not a whole number"),
        ("twelve", "is not a number — give a whole number, e.g. 250"),
        ("1,25", "',' only between groups of three"),
        ("1.250", "is not a whole number"),
        (True, "true is not a number"),
        (math.nan, "is not a finite number"),
        (math.inf, "is not a finite number"),
        ("100000000", "is too large — the field holds at most 8 digits"),
        ("1" * 60, "is too long to be a number"),
        ("12%", "is not a number"),
    ],
)
def test_int_refusals(given: Any, expected: str) -> None:
    """int refuses fractions, words, NaN/infinity, booleans and values past the field's digits."""
    message = refusal(("Lead", "NumberOfEmployees"), given)
    assert message.startswith("NumberOfEmployees (Employees): ")
    assert expected in message


# --- double, currency, percent --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "given", "expected"),
    [
        (("Opportunity", "Amount"), "$1,250.50", 1250.5),
        (("Opportunity", "Amount"), "1250.505", 1250.51),
        (("Opportunity", "Amount"), 1250.505, 1250.51),
        (("Opportunity", "Amount"), "-$5", -5),
        (("Opportunity", "Amount"), "€ 1 000", 1000),
        (("Opportunity", "Amount"), "1000 €", 1000),
        (("Opportunity", "Amount"), 0.1 + 0.2, 0.3),
        (("Opportunity", "Amount"), ".5", 0.5),
        (("Lead", "AnnualRevenue"), "1250.50", 1251),
        (("Opportunity", "Probability"), "12%", 12),
        (("Opportunity", "Probability"), "12 percent", 12),
        (("Opportunity", "Probability"), 99.5, 100),
        (("Opportunity", "TotalOpportunityQuantity"), "1,250.555", 1250.56),
        (("Lead", "Latitude"), "37.774929", 37.774929),
        (("Lead", "Longitude"), "\u2212122.419416", -122.419416),
    ],
)
def test_decimal_values(target: tuple[str, str], given: Any, expected: float) -> None:
    """double/currency/percent: symbols where they fit, rounded half-up to the field's scale."""
    assert value(target, given) == expected


@pytest.mark.parametrize(
    ("target", "given", "expected"),
    [
        (
            ("Opportunity", "Amount"),
            "1.250,50",
            "Amount: '1.250,50' is not a number — give an amount, e.g. 1250.50",
        ),
        (("Opportunity", "Amount"), "12%", "is not a number"),
        (
            ("Opportunity", "TotalOpportunityQuantity"),
            "$5",
            "is not a number — give a number, e.g. 1250.5",
        ),
        (("Opportunity", "Amount"), "1" * 17, "at most 16 digits before the decimal point"),
        (
            ("Opportunity", "Amount"),
            "9999999999999999.995",
            "at most 16 digits before the decimal point",
        ),
        (("Opportunity", "Probability"), "1000", "is too large — the field holds at most 3 digits"),
        (("Opportunity", "Amount"), math.inf, "is not a finite number"),
        (("Opportunity", "Amount"), Decimal("NaN"), "is not a finite number"),
        (("Opportunity", "Amount"), False, "false is not a number"),
    ],
)
def test_decimal_refusals(target: tuple[str, str], given: Any, expected: str) -> None:
    """Decimals refuse other notations, symbols on the wrong type, overflow, NaN and booleans."""
    assert expected in refusal(target, given)
