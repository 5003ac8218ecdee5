"""coerce_value: empty values, the shape of a value, over-long text for a parsed type, and the
types it does not set."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.values import custom, record, refusal


@pytest.mark.parametrize("empty", [None, "", " \t "])
def test_empty_is_null_for_nillable_fields(empty: Any) -> None:
    """None, "" and whitespace mean empty: sent as null for nillable fields of any type."""
    data = {"Title": empty, "Phone": empty, "Birthdate": empty, "AccountId": empty, "Email": empty}
    assert record("Contact", data, "update") == dict.fromkeys(data)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            ("Contact", "LastName"),
            "LastName (Last Name) is required and cannot be empty — give text",
        ),
        (("Event", "IsPrivate"), "IsPrivate (Private) must be true or false; it cannot be empty"),
    ],
)
def test_empty_is_refused_for_non_nillable_fields(target: tuple[str, str], expected: str) -> None:
    """An empty value for a non-nillable field is refused, naming the field."""
    assert refusal(target, None) == expected


@pytest.mark.parametrize("given", [["a", "b"], {"first": "Ana"}, {"x"}])
def test_lists_and_objects_are_refused_for_single_value_fields(given: Any) -> None:
    """A list or object for a scalar field is a problem, not a stringified value."""
    assert "is not a single value — give text" in refusal(("Contact", "Title"), given)


@pytest.mark.parametrize(
    ("target", "given"),
    [
        (("Contact", "Phone"), "1" + " " * 100_000 + "x"),
        (("Contact", "Birthdate"), "5 " * 50_000),
        (("Event", "StartDateTime"), "1:11" + " " * 100_000 + "pm"),
        (("Contact", "Email"), "a" * 100_000 + "@example.com"),
        (("Lead", "NumberOfEmployees"), "1," * 50_000),
    ],
)
def test_huge_values_for_parsed_types_are_refused_before_parsing(
    target: tuple[str, str], given: str
) -> None:
    """Dates, numbers, phones… longer than 255 characters are refused without being parsed."""
    assert f"is {len(given)} characters, too long — give" in refusal(target, given)


def test_compound_fields_are_refused_by_coerce_value() -> None:
    """coerce_value on an address field points at its component fields."""
    message = refusal(("Account", "BillingAddress"), {"street": "1 Main St"})
    assert "is a compound address field; set its component fields instead" in message


def test_unsupported_types_are_refused() -> None:
    """A type callforce does not write (base64 file content) is refused by name."""
    assert (
        refusal(custom("base64"), "aGVsbG8=")
        == "Custom__c (Custom) has type base64, which callforce cannot set"
    )
