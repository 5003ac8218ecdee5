"""Write validation with Salesforce's codes, messages and fields (CONTRACT.md §4, §9)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from emulator import field_values
from emulator.errors import SalesforceError
from emulator.ids import to18
from emulator.org import Org
from tests.helpers.emulator import API, create, get_record


async def error_of(
    client: httpx.AsyncClient, sobject: str, body: Any, record_id: str | None = None
) -> dict[str, Any]:
    """The single error of a create (or, with ``record_id``, an update) that must fail 400.

    The body is sent as ``json.dumps`` writes it (``", "`` and ``": "``), so that parser-error
    columns in the expected messages can be counted by eye."""
    url = f"{API}/sobjects/{sobject}" + (f"/{record_id}" if record_id else "")
    response = await client.request(
        "POST" if record_id is None else "PATCH",
        url,
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    errors = response.json()
    assert len(errors) == 1
    error: dict[str, Any] = errors[0]
    return error


# --- names, writability, required ---------------------------------------------------------


async def test_unknown_field_is_invalid_field(client: httpx.AsyncClient) -> None:
    """An unknown field answers INVALID_FIELD "No such column … on sobject of type …"."""
    assert await error_of(client, "Account", {"Name": "x", "foo": 1}) == {
        "message": "No such column 'foo' on sobject of type Account",
        "errorCode": "INVALID_FIELD",
    }


async def test_field_names_are_case_insensitive(client: httpx.AsyncClient, org: Org) -> None:
    """Body field names match in any case and are stored under the API name."""
    account_id = await create(client, "Account", {"name": "lower", "BILLINGCITY": "Paris"})
    record = org.store.get("Account", account_id)
    assert record is not None
    assert record["Name"] == "lower"
    assert record["BillingCity"] == "Paris"
    assert "name" not in record


async def test_attributes_in_the_body_are_ignored(client: httpx.AsyncClient) -> None:
    """``attributes`` in a single-record body is ignored: an Account is stored as the URL says."""
    account_id = await create(
        client, "Account", {"attributes": {"type": "Contact"}, "Name": "Attr"}
    )
    stored = await get_record(client, "Account", account_id)
    assert stored["attributes"]["type"] == "Account"
    assert stored["Name"] == "Attr"


async def test_non_createable_fields_are_refused_together(client: httpx.AsyncClient) -> None:
    """Read-only fields on create answer one INVALID_FIELD_FOR_INSERT_UPDATE naming all."""
    error = await error_of(
        client, "Account", {"Name": "x", "CreatedDate": "2020-01-01T00:00:00Z", "PhotoUrl": "u"}
    )
    assert error == {
        "message": "Unable to create/update fields: CreatedDate, PhotoUrl. Please check the "
        "security settings of this field and verify that it is read/write for your profile or "
        "permission set.",
        "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
        "fields": ["CreatedDate", "PhotoUrl"],
    }


async def test_non_updateable_field_is_refused_on_update(client: httpx.AsyncClient) -> None:
    """A createable but not updateable field (Lead.IsConverted) is refused on update."""
    lead_id = await create(client, "Lead", {"LastName": "L", "Company": "C", "IsConverted": False})
    error = await error_of(client, "Lead", {"IsConverted": True}, lead_id)
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error["fields"] == ["IsConverted"]


async def test_compound_address_is_read_only(client: httpx.AsyncClient) -> None:
    """The compound BillingAddress cannot be written (its components can)."""
    error = await error_of(client, "Account", {"Name": "x", "BillingAddress": {"city": "Paris"}})
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


async def test_id_is_refused_on_create(client: httpx.AsyncClient) -> None:
    """A non-null Id on create answers "cannot specify Id in an insert call"."""
    error = await error_of(client, "Account", {"Name": "x", "Id": to18("001000000000001")})
    assert error == {
        "message": "cannot specify Id in an insert call",
        "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
        "fields": ["Id"],
    }


async def test_required_fields_are_listed_in_describe_order(client: httpx.AsyncClient) -> None:
    """Missing required fields answer REQUIRED_FIELD_MISSING listing them all."""
    assert await error_of(client, "Lead", {"FirstName": "x"}) == {
        "message": "Required fields are missing: [LastName, Company]",
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["LastName", "Company"],
    }


async def test_empty_and_null_required_values_are_missing(client: httpx.AsyncClient) -> None:
    """ "" and null count as missing (Salesforce stores no empty strings)."""
    for value in ("", None):
        error = await error_of(client, "Account", {"Name": value})
        assert error["errorCode"] == "REQUIRED_FIELD_MISSING"


async def test_null_for_required_field_on_update(client: httpx.AsyncClient, org: Org) -> None:
    """Setting a required field to null on update answers REQUIRED_FIELD_MISSING."""
    account_id = await create(client, "Account", {"Name": "Keep", "Phone": "1"})
    error = await error_of(client, "Account", {"Name": None}, account_id)
    assert error["message"] == "Required fields are missing: [Name]"
    ok = await client.patch(f"{API}/sobjects/Account/{account_id}", json={"Phone": None})
    assert ok.status_code == 204
    record = org.store.get("Account", account_id)
    assert record is not None
    assert record["Phone"] is None
    assert record["Name"] == "Keep"


# --- JSON types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"Name": "x", "IsPartner": "yes"},
            "Cannot deserialize instance of boolean from VALUE_STRING value yes or request may be "
            "missing a required field at [line:1, column:29]",
        ),
        (
            {"Name": "x", "NumberOfEmployees": "ten"},
            "Cannot deserialize instance of int from VALUE_STRING value ten or request may be "
            "missing a required field at [line:1, column:37]",
        ),
        (
            {"Name": "x", "AnnualRevenue": True},
            "Cannot deserialize instance of currency from VALUE_TRUE value true or request may be "
            "missing a required field at [line:1, column:33]",
        ),
        (
            {"Name": "x", "IsPartner": 1},
            "Cannot deserialize instance of boolean from VALUE_NUMBER_INT value 1 or request may "
            "be missing a required field at [line:1, column:29]",
        ),
        (
            {"Name": "x", "Industry": ["Energy"]},
            "Cannot deserialize instance of picklist from START_ARRAY value [line:1, column:28]",
        ),
        (
            {"Name": {"first": "x"}},
            "Cannot deserialize instance of string from START_OBJECT value [line:1, column:11]",
        ),
    ],
)
async def test_wrong_json_types_are_parser_errors(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    """A JSON value of the wrong kind answers JSON_PARSER_ERROR with Jackson's wording."""
    assert await error_of(client, "Account", body) == {
        "message": message,
        "errorCode": "JSON_PARSER_ERROR",
    }


async def test_accepted_coercions(client: httpx.AsyncClient, org: Org) -> None:
    """Numeric strings for numbers, "true"/"false" for booleans, numbers for text are taken."""
    account_id = await create(
        client,
        "Account",
        {"Name": 123, "NumberOfEmployees": "10000", "AnnualRevenue": "2.5e3", "Phone": 5551234},
    )
    record = org.store.get("Account", account_id)
    assert record is not None
    assert record["Name"] == "123"
    assert record["Phone"] == "5551234"
    assert record["NumberOfEmployees"] == 10000
    assert record["AnnualRevenue"] == 2500
    case_id = await create(client, "Case", {"IsEscalated": "TRUE"})
    case = org.store.get("Case", case_id)
    assert case is not None
    assert case["IsEscalated"] is True


# --- text, e-mail, picklists --------------------------------------------------------------


async def test_text_too_long_names_the_label(client: httpx.AsyncClient) -> None:
    """Text over the field length answers STRING_TOO_LONG with the label and max length."""
    assert await error_of(client, "Account", {"Name": "x", "Site": "s" * 81}) == {
        "message": f"Account Site: data value too large: {'s' * 81} (max length=80)",
        "errorCode": "STRING_TOO_LONG",
        "fields": ["Site"],
    }


async def test_huge_string_is_refused_cleanly(client: httpx.AsyncClient) -> None:
    """A multi-megabyte value answers STRING_TOO_LONG, not a crash."""
    error = await error_of(client, "Account", {"Name": "n" * 2_000_000})
    assert error["errorCode"] == "STRING_TOO_LONG"


@pytest.mark.parametrize("email", ["plain", "a@b", "a b@c.com", "@c.com", "a@-c.com"])
async def test_invalid_email(client: httpx.AsyncClient, email: str) -> None:
    """A malformed e-mail answers INVALID_EMAIL_ADDRESS."""
    assert await error_of(client, "Contact", {"LastName": "x", "Email": email}) == {
        "message": f"Email: invalid email address: {email}",
        "errorCode": "INVALID_EMAIL_ADDRESS",
        "fields": ["Email"],
    }


async def test_valid_email_is_stored(client: httpx.AsyncClient, org: Org) -> None:
    """A well-formed e-mail is stored as given."""
    contact_id = await create(client, "Contact", {"LastName": "x", "Email": "O'Hara+1@Ex.co.uk"})
    record = org.store.get("Contact", contact_id)
    assert record is not None
    assert record["Email"] == "O'Hara+1@Ex.co.uk"


async def test_restricted_picklist_refuses_unknown_values(client: httpx.AsyncClient) -> None:
    """A restricted picklist refuses a value outside its list."""
    assert await error_of(client, "Account", {"Name": "x", "CleanStatus": "Shiny"}) == {
        "message": "Clean Status: bad value for restricted picklist field: Shiny",
        "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "fields": ["CleanStatus"],
    }


async def test_unrestricted_picklist_takes_any_value(client: httpx.AsyncClient) -> None:
    """An unrestricted picklist (Account.Industry) takes and stores a value outside its list."""
    account_id = await create(client, "Account", {"Name": "x", "Industry": "Space Mining"})
    assert (await get_record(client, "Account", account_id))["Industry"] == "Space Mining"


# --- numbers, dates, datetimes ------------------------------------------------------------


async def test_number_outside_precision(client: httpx.AsyncClient) -> None:
    """More integer digits than precision − scale answers NUMBER_OUTSIDE_VALID_RANGE."""
    error = await error_of(client, "Account", {"Name": "x", "AnnualRevenue": 10**18})
    assert error["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"
    assert error["message"].startswith("Annual Revenue: value outside of valid range")
    digits = await error_of(client, "Account", {"Name": "x", "NumberOfEmployees": 123456789})
    assert digits["fields"] == ["NumberOfEmployees"]


async def test_decimals_round_to_scale(client: httpx.AsyncClient, org: Org) -> None:
    """Extra decimals are rounded half-up to the field's scale."""
    opportunity_id = await create(
        client,
        "Opportunity",
        {
            "Name": "Deal",
            "StageName": "Prospecting",
            "CloseDate": "2026-05-01",
            "Amount": 12.345,
            "TotalOpportunityQuantity": "3",
        },
    )
    record = org.store.get("Opportunity", opportunity_id)
    assert record is not None
    assert record["Amount"] == 12.35
    assert record["TotalOpportunityQuantity"] == 3.0


async def test_fraction_for_integer_field(client: httpx.AsyncClient) -> None:
    """A fraction for an int field answers INVALID_TYPE_ON_FIELD_IN_RECORD."""
    assert await error_of(client, "Account", {"Name": "x", "NumberOfEmployees": 1.5}) == {
        "message": "Employees: value not of required type: 1.5",
        "errorCode": "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "fields": ["NumberOfEmployees"],
    }


@pytest.mark.parametrize("bad", ["05/13/2019", "2019-02-30", "2019-1-1", "2019-01-01T00:00:00Z"])
async def test_bad_dates(client: httpx.AsyncClient, bad: str) -> None:
    """A date that is not a real YYYY-MM-DD answers JSON_PARSER_ERROR."""
    error = await error_of(client, "Contact", {"LastName": "x", "Birthdate": bad})
    assert error["errorCode"] == "JSON_PARSER_ERROR"
    assert error["message"].startswith(
        f"Cannot deserialize instance of date from VALUE_STRING value {bad} or request"
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-05-01T07:25:37.000+0000", "2026-05-01T07:25:37.000+0000"),
        ("2026-05-01T07:25:37Z", "2026-05-01T07:25:37.000+0000"),
        ("2026-05-01T07:25:37.123Z", "2026-05-01T07:25:37.000+0000"),
        ("2026-05-01T09:25:37+02:00", "2026-05-01T07:25:37.000+0000"),
        ("2026-05-01T02:25-0500", "2026-05-01T07:25:00.000+0000"),
        ("2026-05-01T07:25:37", "2026-05-01T07:25:37.000+0000"),
        ("2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00.000+0000"),
    ],
)
async def test_datetimes_are_normalised_to_utc(
    client: httpx.AsyncClient, org: Org, given: str, stored: str
) -> None:
    """ISO datetimes (Z, offsets, none = UTC, optional millis) are stored in UTC wire form."""
    task_id = await create(client, "Task", {"Subject": "Call", "ReminderDateTime": given})
    record = org.store.get("Task", task_id)
    assert record is not None
    assert record["ReminderDateTime"] == stored


@pytest.mark.parametrize(
    "bad", ["2026-05-01", "tomorrow", "2026-05-01 07:25:37", "2026-13-01T00:00Z"]
)
async def test_bad_datetimes(client: httpx.AsyncClient, bad: str) -> None:
    """A datetime without a time part or not ISO 8601 answers JSON_PARSER_ERROR."""
    error = await error_of(client, "Task", {"Subject": "Call", "ReminderDateTime": bad})
    assert error["errorCode"] == "JSON_PARSER_ERROR"


async def test_empty_string_clears_dates_and_numbers(client: httpx.AsyncClient, org: Org) -> None:
    """ "" for a date or number field stores null."""
    contact_id = await create(client, "Contact", {"LastName": "x", "Birthdate": "2000-02-29"})
    response = await client.patch(
        f"{API}/sobjects/Contact/{contact_id}", json={"Birthdate": "", "Title": ""}
    )
    assert response.status_code == 204
    record = org.store.get("Contact", contact_id)
    assert record is not None
    assert record["Birthdate"] is None
    assert record["Title"] is None


# --- references ---------------------------------------------------------------------------


async def test_malformed_reference(client: httpx.AsyncClient) -> None:
    """A reference that is not an id answers MALFORMED_ID with the label."""
    assert await error_of(client, "Contact", {"LastName": "x", "AccountId": "acme"}) == {
        "message": "Account ID: id value of incorrect type: acme",
        "errorCode": "MALFORMED_ID",
        "fields": ["AccountId"],
    }


async def test_reference_to_wrong_object(client: httpx.AsyncClient) -> None:
    """An id of another object answers FIELD_INTEGRITY_EXCEPTION."""
    other = await create(client, "Lead", {"LastName": "L", "Company": "C"})
    error = await error_of(client, "Contact", {"LastName": "x", "AccountId": other})
    assert error == {
        "message": f"Account ID: id value of incorrect type: {other}",
        "errorCode": "FIELD_INTEGRITY_EXCEPTION",
        "fields": ["AccountId"],
    }


async def test_reference_to_missing_record(client: httpx.AsyncClient) -> None:
    """A well-formed id of the right object that does not exist: INVALID_CROSS_REFERENCE_KEY."""
    error = await error_of(
        client, "Contact", {"LastName": "x", "AccountId": to18("001000000000000")}
    )
    assert error == {
        "message": "invalid cross reference id",
        "errorCode": "INVALID_CROSS_REFERENCE_KEY",
        "fields": [],
    }


async def test_reference_to_deleted_record(client: httpx.AsyncClient) -> None:
    """A reference to a deleted record answers ENTITY_IS_DELETED."""
    account_id = await create(client, "Account", {"Name": "Gone"})
    await client.delete(f"{API}/sobjects/Account/{account_id}")
    error = await error_of(client, "Contact", {"LastName": "x", "AccountId": account_id[:15]})
    assert error["errorCode"] == "ENTITY_IS_DELETED"


async def test_reference_ids_are_stored_as_18_chars(client: httpx.AsyncClient, org: Org) -> None:
    """A 15-char reference is stored in its 18-char form."""
    account_id = await create(client, "Account", {"Name": "Parent"})
    contact_id = await create(client, "Contact", {"LastName": "x", "AccountId": account_id[:15]})
    record = org.store.get("Contact", contact_id)
    assert record is not None
    assert record["AccountId"] == account_id


async def test_unmodelled_reference_targets_are_accepted(client: httpx.AsyncClient) -> None:
    """A well-formed id of an object the org does not model (RecordType) is accepted and stored."""
    account_id = await create(
        client, "Account", {"Name": "x", "RecordTypeId": "012000000000000AAA"}
    )
    stored = await get_record(client, "Account", account_id)
    assert stored["RecordTypeId"] == "012000000000000AAA"


async def test_parent_by_external_id(client: httpx.AsyncClient, org: Org) -> None:
    """A nested {"External_Id__c": …} under the relationship name sets the parent's id."""
    contact_id = await create(client, "Contact", {"LastName": "P", "External_Id__c": "PARENT-7"})
    case_id = await create(
        client, "Case", {"Subject": "s", "Contact": {"External_Id__c": "parent-7"}}
    )
    record = org.store.get("Case", case_id)
    assert record is not None
    assert record["ContactId"] == contact_id
    missing = await error_of(client, "Case", {"Contact": {"External_Id__c": "NOPE-7"}})
    assert missing["errorCode"] == "INVALID_FIELD"
    assert missing["message"].startswith("Foreign key external ID: NOPE-7 not found")
    polymorphic = await error_of(client, "Task", {"Who": {"External_Id__c": "PARENT-7"}})
    assert polymorphic["errorCode"] == "JSON_PARSER_ERROR"
    typed = await create(
        client,
        "Task",
        {"Who": {"attributes": {"type": "Contact"}, "External_Id__c": "PARENT-7"}},
    )
    task = org.store.get("Task", typed)
    assert task is not None
    assert task["WhoId"] == contact_id


# --- unique fields and atomicity ----------------------------------------------------------


async def test_duplicate_unique_value(client: httpx.AsyncClient) -> None:
    """A unique field's value already in use answers DUPLICATE_VALUE naming the 15-char id."""
    first = await create(client, "Contact", {"LastName": "A", "External_Id__c": "DUP-1"})
    assert await error_of(client, "Contact", {"LastName": "B", "External_Id__c": "dup-1"}) == {
        "message": "duplicate value found: External_Id__c duplicates value on record with id: "
        f"{first[:15]}",
        "errorCode": "DUPLICATE_VALUE",
        "fields": [],
    }
    same = await client.patch(f"{API}/sobjects/Contact/{first}", json={"External_Id__c": "DUP-1"})
    assert same.status_code == 204


async def test_nothing_is_written_when_validation_fails(
    client: httpx.AsyncClient, org: Org
) -> None:
    """A refused create adds no record; a refused update changes nothing."""
    before = org.store.count("Account")
    await error_of(client, "Account", {"Name": "x", "Site": "s" * 100})
    assert org.store.count("Account") == before
    account_id = await create(client, "Account", {"Name": "Stable"})
    snapshot = dict(org.store.get("Account", account_id) or {})
    await error_of(client, "Account", {"Name": "Changed", "Site": "s" * 100}, account_id)
    assert org.store.get("Account", account_id) == snapshot


# --- value rules as functions -------------------------------------------------------------


def test_text_values_use_invalid_type_errors(org: Org) -> None:
    """Text (CSV/URL) values that cannot become the type are INVALID_TYPE_ON_FIELD_IN_RECORD."""
    employees = org.schema["Account"].fields["NumberOfEmployees"]
    partner = org.schema["Account"].fields["IsPartner"]
    assert field_values.from_text(partner, "1") is True
    assert field_values.from_text(partner, "FALSE") is False
    assert field_values.from_text(employees, "") is None
    with pytest.raises(SalesforceError) as caught:
        field_values.from_text(employees, "12x")
    assert caught.value.error_code == "INVALID_TYPE_ON_FIELD_IN_RECORD"
    assert caught.value.message == "Employees: value not of required type: 12x"


def test_json_location_points_into_nested_bodies() -> None:
    """Parser-error positions are found inside nested objects and arrays, line by line."""
    raw = '{\n  "records": [\n    {"a": 1},\n    {"b": "x"}\n  ]\n}'
    assert field_values.json_location(raw, ("records", 1, "b")) == "[line:4, column:12]"
    assert field_values.json_location(raw, ("missing",)) == "[line:1, column:1]"
