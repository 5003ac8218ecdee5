"""Finding a caller by phone: a number matches phone fields by its digits, however either side
wrote it, with or without the country code (emulator.sosl.phones)."""

from __future__ import annotations

import httpx
import pytest

from emulator.sosl import phones
from tests.helpers.emulator import API, create
from tests.helpers.emulator.searches import found, names

#: How a caller's number arrives: E.164 from telephony, or as a person says or types it.
WRITTEN_FORMS = (
    "+1 (415) 555-0100",
    "+14155550100",
    "+1 415 555 0100",
    "415.555.0100",
    "(415) 555-0100",
    "415-555-0100",
    "4155550100",
    "1 415 555 0100",
    "001 415 555 0100",
)


@pytest.mark.parametrize(
    ("searched", "stored", "expected"),
    [
        ("+1 (415) 555-0132", "+1 415 555 0132", True),
        ("415.555.0132", "+1 415 555 0132", True),
        ("4155550132", "+1 415 555 0132", True),
        ("1 415 555 0132", "+1 415 555 0132", True),
        ("+1 (415) 555-0132", "(415) 555-0132", True),
        ("4155550132", "(415) 555-0132", True),
        ("415.555.0132", "415-555-0132", True),
        ("4155550132", "+1 415 555 0132 x204", True),  # the extension is not the number
        ("+44 20 7946 0958", "020 7946 0958", True),  # a trunk 0 is not either
        ("0044 20 7946 0958", "+44 20 7946 0958", True),
        ("2079460958", "+44 (0)20 7946 0958", True),  # nor the (0) after a country code
        ("5550132", "+1 415 555 0132", False),  # a number that merely ends the other
        ("+44 415 555 0132", "+1 415 555 0132", False),  # another country
        ("4155550133", "+1 415 555 0132", False),
        ("415555*", "+1 415 555 0132", True),
        ("+1 415*", "(415) 555-0132", True),
        ("416*", "+1 415 555 0132", False),
        ("4155550132", "", False),
    ],
)
def test_phone_rule(searched: str, stored: str, expected: bool) -> None:
    """The documented rule, case by case."""
    assert phones.matches(searched, stored) is expected


@pytest.mark.parametrize("written", WRITTEN_FORMS)
@pytest.mark.parametrize("group", ["IN PHONE FIELDS ", "IN ALL FIELDS ", ""])
async def test_a_caller_is_found_however_the_number_is_written(
    client: httpx.AsyncClient, written: str, group: str
) -> None:
    """Ana García, stored as +1 415 555 0100, is found from every written form of her number."""
    records = await found(client, f"FIND {{{written}}} {group}RETURNING Contact(Name), Lead(Name)")
    assert names(records) == [("Contact", "Ana García")]


@pytest.mark.parametrize(
    "written", ["+1 720 555 0163", "+17205550163", "720.555.0163", "7205550163"]
)
async def test_a_number_stored_in_the_ui_format_is_found(
    client: httpx.AsyncClient, written: str
) -> None:
    """Theo Adeyemi's phone is stored as (720) 555-0163; his opt-outs come with him."""
    fields = "Name, DoNotCall, HasOptedOutOfEmail"
    records = await found(client, f"FIND {{{written}}} IN PHONE FIELDS RETURNING Contact({fields})")
    assert [(r["Name"], r["DoNotCall"], r["HasOptedOutOfEmail"]) for r in records] == [
        ("Theo Adeyemi", True, True)
    ]


async def test_every_phone_field_is_searched(client: httpx.AsyncClient) -> None:
    """MobilePhone and HomePhone are phone fields too; a new record is found at once."""
    contact = await create(
        client,
        "Contact",
        {"LastName": "Obi", "MobilePhone": "0049 30 1234 5678", "HomePhone": "212.555.0188"},
    )
    for written in ("+49 30 12345678", "030 1234 5678", "+1 212 555 0188", "2125550188"):
        records = await found(client, f"FIND {{{written}}} IN PHONE FIELDS RETURNING Contact(Id)")
        assert [r["Id"] for r in records] == [contact], written


async def test_a_number_is_not_a_name(client: httpx.AsyncClient) -> None:
    """IN NAME FIELDS a phone number finds nothing; a part of it finds every phone holding it."""
    assert await found(client, "FIND {4155550100} IN NAME FIELDS RETURNING Contact(Name)") == []
    by_group = await found(client, "FIND {0100} IN PHONE FIELDS RETURNING Contact(Name, Phone)")
    assert ("Ana García", "+1 415 555 0100") in [(r["Name"], r["Phone"]) for r in by_group]


async def test_parameterized_search_finds_the_caller(client: httpx.AsyncClient) -> None:
    """The structured form a voice agent uses: no SOSL to assemble, the number as it came."""
    response = await client.get(
        f"{API}/parameterizedSearch",
        params={
            "q": "+1 (512) 555-0142",
            "in": "PHONE",
            "sobject": ["Contact", "Lead"],
            "Contact.fields": "Id,Name",
            "Lead.fields": "Id,Name,Company,DoNotCall",
            "overallLimit": "5",
        },
    )
    assert response.status_code == 200, response.text
    (marco,) = response.json()["searchRecords"]
    assert (marco["Name"], marco["Company"], marco["DoNotCall"]) == (
        "Marco Rossi",
        "Brightline Solar",
        False,
    )
