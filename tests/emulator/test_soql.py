"""SOQL: what a query returns — record shape, relationships, subqueries, counts, aggregates,
ordering, LIMIT/OFFSET and queryAll."""

from __future__ import annotations

import pytest

from emulator import soql
from tests.helpers.emulator.soql_org import API_VERSION, Org, make_org, run, values


def url(sobject: str, record_id: str) -> str:
    """The ``attributes.url`` Salesforce gives a record."""
    return f"/services/data/v{API_VERSION}/sobjects/{sobject}/{record_id}"


@pytest.fixture
def org() -> Org:
    """A fresh small org."""
    return make_org()


# Record shape --------------------------------------------------------------------------------


def test_records_start_with_attributes_then_fields_in_select_order(org: Org) -> None:
    """Keys are attributes, then the SELECT items in order, spelled as the schema spells them."""
    result = run(org, "select industry, NAME, id from account where name = 'Acme'")
    assert result.total_size == 1
    record = result.records[0]
    assert list(record) == ["attributes", "Industry", "Name", "Id"]
    assert record["attributes"] == {"type": "Account", "url": url("Account", org.ids["acme"])}
    assert record["Id"] == org.ids["acme"]


def test_id_is_returned_only_when_selected(org: Org) -> None:
    """A record holds only what was selected, even without Id."""
    record = run(org, "SELECT Name FROM Account WHERE Name = 'Acme'").records[0]
    assert list(record) == ["attributes", "Name"]


def test_values_are_returned_exactly_as_stored(org: Org) -> None:
    """Datetimes, numbers and nulls come back in wire format, untouched."""
    record = run(
        org,
        "SELECT CreatedDate, AnnualRevenue, NumberOfEmployees, Rating FROM Account "
        "WHERE Name = 'Acme'",
    ).records[0]
    assert record["CreatedDate"] == "2026-05-13T14:00:00.000+0000"
    assert record["AnnualRevenue"] == 1000000.0
    assert record["NumberOfEmployees"] == 50
    assert record["Rating"] is None


def test_parent_relationship_is_a_nested_record(org: Org) -> None:
    """``Account.Name`` and ``Account.Owner.Name`` share one nested Account with attributes."""
    record = run(
        org,
        "SELECT LastName, Account.Name, Account.Owner.Name, Account.Industry FROM Contact "
        "WHERE LastName = 'Lovelace'",
    ).records[0]
    assert list(record) == ["attributes", "LastName", "Account"]
    assert record["Account"] == {
        "attributes": {"type": "Account", "url": url("Account", org.ids["acme"])},
        "Name": "Acme",
        "Owner": {
            "attributes": {"type": "User", "url": url("User", org.ids["dana"])},
            "Name": "Dana Demo",
        },
        "Industry": "Technology",
    }


def test_parent_relationship_is_null_when_the_lookup_is_empty(org: Org) -> None:
    """A contact without an account gives ``"Account": null``."""
    record = run(org, "SELECT Account.Name FROM Contact WHERE LastName = 'Hopper'").records[0]
    assert record == {
        "attributes": {"type": "Contact", "url": url("Contact", org.ids["grace"])},
        "Account": None,
    }


def test_relationship_keeps_its_first_position(org: Org) -> None:
    """Paths through one relationship merge where the relationship first appears."""
    record = run(
        org,
        "SELECT account.name, Id, ACCOUNT.Website, AccountId FROM Contact "
        "WHERE LastName = 'Turing'",
    ).records[0]
    assert list(record) == ["attributes", "Account", "Id", "AccountId"]
    assert list(record["Account"]) == ["attributes", "Name", "Website"]


def test_polymorphic_who_resolves_to_the_concrete_record(org: Org) -> None:
    """``Who.Name`` reads a Contact or a Lead; attributes.type is ``Name``, the url concrete."""
    records = run(org, "SELECT Subject, Who.Name FROM Task ORDER BY Subject").records
    assert [r["Subject"] for r in records] == ["Call", "Email", "Todo"]
    assert records[0]["Who"] == {
        "attributes": {"type": "Name", "url": url("Contact", org.ids["ada"])},
        "Name": "Ada Lovelace",
    }
    assert records[1]["Who"]["attributes"]["url"] == url("Lead", org.ids["lee"])
    assert records[1]["Who"]["Name"] == "Lee Lead"
    assert records[2]["Who"] is None


def test_polymorphic_type_names_the_concrete_object(org: Org) -> None:
    """``What.Type`` is the object of the record the id points to, usable in WHERE too."""
    records = run(org, "SELECT What.Type FROM Task WHERE What.Type = 'Opportunity'").records
    assert [r["What"]["Type"] for r in records] == ["Opportunity"]


def test_polymorphic_owner_on_case(org: Org) -> None:
    """Case.Owner references User or Group, so it is the Name entity."""
    owner = run(org, "SELECT Owner.Name, Owner.Email FROM Case").records[0]["Owner"]
    assert owner["attributes"]["type"] == "Name"
    assert (owner["Name"], owner["Email"]) == ("Dana Demo", "dana@example.com")


def test_object_name_qualifies_fields(org: Org) -> None:
    """``SELECT Account.Name FROM Account`` reads Account's own Name."""
    assert values(org, "SELECT Account.Name FROM Account WHERE Account.Name = 'Globex'") == [
        "Globex"
    ]


def test_address_is_built_from_its_components(org: Org) -> None:
    """BillingAddress is Salesforce's compound object, null when every component is null."""
    records = run(org, "SELECT BillingAddress FROM Account ORDER BY Name").records
    assert records[0]["BillingAddress"] == {
        "city": "Paris",
        "country": "France",
        "geocodeAccuracy": None,
        "latitude": None,
        "longitude": None,
        "postalCode": None,
        "state": None,
        "street": "1 Rue de Rivoli",
    }
    assert records[1]["BillingAddress"] is None


def test_person_name_is_built_when_not_stored(org: Org) -> None:
    """Contact.Name is FirstName LastName when the record does not store it."""
    assert values(org, "SELECT Name FROM Contact WHERE Name = 'Ada Lovelace'") == ["Ada Lovelace"]


# Subqueries ----------------------------------------------------------------------------------


def test_child_subquery_returns_a_nested_result(org: Org) -> None:
    """``(SELECT … FROM Contacts)`` is ``{"totalSize", "done", "records"}`` per parent."""
    record = run(
        org,
        "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName) FROM Account "
        "WHERE Name = 'Acme'",
    ).records[0]
    assert list(record) == ["attributes", "Name", "Contacts"]
    assert record["Contacts"] == {
        "totalSize": 2,
        "done": True,
        "records": [
            {
                "attributes": {"type": "Contact", "url": url("Contact", org.ids["ada"])},
                "LastName": "Lovelace",
            },
            {
                "attributes": {"type": "Contact", "url": url("Contact", org.ids["alan"])},
                "LastName": "Turing",
            },
        ],
    }


def test_child_subquery_is_null_without_children(org: Org) -> None:
    """A parent with no matching children gets ``null``, not an empty result."""
    records = run(org, "SELECT Name, (SELECT Id FROM Contacts) FROM Account ORDER BY Name").records
    assert [(r["Name"], r["Contacts"] is None) for r in records] == [
        ("Acme", False),
        ("Globex", True),
        ("initech", True),
        ("Umbrella_Corp 100%", True),
    ]


def test_child_subquery_filters_orders_and_limits(org: Org) -> None:
    """WHERE, ORDER BY and LIMIT apply per parent; a filter that removes all gives null."""
    record = run(
        org,
        "SELECT (SELECT LastName, Account.Name FROM Contacts WHERE Email LIKE '%acme.com' "
        "ORDER BY LastName DESC LIMIT 1), (SELECT Name FROM Opportunities WHERE Amount > 10000) "
        "FROM Account WHERE Name = 'Acme'",
    )
    row = record.records[0]
    assert [c["LastName"] for c in row["Contacts"]["records"]] == ["Turing"]
    assert row["Contacts"]["totalSize"] == 1
    assert row["Contacts"]["records"][0]["Account"]["Name"] == "Acme"
    assert row["Opportunities"] is None


def test_polymorphic_child_relationship(org: Org) -> None:
    """Account.Tasks follows Task.WhatId."""
    record = run(org, "SELECT (SELECT Subject FROM Tasks) FROM Account WHERE Name = 'Acme'")
    assert [t["Subject"] for t in record.records[0]["Tasks"]["records"]] == ["Call"]


# COUNT and aggregates ------------------------------------------------------------------------


def test_count_only_gives_total_size_and_no_records(org: Org) -> None:
    """``SELECT COUNT()`` answers ``totalSize`` = the count and ``records: []``."""
    result = run(org, "SELECT COUNT() FROM Account")
    assert (result.total_size, result.records) == (4, [])
    assert run(org, "SELECT count() FROM Contact WHERE AccountId != null").total_size == 2
    assert run(org, "SELECT COUNT() FROM Account LIMIT 3").total_size == 3


def test_count_of_a_field_is_an_aggregate_row(org: Org) -> None:
    """``COUNT(Id)`` is an AggregateResult with ``expr0``; an alias renames it."""
    result = run(org, "SELECT COUNT(Id) FROM Contact")
    assert result.total_size == 1
    assert result.records == [{"attributes": {"type": "AggregateResult"}, "expr0": 3}]
    aliased = run(org, "SELECT COUNT(Id) cnt, COUNT(Email) FROM Contact").records[0]
    assert aliased == {"attributes": {"type": "AggregateResult"}, "cnt": 3, "expr0": 2}


def test_group_by_with_aggregates(org: Org) -> None:
    """GROUP BY gives a row per group, with the grouped field and each aggregate."""
    result = run(
        org,
        "SELECT Industry, COUNT(Id), SUM(AnnualRevenue) total, MAX(NumberOfEmployees), "
        "MIN(Name), AVG(NumberOfEmployees) FROM Account GROUP BY Industry "
        "ORDER BY COUNT(Id) DESC, Industry",
    )
    assert result.total_size == 3
    assert result.records[0] == {
        "attributes": {"type": "AggregateResult"},
        "Industry": "Technology",
        "expr0": 2,
        "total": 1000075.0,
        "expr1": 50,
        "expr2": "Acme",
        "expr3": 28.5,
    }
    assert [r["Industry"] for r in result.records] == ["Technology", None, "Energy"]


def test_aggregate_over_no_rows_is_one_row(org: Org) -> None:
    """Without GROUP BY there is one row even when nothing matches."""
    text = "SELECT COUNT(Id), MAX(Amount) FROM Opportunity WHERE Amount > 999999"
    records = run(org, text).records
    assert records == [{"attributes": {"type": "AggregateResult"}, "expr0": 0, "expr1": None}]


def test_group_by_a_relationship_path(org: Org) -> None:
    """A grouped parent field is returned under its field name."""
    records = run(
        org,
        "SELECT Account.Name, COUNT_DISTINCT(OwnerId) FROM Contact "
        "WHERE AccountId != null GROUP BY Account.Name",
    ).records
    assert records == [{"attributes": {"type": "AggregateResult"}, "Name": "Acme", "expr0": 2}]


# queryAll ------------------------------------------------------------------------------------


def test_query_all_includes_deleted_rows(org: Org) -> None:
    """queryAll returns IsDeleted rows; query does not."""
    text = "SELECT Name, IsDeleted FROM Account WHERE IsDeleted = true"
    assert values(org, text) == []
    assert values(org, text, include_deleted=True) == ["Gone Inc"]
    assert run(org, "SELECT COUNT() FROM Account", include_deleted=True).total_size == 5


# ORDER BY, LIMIT, OFFSET ---------------------------------------------------------------------


def test_order_ascending_puts_nulls_first(org: Org) -> None:
    """ASC defaults to NULLS FIRST."""
    assert values(org, "SELECT Name FROM Account ORDER BY AnnualRevenue") == [
        "Globex",
        "Umbrella_Corp 100%",
        "initech",
        "Acme",
    ]


def test_order_descending_puts_nulls_last(org: Org) -> None:
    """DESC defaults to NULLS LAST."""
    assert values(org, "SELECT Name FROM Account ORDER BY AnnualRevenue DESC") == [
        "Acme",
        "initech",
        "Umbrella_Corp 100%",
        "Globex",
    ]


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("AnnualRevenue ASC NULLS LAST", ["Umbrella_Corp 100%", "initech", "Acme", "Globex"]),
        ("AnnualRevenue DESC NULLS FIRST", ["Globex", "Acme", "initech", "Umbrella_Corp 100%"]),
        ("Name", ["Acme", "Globex", "initech", "Umbrella_Corp 100%"]),
        ("Name DESC", ["Umbrella_Corp 100%", "initech", "Globex", "Acme"]),
        ("Industry, Name DESC", ["initech", "Globex", "Umbrella_Corp 100%", "Acme"]),
        ("Owner.Name DESC, NumberOfEmployees", ["Umbrella_Corp 100%", "Globex", "initech", "Acme"]),
        ("CreatedDate DESC", ["Acme", "Globex", "initech", "Umbrella_Corp 100%"]),
    ],
)
def test_order_by(org: Org, clause: str, expected: list[str]) -> None:
    """Explicit NULLS, case-insensitive text, several keys and relationship paths."""
    text = f"SELECT Name FROM Account ORDER BY {clause}"  # noqa: S608 - SOQL test text, no SQL database
    assert values(org, text) == expected


def test_limit_and_offset_apply_after_ordering(org: Org) -> None:
    """OFFSET skips, LIMIT caps; totalSize is the number returned."""
    result = run(org, "SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1")
    assert [r["Name"] for r in result.records] == ["Globex", "initech"]
    assert result.total_size == 2
    assert values(org, "SELECT Name FROM Account ORDER BY Name OFFSET 10") == []
    assert values(org, "SELECT Name FROM Account LIMIT 0") == []


def test_rows_without_order_come_in_creation_order(org: Org) -> None:
    """No ORDER BY: creation order."""
    assert values(org, "SELECT Name FROM Contact", key="Name") == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]


# Parsing cache -------------------------------------------------------------------------------


def test_parse_is_cached_by_text(org: Org) -> None:
    """The same text parses once; the cached query runs again with fresh data."""
    text = "SELECT Id FROM Lead"
    first = soql.parse(text, org.schema)
    assert soql.parse(text, org.schema) is first
    org.add("lou", "Lead", LastName="Lou", Company="X")
    assert run(org, text).total_size == 2


def test_many_rows_with_relationships(org: Org) -> None:
    """A 200-row page over 500 contacts keeps its order and parent lookups."""
    acme = org.ids["acme"]
    for i in range(500):
        org.add(
            f"bulk{i}", "Contact", LastName=f"Bulk{i:03d}", AccountId=acme, Email=f"b{i}@bulk.test"
        )
    records = run(
        org,
        "SELECT Id, FirstName, LastName, Email, Account.Name, Owner.Name FROM Contact "
        "WHERE Email LIKE '%@bulk.test' ORDER BY LastName DESC LIMIT 200",
    ).records
    assert len(records) == 200
    assert records[0]["LastName"] == "Bulk499"
    assert records[-1]["LastName"] == "Bulk300"
    assert {r["Account"]["Name"] for r in records} == {"Acme"}
    assert {r["Owner"] is None for r in records} == {True}
