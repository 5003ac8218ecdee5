"""Picklist, combobox and multipicklist values: matched by value or label, or refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.values import custom, refusal, value

# --- picklists ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "given", "expected"),
    [
        (("Event", "ShowAs"), "busy", "Busy"),
        (("Event", "ShowAs"), " Out of Office ", "OutOfOffice"),
        (("Contact", "CleanStatus"), "in sync", "Matched"),
        (("Task", "RecurrenceInstance"), "2ND", "Second"),
        (("Event", "GroupEventType"), 1, "1"),
        (("Lead", "Status"), "working  -  contacted", "Working - Contacted"),
        (("Lead", "LeadSource"), "Podcast", "Podcast"),
        (("Opportunity", "StageName"), " closed won ", "Closed Won"),
        (("Task", "Subject"), "call", "Call"),
        (("Task", "Subject"), "Call back about invoice 1042", "Call back about invoice 1042"),
    ],
)
def test_picklist_values(target: tuple[str, str], given: Any, expected: str) -> None:
    """Picklists match values or labels in any case; unrestricted ones and combobox pass others."""
    assert value(target, given) == expected


def test_restricted_picklist_refusal_lists_allowed_values() -> None:
    """An unknown value on a restricted picklist is refused with a guess and the allowed values."""
    assert refusal(("Event", "ShowAs"), "bussy") == (
        "ShowAs (Show Time As): 'bussy' is not one of the allowed values — did you mean Busy? "
        "use one of: Busy, OutOfOffice, Free"
    )


def test_long_picklists_list_the_first_ten_values() -> None:
    """A long allowed list is cut to ten values with the total count."""
    message = refusal(("Task", "RecurrenceTimeZoneSidKey"), "Mars/Olympus_Mons")
    assert "values in all)" in message
    assert message.count(",") < 15


def test_huge_picklist_values_are_refused_without_a_guess() -> None:
    """A huge unknown value on a restricted picklist is refused without a "did you mean" guess."""
    message = refusal(("Task", "RecurrenceTimeZoneSidKey"), "America/New_York" * 10_000)
    assert "did you mean" not in message
    assert "is not one of the allowed values — use one of:" in message


def test_picklist_labels_longer_than_the_field_still_match() -> None:
    """The length limit applies to the API value sent, not to the label that named it."""
    kind = custom(
        "picklist",
        picklist_values=("A",),
        picklist_labels=("A rather long label for value A",),
        restricted_picklist=True,
        length=5,
    )
    assert value(kind, "a rather long label for value a") == "A"


def test_unrestricted_picklist_values_respect_the_length() -> None:
    """A value passed through an unrestricted picklist must still fit the field."""
    assert "the limit is 20" in refusal(("Task", "Priority"), "x" * 21)


# --- multi-select picklists -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["red", "Blue"], "Red;Blue"),
        ("red; blue ;red", "Red;Blue"),
        (("Green",), "Green"),
        ([], None),
        (";", None),
    ],
)
def test_multipicklist_values(given: Any, expected: str | None) -> None:
    """Multi-select picklists take a list or "a;b", match each value, drop duplicates."""
    colors = custom(
        "multipicklist",
        picklist_values=("Red", "Blue", "Green"),
        picklist_labels=("Red", "Blue", "Green"),
        restricted_picklist=True,
        length=4099,
    )
    assert value(colors, given) == expected


def test_multipicklist_refuses_unknown_values() -> None:
    """Unknown values in a restricted multi-select picklist are named in one problem."""
    colors = custom(
        "multipicklist",
        picklist_values=("Red", "Blue"),
        picklist_labels=("Red", "Blue"),
        restricted_picklist=True,
    )
    message = refusal(colors, ["Red", "Purple", "Pink"])
    assert "has values that are not allowed ('Purple', 'Pink')" in message
    assert "use one of: Red, Blue" in message
