"""coerce_record: field names, Id, what each operation may write, required fields, upsert."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from server.values import Operation, ValueCoercionError, coerce_record
from tests.helpers.object_infos import describe
from tests.helpers.values import CONTACT_ID, EVENT_ID, LEAD_ID, PREFIXES, TZ, problems, record

# --- names, permissions, required fields ----------------------------------------------------------


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


def test_objects_that_cannot_be_created_are_refused() -> None:
    """create on an object the describe says is not createable is refused up front."""
    readonly = dataclasses.replace(describe("Contact"), createable=False)
    with pytest.raises(ValueCoercionError) as caught:
        coerce_record(readonly, {"LastName": "Lopez"}, operation="create", tz=TZ)
    assert caught.value.problems[0].message == "Contact records cannot be created"


# --- upsert ---------------------------------------------------------------------------------------


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


# --- a whole record -------------------------------------------------------------------------------


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
