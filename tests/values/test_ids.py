"""Record ids (parse_id) and references to other records, checked by checksum and key prefix."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import ids
from server.values import ValueCoercionError, parse_id
from tests.helpers.values import ACCOUNT_ID, CONTACT_ID, LEAD_ID, PREFIXES, refusal, value

# --- ids ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("a0RE000000IJmcN", "a0RE000000IJmcNMAT"),
        ("001M000000qfPyS", "001M000000qfPySIAU"),
        ("0015500001QdQWa", "0015500001QdQWaAAN"),
        ("0015500001QdQWaaan", "0015500001QdQWaAAN"),
        (" 001M000000qfPySIAU ", "001M000000qfPySIAU"),
    ],
)
def test_parse_id(given: str, expected: str) -> None:
    """parse_id returns the 18-character id (CONTRACT.md §11 examples); checksum case is free."""
    assert parse_id(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("001M000000qfPySAAA", "its last 3 characters do not match the first 15"),
        ("001M000000qfPy", "is not a Salesforce record id — give a record id (15 or 18"),
        ("../../services/oauth2/token", "is not a Salesforce record id"),
        ("001M000000qfPyS AAA", "is not a Salesforce record id"),
        (1234567890123456, "is not a Salesforce record id"),
        (None, "is not a Salesforce record id"),
    ],
)
def test_parse_id_refusals(given: Any, expected: str) -> None:
    """Malformed ids and ids with a wrong checksum raise ValueCoercionError naming the field."""
    with pytest.raises(ValueCoercionError) as caught:
        parse_id(given)
    assert str(caught.value).startswith("Id: ")
    assert expected in str(caught.value)
    assert caught.value.problems[0].field == "Id"


def test_parse_id_agrees_with_the_emulator() -> None:
    """Our checksum matches the emulator's for ids the emulator hands out."""
    factory = ids.IdFactory("003")
    for _ in range(50):
        made = factory.next_id()
        assert parse_id(made[:15]) == made
        assert parse_id(made[:15] + made[15:].lower()) == made


# --- references -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "given", "expected"),
    [
        (("Contact", "AccountId"), "001M000000qfPyS", ACCOUNT_ID),
        (("Task", "WhoId"), CONTACT_ID, CONTACT_ID),
        (("Task", "WhoId"), LEAD_ID[:15], LEAD_ID),
        (("Lead", "OwnerId"), ids.to18("00G000000000001"), ids.to18("00G000000000001")),
        (("Contact", "IndividualId"), ids.to18("0PK000000000001"), ids.to18("0PK000000000001")),
    ],
)
def test_reference_values(target: tuple[str, str], given: str, expected: str) -> None:
    """References take 15/18-character ids of a target; unknown prefixes of unknown targets pass."""
    assert value(target, given, key_prefixes=PREFIXES) == expected


@pytest.mark.parametrize(
    ("target", "given", "expected"),
    [
        (
            ("Task", "WhoId"),
            ACCOUNT_ID,
            "WhoId (Name ID): '001M000000qfPySIAU' is an Account id, but the field takes a "
            "Contact or Lead id — take the id from a query result",
        ),
        (
            ("Contact", "AccountId"),
            ids.to18("00Q000000000001"),
            "is a Lead id, but the field takes an Account id",
        ),
        (
            ("Contact", "AccountId"),
            ids.to18("a0R000000000001"),
            "is the id of another kind of record",
        ),
        (("Contact", "AccountId"), "Acme Corp", "is not a Salesforce record id"),
    ],
)
def test_reference_refusals(target: tuple[str, str], given: str, expected: str) -> None:
    """An id of the wrong object (by key prefix) or not an id at all is refused."""
    assert expected in refusal(target, given, key_prefixes=PREFIXES)


def test_reference_prefix_check_needs_key_prefixes() -> None:
    """Without key_prefixes only the id's shape and checksum are checked."""
    assert value(("Task", "WhoId"), ACCOUNT_ID) == ACCOUNT_ID
