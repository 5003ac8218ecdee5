"""SOSL over /search: what FIND, IN … FIELDS, RETURNING (fields, WHERE, ORDER BY, LIMIT, OFFSET)
and the overall LIMIT select from the demo org."""

from __future__ import annotations

import httpx
import pytest

from emulator.org import Org
from tests.helpers.emulator import API, create, is_id18
from tests.helpers.emulator.searches import found, names

ANA = ("Contact", "Ana García")
MARCO = ("Lead", "Marco Rossi")


async def test_returning_fields_in_the_order_written(client: httpx.AsyncClient) -> None:
    """Each record has its attributes, then exactly the RETURNING fields in their order."""
    (acme,) = await found(client, "FIND {Acme} IN NAME FIELDS RETURNING Account(Phone, Name)")
    assert list(acme) == ["attributes", "Phone", "Name"]
    assert (acme["Name"], acme["Phone"]) == ("Acme Corporation", "+1 415 555 0199")
    assert acme["attributes"]["type"] == "Account"
    assert acme["attributes"]["url"].startswith(f"{API}/sobjects/Account/")


async def test_an_object_without_a_field_list_returns_ids(client: httpx.AsyncClient) -> None:
    """RETURNING Account (no parentheses) gives the ids of the records found."""
    (acme,) = await found(client, "FIND {Acme} IN NAME FIELDS RETURNING Account")
    assert list(acme) == ["attributes", "Id"]
    assert is_id18(acme["Id"], "001")
    assert acme["attributes"]["url"] == f"{API}/sobjects/Account/{acme['Id']}"


async def test_without_returning_every_object_is_searched(client: httpx.AsyncClient) -> None:
    """FIND {Acme} alone finds the account and its opportunities, ids only."""
    records = await found(client, "FIND {Acme}")
    types = [record["attributes"]["type"] for record in records]
    assert {"Account", "Opportunity"} <= set(types)
    assert types == sorted(types)  # grouped by object
    assert all(list(record) == ["attributes", "Id"] for record in records)


async def test_parent_fields_are_nested(client: httpx.AsyncClient) -> None:
    """A relationship path in the field list gives the parent record, as in SOQL."""
    (ana,) = await found(client, "FIND {ana@example.com} RETURNING Contact(Name, Account.Name)")
    assert ana["Account"]["Name"] == "Acme Corporation"
    assert ana["Account"]["attributes"]["type"] == "Account"


async def test_where_filters_one_object(client: httpx.AsyncClient) -> None:
    """WHERE applies SOQL's filter to the records the search found."""
    records = await found(
        client,
        "FIND {555} IN PHONE FIELDS RETURNING Contact(Name, DoNotCall WHERE DoNotCall = true)",
    )
    assert len(records) >= 2
    assert all(record["DoNotCall"] is True for record in records)
    assert ("Contact", "Theo Adeyemi") in names(records)


async def test_order_by_limit_and_offset(client: httpx.AsyncClient) -> None:
    """ORDER BY sorts one object's records; OFFSET and LIMIT take a window of them."""
    everything = names(
        await found(client, "FIND {555} IN PHONE FIELDS RETURNING Lead(Name ORDER BY Name DESC)")
    )
    assert len(everything) == 60
    assert everything == sorted(everything, reverse=True)
    window = await found(
        client,
        "FIND {555} IN PHONE FIELDS RETURNING Lead(Name ORDER BY Name DESC LIMIT 3 OFFSET 2)",
    )
    assert names(window) == everything[2:5]


async def test_overall_limit_is_shared_out_evenly(client: httpx.AsyncClient) -> None:
    """LIMIT 5 over contacts and leads keeps three of one and two of the other, contacts first."""
    records = await found(
        client, "FIND {555} IN PHONE FIELDS RETURNING Contact(Name), Lead(Name) LIMIT 5"
    )
    types = [record["attributes"]["type"] for record in records]
    assert types == ["Contact", "Contact", "Contact", "Lead", "Lead"]


async def test_an_object_limit_leaves_its_share_to_the_others(client: httpx.AsyncClient) -> None:
    """An object limited to one record leaves the rest of the overall LIMIT to the next."""
    records = await found(
        client, "FIND {555} IN PHONE FIELDS RETURNING Contact(Name LIMIT 1), Lead(Name) LIMIT 5"
    )
    types = [record["attributes"]["type"] for record in records]
    assert types == ["Contact", "Lead", "Lead", "Lead", "Lead"]


@pytest.mark.parametrize(
    ("group", "search", "expected"),
    [
        ("EMAIL", "ana", [ANA]),
        ("EMAIL", "garcia", []),
        ("NAME", "garcia", [ANA]),
        ("NAME", "Brightline", [MARCO]),  # Lead.Company is a name field
        ("PHONE", "garcia", []),
        ("ALL", "garcia", [ANA]),
        ("SIDEBAR", "garcia", [ANA]),
        ("ALL", "images", []),  # PhotoUrl, which Salesforce writes itself, is not searched
    ],
)
async def test_search_groups(
    client: httpx.AsyncClient, group: str, search: str, expected: list[tuple[str, str]]
) -> None:
    """IN EMAIL/NAME/PHONE/ALL FIELDS search only the fields of that group."""
    records = await found(
        client, f"FIND {{{search}}} IN {group} FIELDS RETURNING Contact(Name), Lead(Name)"
    )
    assert names(records) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("GARCÍA", [ANA]),
        ("garcia", [ANA]),  # accents are ignored, as in Salesforce's index
        ("Garc*", [ANA]),
        ("Garc?a", [ANA]),
        ("Gar", []),  # a token matches whole, or through a wildcard
        ('"ana garcia"', [ANA]),
        ('"garcia ana"', []),
        ("ana garcia", [ANA]),
        ("ana marco", []),  # side by side: AND
        ("ana OR marco", [ANA, MARCO]),
        ("ana or brightline", [ANA, MARCO]),  # operators in any case
        ("ana AND NOT garcia", []),
        ("(ana OR marco) AND rossi", [MARCO]),
        ("marco.rossi@brightline.example.com", [MARCO]),
        ("brightline\\-solar", [MARCO]),  # an escaped hyphen joins a phrase
    ],
)
async def test_text_matching(
    client: httpx.AsyncClient, search: str, expected: list[tuple[str, str]]
) -> None:
    """Tokens, case, accents, wildcards, phrases and operators work as Salesforce documents."""
    records = await found(client, f"FIND {{{search}}} RETURNING Contact(Name), Lead(Name)")
    assert names(records) == expected


@pytest.mark.parametrize("search", ["Acme\\}", "Acme\\*Corporation", "acme\\ corp*"])
async def test_escaped_characters_belong_to_the_search(
    client: httpx.AsyncClient, search: str
) -> None:
    """``\\}`` does not end the search and ``\\*`` is no wildcard: as punctuation, both
    separate tokens."""
    records = await found(client, f"FIND {{{search}}} IN NAME FIELDS RETURNING Account(Name)")
    assert names(records) == [("Account", "Acme Corporation")]


async def test_an_escaped_wildcard_is_no_wildcard(client: httpx.AsyncClient) -> None:
    """``Acm\\*`` looks for the token "acm", which no account has."""
    assert await found(client, "FIND {Acm\\*} IN NAME FIELDS RETURNING Account(Name)") == []


async def test_written_and_deleted_records(client: httpx.AsyncClient, org: Org) -> None:
    """A record created through the API is found at once, and no longer once deleted."""
    record_id = await create(client, "Lead", {"LastName": "Quillfeather", "Company": "Zyx Labs"})
    sosl = "FIND {quillfeather} RETURNING Lead(Id, Company)"
    assert [r["Id"] for r in await found(client, sosl)] == [record_id]
    assert (await client.delete(f"{API}/sobjects/Lead/{record_id}")).status_code == 204
    assert await found(client, sosl) == []
    assert org.store.get("Lead", record_id, include_deleted=True) is not None
