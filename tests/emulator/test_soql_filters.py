"""SOQL WHERE: every operator, null semantics, ids, string escapes, LIKE, dates, datetimes,
relative date literals, relationship paths and semi-joins."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from emulator import soql
from emulator.ids import to18
from tests.helpers.emulator.soql_org import Org, make_org, run, values


@pytest.fixture
def org() -> Org:
    """A fresh small org."""
    return make_org()


def names(org: Org, where: str, sobject: str = "Account", **options: Any) -> list[str]:
    """Names of the ``sobject`` records matching ``where``, in creation order."""
    text = f"SELECT Name FROM {sobject} WHERE {where}"  # noqa: S608 - SOQL test text, no SQL database
    return values(org, text, **options)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("NumberOfEmployees = 50", ["Acme"]),
        ("NumberOfEmployees != 50", ["Globex", "initech", "Umbrella_Corp 100%"]),
        ("NumberOfEmployees <> 50", ["Globex", "initech", "Umbrella_Corp 100%"]),
        ("NumberOfEmployees < 50", ["Umbrella_Corp 100%"]),
        ("NumberOfEmployees <= 50", ["Acme", "Umbrella_Corp 100%"]),
        ("NumberOfEmployees > 7", ["Acme", "Globex"]),
        ("NumberOfEmployees >= 7", ["Acme", "Globex", "Umbrella_Corp 100%"]),
        ("AnnualRevenue > 250.25", ["Acme", "initech"]),
        ("AnnualRevenue > -1", ["Acme", "initech", "Umbrella_Corp 100%"]),
        ("AnnualRevenue = +75", ["Umbrella_Corp 100%"]),
        ("NumberOfEmployees IN (7, 500)", ["Globex", "Umbrella_Corp 100%"]),
        ("NumberOfEmployees NOT IN (7, 500)", ["Acme", "initech"]),
        ("NumberOfEmployees IN (null, 50)", ["Acme", "initech"]),
        ("AnnualRevenue = null", ["Globex"]),
        ("AnnualRevenue != null", ["Acme", "initech", "Umbrella_Corp 100%"]),
        ("AnnualRevenue < null", []),
    ],
)
def test_number_operators(org: Org, where: str, expected: list[str]) -> None:
    """Numbers: every comparison, IN / NOT IN, and null (NOT IN and != keep nulls)."""
    assert names(org, where) == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'ACME'", ["Acme"]),
        ("Name = 'Acme '", []),
        ("Industry != 'technology'", ["Globex", "initech"]),
        ("Industry = null", ["initech"]),
        ("Industry != null", ["Acme", "Globex", "Umbrella_Corp 100%"]),
        ("Name < 'h'", ["Acme", "Globex"]),
        ("Name >= 'INITECH'", ["initech", "Umbrella_Corp 100%"]),
        ("Industry IN ('energy', 'Mining')", ["Globex"]),
        ("Industry NOT IN ('Energy')", ["Acme", "initech", "Umbrella_Corp 100%"]),
        ("Name IN ('acme')", ["Acme"]),
    ],
)
def test_text_operators(org: Org, where: str, expected: list[str]) -> None:
    """Text compares case-insensitively; != and NOT IN include null values."""
    assert names(org, where) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("'acme'", ["Acme"]),
        ("'AC%'", ["Acme"]),
        ("'%EX'", ["Globex"]),
        ("'%e%'", ["Acme", "Globex", "initech", "Umbrella_Corp 100%"]),
        ("'%ob%'", ["Globex"]),
        ("'a_me'", ["Acme"]),
        ("'_'", []),
        ("'%'", ["Acme", "Globex", "initech", "Umbrella_Corp 100%"]),
        ("'umbrella\\_%'", ["Umbrella_Corp 100%"]),
        ("'%100\\%'", ["Umbrella_Corp 100%"]),
        ("'%\\%%'", ["Umbrella_Corp 100%"]),
        ("'i%t%h'", ["initech"]),
        ("'g_o%x'", ["Globex"]),
        ("'%c%r%p%'", ["Umbrella_Corp 100%"]),
        ("'%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%b'", []),
    ],
)
def test_like(org: Org, pattern: str, expected: list[str]) -> None:
    """LIKE: case-insensitive, % and _ wildcards, \\% and \\_ literal."""
    assert names(org, f"Name LIKE {pattern}") == expected


def test_like_never_matches_null(org: Org) -> None:
    """A null field does not match even ``'%'``."""
    assert names(org, "Industry LIKE '%'") == ["Acme", "Globex", "Umbrella_Corp 100%"]


def test_booleans(org: Org) -> None:
    """Boolean fields take true/false (any case)."""
    assert names(org, "IsWon = TRUE", sobject="Opportunity") == ["Small Deal"]
    assert names(org, "IsWon = false", sobject="Opportunity") == ["Big Deal"]
    assert names(org, "IsWon != true", sobject="Opportunity") == ["Big Deal"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'Acme' AND Industry = 'Technology'", ["Acme"]),
        ("Name = 'Acme' OR Name = 'Globex' OR Name = 'nobody'", ["Acme", "Globex"]),
        ("(Name = 'Acme' OR Name = 'Globex') AND NumberOfEmployees > 100", ["Globex"]),
        ("Name = 'Acme' OR (Industry = 'Energy' AND NumberOfEmployees > 100)", ["Acme", "Globex"]),
        ("NOT Name = 'Acme'", ["Globex", "initech", "Umbrella_Corp 100%"]),
        ("NOT (Name = 'Acme' OR Industry = null)", ["Globex", "Umbrella_Corp 100%"]),
        ("((Name = 'Acme'))", ["Acme"]),
    ],
)
def test_boolean_logic(org: Org, where: str, expected: list[str]) -> None:
    """AND, OR, NOT and parentheses."""
    assert names(org, where) == expected


def test_long_flat_conditions_run(org: Org) -> None:
    """A thousand ANDed comparisons neither nest nor recurse."""
    where = " AND ".join(f"Name != 'n{i}'" for i in range(1000))
    assert names(org, f"{where} AND Name LIKE 'a%'") == ["Acme"]


def test_ids_match_in_15_and_18_character_form(org: Org) -> None:
    """Id and reference fields match a literal of either length."""
    acme = org.ids["acme"]
    assert names(org, f"Id = '{acme}'") == ["Acme"]
    assert names(org, f"Id = '{acme[:15]}'") == ["Acme"]
    assert names(org, f"Id IN ('{acme[:15]}', '{org.ids['globex']}')") == ["Acme", "Globex"]
    assert names(org, f"Id != '{acme}'") == ["Globex", "initech", "Umbrella_Corp 100%"]
    contacts = values(
        org,
        f"SELECT LastName FROM Contact WHERE AccountId = '{acme[:15]}'",  # noqa: S608 - SOQL test text, no SQL database
        key="LastName",
    )
    assert contacts == ["Lovelace", "Turing"]
    assert values(org, "SELECT LastName FROM Contact WHERE AccountId = ''", key="LastName") == [
        "Hopper"
    ]


def test_stored_15_character_reference_matches(org: Org) -> None:
    """A reference stored in its 15-character form still matches and resolves."""
    acme = org.ids["acme"]
    org.add("short", "Contact", LastName="Short", AccountId=acme[:15])
    records = run(
        org,
        f"SELECT Account.Name FROM Contact WHERE AccountId = '{to18(acme)}' "  # noqa: S608 - SOQL test text, no SQL database
        "AND LastName = 'Short'",
    ).records
    assert records[0]["Account"]["Name"] == "Acme"


def test_relationship_paths_in_where(org: Org) -> None:
    """Parent fields filter children; a missing parent reads as null."""
    text = "SELECT LastName FROM Contact WHERE Account.Owner.Name = 'dana demo'"
    assert values(org, text, key="LastName") == ["Lovelace", "Turing"]
    text = "SELECT LastName FROM Contact WHERE Account.Name = null"
    assert values(org, text, key="LastName") == ["Hopper"]
    text = "SELECT Subject FROM Task WHERE Who.Name LIKE 'lee%'"
    assert values(org, text, key="Subject") == ["Email"]


def test_semi_join_and_anti_join(org: Org) -> None:
    """``Id IN (SELECT AccountId FROM Contact …)`` and its NOT IN form."""
    assert names(org, "Id IN (SELECT AccountId FROM Contact WHERE Email != null)") == ["Acme"]
    assert names(org, "Id NOT IN (SELECT AccountId FROM Opportunity)") == [
        "initech",
        "Umbrella_Corp 100%",
    ]


# String literals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "literal"),
    [
        ("Line\nBreak", "'Line\\nBreak'"),
        ("Line\nBreak", "'Line\\NBreak'"),
        ("Carriage\rReturn", "'Carriage\\rReturn'"),
        ("Carriage\rReturn", "'Carriage\\RReturn'"),
        ("Tab\there", "'Tab\\there'"),
        ("Tab\there", "'Tab\\There'"),
        ("Back\bspace", "'Back\\bspace'"),
        ("Back\bspace", "'Back\\Bspace'"),
        ("Form\ffeed", "'Form\\ffeed'"),
        ("Form\ffeed", "'Form\\Ffeed'"),
        ('Say "hi"', "'Say \\\"hi\\\"'"),
        ("O'Brien", "'O\\'Brien'"),
        ("Back\\slash", "'Back\\\\slash'"),
        ("Café", "'Caf\\u00e9'"),
        ("Café", "'Caf\\u00E9'"),
        ("50%_off", "'50%_off'"),
    ],
)
def test_string_escapes(org: Org, stored: str, literal: str) -> None:
    """Every SOQL escape sequence decodes to the character it names."""
    org.add("escaped", "Account", Name=stored)
    assert names(org, f"Name = {literal}") == [stored]


def test_escapes_inside_like(org: Org) -> None:
    """Escapes work inside a LIKE pattern too."""
    org.add("escaped", "Account", Name="O'Brien\\Sons")
    assert names(org, "Name LIKE 'o\\'brien\\\\%'") == ["O'Brien\\Sons"]


def test_value_ending_in_backslash_cannot_escape_its_literal(org: Org) -> None:
    """``'a\\' OR Name = 'b'`` is one malformed literal, never an injected OR."""
    org.add("slash", "Account", Name="Back\\")
    with pytest.raises(soql.SoqlError) as caught:
        run(org, "SELECT Name FROM Account WHERE Name = 'Back\\' OR Name = 'Acme'")
    assert caught.value.error_code == "MALFORMED_QUERY"
    properly_escaped = "Name = 'Back\\\\' OR Name = 'Acme'"
    assert names(org, properly_escaped) == ["Acme", "Back\\"]


# Dates and datetimes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("CloseDate = 2026-05-13", ["Big Deal"]),
        ("CloseDate != 2026-05-13", ["Small Deal"]),
        ("CloseDate > 2026-05-13", ["Small Deal"]),
        ("CloseDate >= 2026-05-13", ["Big Deal", "Small Deal"]),
        ("CloseDate < 2026-06-30", ["Big Deal"]),
        ("CloseDate IN (2026-06-30, 2020-01-01)", ["Small Deal"]),
    ],
)
def test_date_literals(org: Org, where: str, expected: list[str]) -> None:
    """Date fields take ``YYYY-MM-DD``."""
    assert names(org, where, sobject="Opportunity") == expected


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("CreatedDate = 2026-05-13T14:00:00Z", ["Acme"]),
        ("CreatedDate = 2026-05-13T14:00:00.000Z", ["Acme"]),
        ("CreatedDate = 2026-05-13T16:00:00+02:00", ["Acme"]),
        ("CreatedDate = 2026-05-13T09:00:00-05:00", ["Acme"]),
        ("CreatedDate > 2026-05-12T03:30:00Z", ["Acme"]),
        ("CreatedDate >= 2026-05-12T03:30:00Z", ["Acme", "Globex"]),
        ("CreatedDate < 2026-01-01T00:00:00-01:00", ["Umbrella_Corp 100%"]),
        ("CreatedDate < 2026-01-01T00:00:00+01:00", []),
    ],
)
def test_datetime_literals(org: Org, where: str, expected: list[str]) -> None:
    """Datetime fields take ``Z``, ``+hh:mm``, ``-hh:mm`` and fractional seconds."""
    assert names(org, where) == expected


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("TODAY", ["Big Deal"]),
        ("TOMORROW", []),
        ("YESTERDAY", []),
        ("THIS_WEEK", ["Big Deal"]),
        ("NEXT_WEEK", []),
        ("THIS_MONTH", ["Big Deal"]),
        ("NEXT_MONTH", ["Small Deal"]),
        ("LAST_MONTH", []),
        ("THIS_QUARTER", ["Big Deal", "Small Deal"]),
        ("NEXT_QUARTER", []),
        ("THIS_YEAR", ["Big Deal", "Small Deal"]),
        ("LAST_YEAR", []),
        ("NEXT_N_DAYS:48", ["Small Deal"]),
        ("NEXT_N_DAYS:47", []),
        ("NEXT_90_DAYS", ["Small Deal"]),
        ("LAST_N_DAYS:0", ["Big Deal"]),
        ("LAST_90_DAYS", ["Big Deal"]),
        ("N_DAYS_AGO:0", ["Big Deal"]),
        ("NEXT_N_MONTHS:1", ["Small Deal"]),
        ("THIS_FISCAL_QUARTER", ["Big Deal", "Small Deal"]),
    ],
)
def test_relative_date_literals_on_a_date_field(
    org: Org, literal: str, expected: list[str]
) -> None:
    """Relative literals cover ranges of days counted from today in the user's time zone."""
    assert names(org, f"CloseDate = {literal}", sobject="Opportunity") == expected


def test_relative_literal_operators(org: Org) -> None:
    """< is before the range, <= up to its end, > after it, >= from its start, != outside."""

    def opp(where: str) -> list[str]:
        return names(org, where, sobject="Opportunity")

    assert opp("CloseDate < THIS_MONTH") == []
    assert opp("CloseDate <= THIS_MONTH") == ["Big Deal"]
    assert opp("CloseDate > THIS_MONTH") == ["Small Deal"]
    assert opp("CloseDate >= TODAY") == ["Big Deal", "Small Deal"]
    assert opp("CloseDate != TODAY") == ["Small Deal"]
    assert opp("CloseDate IN (TODAY, NEXT_MONTH)") == ["Big Deal", "Small Deal"]


def test_date_literal_on_datetime_uses_the_user_time_zone(org: Org) -> None:
    """Globex was created at 03:30 UTC on May 12: May 11 in New York, May 12 in UTC."""
    assert names(org, "CreatedDate = TODAY") == ["Acme"]
    assert names(org, "CreatedDate = YESTERDAY") == []
    assert names(org, "CreatedDate = N_DAYS_AGO:2") == ["Globex"]
    assert names(org, "CreatedDate = YESTERDAY", tz=ZoneInfo("UTC")) == ["Globex"]
    assert names(org, "CreatedDate = LAST_N_DAYS:2") == ["Acme", "Globex"]
    assert names(org, "CreatedDate = LAST_YEAR") == ["Umbrella_Corp 100%"]
    assert names(org, "CreatedDate = LAST_YEAR", tz=ZoneInfo("Europe/Paris")) == []


def test_today_follows_now(org: Org) -> None:
    """The same cached query gives other rows when the clock moves."""
    later = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
    assert names(org, "CloseDate = TODAY", sobject="Opportunity", now=later) == ["Small Deal"]
