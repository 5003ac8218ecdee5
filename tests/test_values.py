"""server.values: spoken and transcribed values become Salesforce wire values, or clear problems.

Objects come from the emulator's metadata (derived from real describes). "Now" is fixed at
Thursday 2026-03-05 10:00 in New York.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from emulator import ids
from server.salesforce.fields import FieldInfo
from server.values import (
    FieldProblem,
    Operation,
    ValueCoercionError,
    coerce_record,
    coerce_value,
    parse_id,
)
from tests.helpers.object_infos import describe, field

TZ = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 5, 10, 0, tzinfo=TZ)
PREFIXES = {"Account": "001", "Contact": "003", "Lead": "00Q", "User": "005", "Group": "00G"}
ACCOUNT_ID = "001M000000qfPySIAU"  # CONTRACT.md §11 example
CONTACT_ID = ids.to18("003Dn00000Xy1Zq")
LEAD_ID = ids.to18("00QDn00000Ab1Cd")
EVENT_ID = ids.to18("00UDn00000Ef1Gh")


def custom(type_: str, **attrs: Any) -> FieldInfo:
    """A field of a type the standard objects lack (time, multipicklist, base64)."""
    return FieldInfo(name="Custom__c", label="Custom", type=type_, createable=True, **attrs)


def value(target: tuple[str, str] | FieldInfo, given: Any, **options: Any) -> Any:
    info = target if isinstance(target, FieldInfo) else field(*target)
    return coerce_value(info, given, tz=TZ, now=NOW, **options)


def refusal(target: tuple[str, str] | FieldInfo, given: Any, **options: Any) -> str:
    """The message coerce_value gives for a refused value (and check it is one problem)."""
    with pytest.raises(ValueCoercionError) as caught:
        value(target, given, **options)
    assert len(caught.value.problems) == 1
    return str(caught.value)


def record(obj: str, data: Any, operation: Operation = "create", **options: Any) -> dict[str, Any]:
    return coerce_record(describe(obj), data, operation=operation, tz=TZ, now=NOW, **options)


def problems(obj: str, data: Any, operation: Operation = "create", **options: Any) -> list[str]:
    """The problem messages coerce_record raises for ``data``."""
    with pytest.raises(ValueCoercionError) as caught:
        record(obj, data, operation, **options)
    assert str(caught.value) == "\n".join(p.message for p in caught.value.problems)
    return [p.message for p in caught.value.problems]


# --- records: names, permissions, required fields ---------------------------------------------


def test_field_names_match_any_case_and_come_out_canonical() -> None:
    """Field names are matched case-insensitively and sent in canonical case."""
    body = record("Contact", {"lastname": "Lopez", "EMAIL": "ana@example.com", "firstName": "Ana"})
    assert body == {"LastName": "Lopez", "Email": "ana@example.com", "FirstName": "Ana"}


def test_attributes_key_is_ignored() -> None:
    """An ``attributes`` entry (as in Salesforce records) is dropped, not refused."""
    body = record("Contact", {"attributes": {"type": "Contact"}, "LastName": "Lopez"})
    assert body == {"LastName": "Lopez"}


@pytest.mark.parametrize(
    ("obj", "given", "suggestion"),
    [
        ("Contact", "Emial", "did you mean Email?"),
        ("Contact", "E-mail", "did you mean Email"),
        ("Lead", "company name", "did you mean Company"),
        ("Contact", "Birthday", "did you mean Birthdate?"),
        ("Contact", "xyzzy", "describe_object lists its fields"),
    ],
)
def test_unknown_field_suggests_close_names(obj: str, given: str, suggestion: str) -> None:
    """An unknown field is refused with "did you mean …?" (or where to look)."""
    required = {f.name: "x" for f in describe(obj).required_fields()}
    [message] = problems(obj, {given: "x", **required})
    assert message.startswith(f"{obj} has no field '{given}'")
    assert suggestion in message


def test_relationship_name_points_to_the_id_field() -> None:
    """A relationship name (Account) is refused with the id field to set (AccountId)."""
    [message] = problems("Contact", {"Account": {"Name": "Acme"}, "LastName": "Lopez"})
    assert message == "Account is a relationship; set AccountId to the related record's id instead"


@pytest.mark.parametrize(
    ("obj", "name", "operation", "expected"),
    [
        (
            "Contact",
            "Name",
            "create",
            "Name on Contact is computed by Salesforce; set FirstName and LastName instead",
        ),
        ("Contact", "Name", "update", "set FirstName and LastName instead"),
        (
            "Account",
            "BillingAddress",
            "create",
            "BillingAddress on Account is computed by Salesforce; set BillingStreet, "
            "BillingCity, BillingState, BillingPostalCode and BillingCountry instead",
        ),
        ("Lead", "Address", "update", "set Street, City, State, PostalCode and Country instead"),
        (
            "Opportunity",
            "ExpectedRevenue",
            "create",
            "ExpectedRevenue (Expected Amount) is read-only",
        ),
        ("Lead", "EmailBouncedDate", "create", "cannot be set when creating a record"),
        ("Event", "IsRecurrence", "update", "cannot be changed after the record is created"),
        ("Opportunity", "IsClosed", "upsert", "IsClosed (Closed) is read-only; Salesforce sets it"),
    ],
)
def test_fields_the_operation_cannot_write_are_refused(
    obj: str, name: str, operation: Operation, expected: str
) -> None:
    """create needs createable, update updateable, upsert either; compounds name their parts."""
    messages = problems(obj, {name: "x"}, operation)
    assert any(message.startswith(expected) or expected in message for message in messages)


@pytest.mark.parametrize(
    ("obj", "name", "operation"),
    [
        ("Lead", "EmailBouncedDate", "update"),
        ("Lead", "EmailBouncedDate", "upsert"),
        ("Event", "IsRecurrence", "create"),
        ("Event", "IsRecurrence", "upsert"),
    ],
)
def test_fields_the_operation_can_write_are_accepted(
    obj: str, name: str, operation: Operation
) -> None:
    """A field writable only on create (or only on update) passes for that operation and upsert."""
    data: dict[str, Any] = {name: "2026-03-05 14:30" if name == "EmailBouncedDate" else "yes"}
    options: dict[str, Any] = {}
    if operation == "upsert":
        data["Id"] = LEAD_ID if obj == "Lead" else EVENT_ID
        options["external_id_field"] = "Id"
    elif obj == "Lead":
        data |= {"LastName": "Lopez", "Company": "Acme"}
    assert name in record(obj, data, operation, **options)


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("create", "Id cannot be set when creating a record; Salesforce assigns it"),
        ("update", "Id goes in the separate id argument, not in data"),
        ("upsert", "Id cannot be in data for an upsert by another field; leave it out"),
    ],
)
def test_id_is_never_accepted_in_data(operation: Operation, expected: str) -> None:
    """``Id`` in data is refused: assigned on create, a separate argument on update."""
    options = {"external_id_field": "External_Id__c"} if operation == "upsert" else {}
    data = {"Id": CONTACT_ID, "LastName": "Lopez", "External_Id__c": "ext-1"}
    assert expected in problems("Contact", data, operation, **options)


def test_id_may_be_the_upsert_key() -> None:
    """Upsert by Id takes the Id from data and sends its 18-character form."""
    body = record(
        "Contact", {"Id": CONTACT_ID[:15], "LastName": "Lopez"}, "upsert", external_id_field="id"
    )
    assert body == {"Id": CONTACT_ID, "LastName": "Lopez"}


@pytest.mark.parametrize(
    ("obj", "data", "expected"),
    [
        (
            "Lead",
            {},
            "Missing required fields: LastName (Last Name), Company — ask the caller for them",
        ),
        (
            "Opportunity",
            {"Name": "Renewal"},
            "Missing required fields: StageName (Stage), CloseDate (Close Date)",
        ),
        ("Contact", {"FirstName": "Ana"}, "Missing required fields: LastName (Last Name)"),
    ],
)
def test_missing_required_fields_are_one_problem(
    obj: str, data: dict[str, Any], expected: str
) -> None:
    """create lists every missing required field in a single problem."""
    messages = problems(obj, data)
    assert len(messages) == 1
    assert messages[0].startswith(expected)


def test_required_fields_are_not_demanded_by_update_or_upsert() -> None:
    """update and upsert may leave required fields out (upsert may be an update)."""
    assert record("Lead", {"FirstName": "Ana"}, "update") == {"FirstName": "Ana"}
    body = record("Lead", {"External_Id__c": "L-1"}, "upsert", external_id_field="External_Id__c")
    assert body == {"External_Id__c": "L-1"}


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_update_refuses_clearing_a_required_field(empty: Any) -> None:
    """update refuses null or "" for a required field."""
    assert problems("Lead", {"Company": empty}, "update") == [
        "Company is required and cannot be cleared"
    ]


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


def test_every_problem_is_reported_at_once() -> None:
    """All problems come in one error, in data order, one line each."""
    data = {
        "Emial": "ana@example.com",
        "Email": "ana at example",
        "Birthdate": "13/45/1990",
        "Phone": "call me",
        "Name": "Ana Lopez",
    }
    messages = problems("Contact", data)
    assert [m.split(" ", 1)[0].rstrip(":") for m in messages] == [
        "Contact",
        "Email",
        "Birthdate",
        "Phone",
        "Name",
        "Missing",
    ]


def test_problems_carry_the_field_api_name() -> None:
    """Each FieldProblem names its field's API name; str() is the message."""
    with pytest.raises(ValueCoercionError) as caught:
        record("Contact", {"lastname": "Lopez", "email": "nope"})
    [problem] = caught.value.problems
    assert isinstance(problem, FieldProblem)
    assert problem.field == "Email"
    assert str(problem) == problem.message
    assert isinstance(caught.value, ValueError)


def test_a_field_given_twice_is_refused() -> None:
    """The same field under two spellings is refused rather than silently picking one."""
    messages = problems(
        "Contact", {"LastName": "Lopez", "Email": "a@example.com", "email": "b@example.com"}
    )
    assert messages == ["Email is given twice; give it once"]


def test_data_must_be_an_object() -> None:
    """Data that is not a mapping is one problem with an example of the right shape."""
    assert problems("Contact", ["LastName", "Lopez"]) == [
        'data must be an object of fields, e.g. {"LastName": "Smith"}'
    ]


@pytest.mark.parametrize("given", [["a", "b"], {"first": "Ana"}, {"x"}])
def test_lists_and_objects_are_refused_for_single_value_fields(given: Any) -> None:
    """A list or object for a scalar field is a problem, not a stringified value."""
    assert "is not a single value — give text" in refusal(("Contact", "Title"), given)


def test_objects_that_cannot_be_created_are_refused() -> None:
    """create on an object the describe says is not createable is refused up front."""
    readonly = dataclasses.replace(describe("Contact"), createable=False)
    with pytest.raises(ValueCoercionError) as caught:
        coerce_record(readonly, {"LastName": "Lopez"}, operation="create", tz=TZ)
    assert caught.value.problems[0].message == "Contact records cannot be created"


# --- upsert -----------------------------------------------------------------------------------


def test_upsert_keeps_and_coerces_the_external_id() -> None:
    """The external id value stays in the body, coerced like any field, in canonical case."""
    body = record(
        "Lead",
        {"external_id__c": " L-42 ", "Company": "Acme"},
        "upsert",
        external_id_field="External_ID__c",
    )
    assert body == {"External_Id__c": "L-42", "Company": "Acme"}


@pytest.mark.parametrize(
    ("data", "key", "expected"),
    [
        ({"Company": "Acme"}, "External_Id__c", "External_Id__c (External Id) must have a value"),
        ({"External_Id__c": "", "Company": "Acme"}, "External_Id__c", "must have a value in data"),
        (
            {"Company": "Acme"},
            "Company",
            "Company is not an external id field of Lead — upsert by one of: Id, Email, "
            "External_Id__c",
        ),
        ({"Company": "Acme"}, "Ext__c", "Lead has no field 'Ext__c' — upsert by one of"),
    ],
)
def test_upsert_needs_a_usable_external_id(data: dict[str, Any], key: str, expected: str) -> None:
    """Upsert refuses a missing or empty key value, and a key field that is not an external id."""
    messages = problems("Lead", data, "upsert", external_id_field=key)
    assert any(expected in message for message in messages), messages


# --- text ---------------------------------------------------------------------------------------


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


def test_quoted_values_are_truncated_and_escaped() -> None:
    """Messages quote at most ~60 characters of the value, with control characters escaped."""
    message = refusal(("Contact", "FirstName"), "x\n" * 100)
    quoted = message.split("'")[1]
    assert len(quoted) <= 60
    assert quoted.endswith("…")
    assert "\n" not in message


# --- booleans -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (True, True),
        (False, False),
        ("yes", True),
        ("Y", True),
        (" TRUE ", True),
        ("on", True),
        ("1", True),
        (1, True),
        ("no", False),
        ("n", False),
        ("False", False),
        ("off", False),
        ("0", False),
        (0, False),
    ],
)
def test_boolean_values(given: Any, expected: bool) -> None:
    """Booleans: true/false, yes/no, y/n, on/off, 1/0 in any case, and the integers 0 and 1."""
    assert value(("Event", "IsPrivate"), given) is expected


@pytest.mark.parametrize("given", ["maybe", "yep", 2, 1.0, "2"])
def test_boolean_refusals(given: Any) -> None:
    """Anything else is refused with the accepted words listed."""
    message = refusal(("Event", "IsPrivate"), given)
    assert message.startswith("IsPrivate (Private): ")
    assert (
        "is not true or false — give true or false (yes/no, y/n, on/off and 1/0 also work)"
        in message
    )


# --- numbers ------------------------------------------------------------------------------------


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


# --- dates and times ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1990-03-05", "1990-03-05"),
        ("1990/3/5", "1990-03-05"),
        ("March 5, 1990", "1990-03-05"),
        ("5 March 1990", "1990-03-05"),
        ("Mar 5 1990", "1990-03-05"),
        ("Mar. 5th, 1990", "1990-03-05"),
        ("5th of March 1990", "1990-03-05"),
        ("the 5th of march, 1990", "1990-03-05"),
        ("05-Mar-1990", "1990-03-05"),
        ("03/05/1990", "1990-03-05"),
        ("3.5.1990", "1990-03-05"),
        ("Thursday, March 5, 2026", "2026-03-05"),
        ("Thu 5 Mar 2026", "2026-03-05"),
        ("February 29, 2024", "2024-02-29"),
        ("today", "2026-03-05"),
        ("Tomorrow", "2026-03-06"),
        ("yesterday", "2026-03-04"),
        (date(1990, 3, 5), "1990-03-05"),
        (datetime(2026, 3, 6, 2, 30, tzinfo=UTC), "2026-03-05"),
        ("2026-03-06T02:30:00Z", "2026-03-05"),
    ],
)
def test_date_values(given: Any, expected: str) -> None:
    """Dates: ISO, month names in any order, MDY numerics, relative days, date objects."""
    assert value(("Contact", "Birthdate"), given) == expected


def test_numeric_dates_follow_date_order() -> None:
    """03/05/1990 is March 5 in MDY (the default) and 3 May in DMY."""
    assert value(("Contact", "Birthdate"), "03/05/1990") == "1990-03-05"
    assert value(("Contact", "Birthdate"), "03/05/1990", date_order="DMY") == "1990-05-03"
    assert value(("Contact", "Birthdate"), "25/12/1990", date_order="DMY") == "1990-12-25"


def test_an_unknown_date_order_is_a_programming_error() -> None:
    """date_order other than MDY/DMY is a ValueError for the caller, not a field problem."""
    with pytest.raises(ValueError, match="date_order must be 'MDY' or 'DMY'") as caught:
        value(("Contact", "Birthdate"), "03/05/1990", date_order="YMD")
    assert not isinstance(caught.value, ValueCoercionError)


@pytest.mark.parametrize(
    ("given", "options", "expected"),
    [
        ("13/05/1990", {}, "is not a valid date in month/day/year order — say the month by name"),
        ("05/13/1990", {"date_order": "DMY"}, "is not a valid date in day/month/year order"),
        ("02/30/1990", {}, "is not a real date — give a date, e.g. 2026-03-05 or March 5, 2026"),
        ("February 29, 2023", {}, "is not a real date"),
        ("03/05/90", {}, "has a two-digit year — give the full year, e.g. 2026-03-05"),
        ("March 5", {}, "has no year — give the year too, e.g. March 5, 2026"),
        ("Tuesday, March 5, 2026", {}, "falls on a Thursday, not a Tuesday — confirm the date"),
        ("next week", {}, "is not a date — give a date, e.g. 2026-03-05 or March 5, 2026"),
        ("March April 5 1990", {}, "is not a date"),
        ("1600-01-01", {}, "is outside the years Salesforce stores (1700-4000)"),
        (19900305, {}, "is not a date"),
    ],
)
def test_date_refusals(given: Any, options: dict[str, Any], expected: str) -> None:
    """Impossible dates, two-digit years, missing years and wrong weekdays are refused."""
    message = refusal(("Contact", "Birthdate"), given, **options)
    assert message.startswith("Birthdate: ")
    assert expected in message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-03-05T14:30:00Z", "2026-03-05T14:30:00.000Z"),
        ("2026-03-05T14:30:00.123z", "2026-03-05T14:30:00.123Z"),
        ("2026-03-05T14:30:00+02:00", "2026-03-05T12:30:00.000Z"),
        ("2026-05-01T07:25:37.000+0000", "2026-05-01T07:25:37.000Z"),
        ("2026-03-05T14:30:00", "2026-03-05T19:30:00.000Z"),
        ("2026-03-05 14:30", "2026-03-05T19:30:00.000Z"),
        ("2026-07-01 09:00", "2026-07-01T13:00:00.000Z"),
        ("March 5, 2026 2:30 PM", "2026-03-05T19:30:00.000Z"),
        ("March 5, 2026 at 2:30 p.m.", "2026-03-05T19:30:00.000Z"),
        ("5 March 2026, 14:30", "2026-03-05T19:30:00.000Z"),
        ("03/05/2026 2pm", "2026-03-05T19:00:00.000Z"),
        ("2026-03-05 2:30 pm", "2026-03-05T19:30:00.000Z"),
        ("2:30 pm on March 5, 2026", "2026-03-05T19:30:00.000Z"),
        ("tomorrow at noon", "2026-03-06T17:00:00.000Z"),
        ("today 12 am", "2026-03-05T05:00:00.000Z"),
        ("November 1, 2026 1:30 AM", "2026-11-01T05:30:00.000Z"),
        (datetime(2026, 3, 5, 14, 30, tzinfo=UTC), "2026-03-05T14:30:00.000Z"),
        (datetime(2026, 3, 5, 14, 30), "2026-03-05T19:30:00.000Z"),
    ],
)
def test_datetime_values(given: Any, expected: str) -> None:
    """Datetimes: offsets honoured, local times read in tz, spoken forms; sent as UTC with ms."""
    assert value(("Event", "StartDateTime"), given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-03-05", "has no time — ask for the time and give a date and time, e.g."),
        (date(2026, 3, 5), "has no time"),
        ("March 8, 2026 2:30 AM", "does not exist in America/New_York: the clocks skip that hour"),
        ("2026-02-30 10:00", "is not a real date"),
        ("2026-02-30T10:00:00Z", "is not a real date and time"),
        ("March 5, 2026 13:30 pm", "is not a real time — give a time, e.g. 14:30 or 2:30 PM"),
        ("March 5, 2026 24:10", "is not a real time"),
        ("soon", "is not a date and time — give a date and time, e.g. 2026-03-05T14:30:00Z"),
        ("March 5 at 2pm", "has no year"),
        ("2:30 pm", "has no date — give a date and time"),
        ("0001-01-01T00:00:00+05:00", "is outside the years Salesforce stores"),
        (1741185000, "is not a date and time"),
    ],
)
def test_datetime_refusals(given: Any, expected: str) -> None:
    """A datetime needs a real date and time; skipped DST times and bare dates are refused."""
    message = refusal(("Event", "StartDateTime"), given)
    assert message.startswith("StartDateTime (Start Date Time): ")
    assert expected in message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("14:30", "14:30:00.000Z"),
        ("2:30 pm", "14:30:00.000Z"),
        ("2:30PM", "14:30:00.000Z"),
        ("2pm", "14:00:00.000Z"),
        ("12 am", "00:00:00.000Z"),
        ("12:15 p.m.", "12:15:00.000Z"),
        ("noon", "12:00:00.000Z"),
        ("midnight", "00:00:00.000Z"),
        ("14:30:15.250Z", "14:30:15.250Z"),
        (time(9, 5), "09:05:00.000Z"),
    ],
)
def test_time_values(given: Any, expected: str) -> None:
    """Times: 24-hour or am/pm, noon/midnight, time objects; sent as HH:MM:SS.sssZ."""
    assert value(custom("time"), given) == expected


@pytest.mark.parametrize("given", ["25:00", "13 pm", "half past two", "2", 1430])
def test_time_refusals(given: Any) -> None:
    """A bare number or an impossible time is refused with the accepted forms."""
    assert "give a time, e.g. 14:30 or 2:30 PM" in refusal(custom("time"), given)


# --- email and phone ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (" Ana.Lopez@Example.COM ", "Ana.Lopez@example.com"),
        ("o'brien+calls@mail.example.co.uk", "o'brien+calls@mail.example.co.uk"),
        ("ana@bücher.de", "ana@xn--bcher-kva.de"),
        ("x@a-b.io", "x@a-b.io"),
    ],
)
def test_email_values(given: str, expected: str) -> None:
    """Emails are trimmed, the domain lower-cased (and punycoded), the local part kept."""
    assert value(("Contact", "Email"), given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "ana at example",
            "Email: 'ana at example' is not a valid email address (it has no @) — ask the caller "
            "to spell it, e.g. ana@example.com",
        ),
        (
            "ana dot lopez at example dot com",
            "did you mean ana.lopez@example.com? Confirm the spelling",
        ),
        ("ana@example", "(the part after the @ is not a domain name)"),
        ("ana lopez@example.com", "(it contains a space)"),
        ("ana@@example.com", "(it has more than one @)"),
        ("ana@exa_mple.com", "(the part after the @ is not a domain name)"),
        ("ana@-example.com", "(the part after the @ is not a domain name)"),
        ("ana@example.c", "(the part after the @ is not a domain name)"),
        ("ana@example.123", "(the part after the @ is not a domain name)"),
        ('"ana lopez"@example.com', "is not a valid email address"),
        ("ana..lopez@example.com", "(the part before the @ has characters an address cannot have)"),
        (".ana@example.com", "(the part before the @ has characters"),
        ("josé@example.com", "(the part before the @ has characters"),
        ("a" * 65 + "@example.com", "(the part before the @ has characters"),
        ("a@" + "b" * 60 + "." + "c" * 20 + ".com", "is 87 characters; the limit is 80"),
        (42, "is not an email address — give an email address, e.g. ana@example.com"),
    ],
)
def test_email_refusals(given: Any, expected: str) -> None:
    """Invalid or spoken emails are refused with the reason and an example (spoken: a guess)."""
    assert expected in refusal(("Contact", "Email"), given)


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


# --- picklists ----------------------------------------------------------------------------------


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


# --- ids and references -------------------------------------------------------------------------


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


# --- other types --------------------------------------------------------------------------------


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


def test_coerce_record_matches_coerce_value() -> None:
    """A realistic call: every field in its wire form, in data order."""
    body = record(
        "Lead",
        {
            "FirstName": " Ana ",
            "lastName": "López",
            "company": "Acme",
            "email": "Ana@Example.com",
            "phone": "+1 (415) 555-0100",
            "NumberOfEmployees": "1,200",
            "Rating": "hot",
            "Description": "Caller said: {{ 7*7 }}",
        },
        key_prefixes=PREFIXES,
    )
    assert body == {
        "FirstName": "Ana",
        "LastName": "López",
        "Company": "Acme",
        "Email": "Ana@example.com",
        "Phone": "+14155550100",
        "NumberOfEmployees": 1200,
        "Rating": "Hot",
        "Description": "Caller said: {{ 7*7 }}",
    }
    assert json.loads(json.dumps(body)) == body
