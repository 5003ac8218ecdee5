"""server.salesforce.fields: the typed view of a describe, from the emulator's derived metadata."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from server.salesforce.fields import FieldInfo, ObjectInfo
from tests.helpers.object_infos import METADATA, describe, field


@pytest.mark.parametrize("path", sorted(METADATA.glob("*.json")), ids=lambda p: p.stem)
def test_every_emulator_describe_parses(path: Path) -> None:
    """Every describe in the emulator's metadata becomes an ObjectInfo with all its fields."""
    raw = json.loads(path.read_text())
    info = ObjectInfo.from_describe(raw)
    assert info.name == raw["name"]
    assert [f.name for f in info.fields] == [f["name"] for f in raw["fields"]]


def test_object_attributes() -> None:
    """Object-level facts come from the describe: name, label, key prefix, permissions."""
    contact = describe("Contact")
    assert (contact.name, contact.label, contact.key_prefix) == ("Contact", "Contact", "003")
    assert all((contact.createable, contact.updateable, contact.deletable, contact.queryable))
    assert contact.fields[0].name == "Id"


@pytest.mark.parametrize(
    ("obj", "name", "attrs"),
    [
        ("Contact", "Email", {"type": "email", "length": 80, "nillable": True, "id_lookup": True}),
        ("Contact", "LastName", {"label": "Last Name", "nillable": False, "createable": True}),
        ("Opportunity", "Amount", {"type": "currency", "precision": 18, "scale": 2}),
        ("Lead", "NumberOfEmployees", {"type": "int", "digits": 8}),
        ("Lead", "Status", {"defaulted_on_create": True, "restricted_picklist": False}),
        ("Event", "ShowAs", {"restricted_picklist": True}),
        ("Lead", "External_Id__c", {"external_id": True}),
        ("Contact", "AccountId", {"reference_to": ("Account",), "relationship_name": "Account"}),
        ("Task", "WhoId", {"reference_to": ("Contact", "Lead"), "relationship_name": "Who"}),
        ("Account", "BillingCity", {"compound_field_name": "BillingAddress"}),
        ("Opportunity", "ExpectedRevenue", {"createable": False, "updateable": False}),
        ("Contact", "Id", {"type": "id", "createable": False, "unique": False}),
    ],
)
def test_field_attributes(obj: str, name: str, attrs: dict[str, Any]) -> None:
    """FieldInfo carries the describe's type, sizes, flags and references under snake_case names."""
    info = field(obj, name)
    assert {key: getattr(info, key) for key in attrs} == attrs


def test_picklist_values_are_active_api_values_with_labels() -> None:
    """picklist_values lists active API values only; picklist_labels pairs with them by index."""
    raw = {
        "name": "Stage__c",
        "type": "picklist",
        "picklistValues": [
            {"value": "new", "label": "New", "active": True},
            {"value": "old", "label": "Old", "active": False},
            {"value": "won", "label": "Closed Won", "active": True},
        ],
    }
    info = FieldInfo.from_describe(raw)
    assert info.picklist_values == ("new", "won")
    assert info.picklist_labels == ("New", "Closed Won")


@pytest.mark.parametrize(
    ("obj", "name", "given", "expected"),
    [
        ("Event", "ShowAs", "busy", "Busy"),
        ("Event", "ShowAs", "  out of   OFFICE ", "OutOfOffice"),
        ("Contact", "CleanStatus", "in sync", "Matched"),
        ("Task", "RecurrenceInstance", "2nd", "Second"),
        ("Event", "ShowAs", "away", None),
    ],
)
def test_picklist_value_matches_value_or_label(
    obj: str, name: str, given: str, expected: str | None
) -> None:
    """picklist_value finds the API value by value or label, ignoring case and extra spaces."""
    assert field(obj, name).picklist_value(given) == expected


def test_field_lookup_is_case_insensitive() -> None:
    """field() finds a field in any case and answers None for a name the object lacks."""
    contact = describe("Contact")
    assert contact.field("lastname") is contact.field("LASTNAME") is contact.field("LastName")
    assert contact.field("Nope__c") is None


@pytest.mark.parametrize(
    ("obj", "required"),
    [
        ("Contact", ["LastName"]),
        ("Lead", ["LastName", "Company"]),
        ("Account", ["Name"]),
        ("Opportunity", ["Name", "StageName", "CloseDate"]),
        ("Case", []),
    ],
)
def test_required_on_create(obj: str, required: list[str]) -> None:
    """Required on create: not nillable, createable, not defaulted (OwnerId, Status are not)."""
    info = describe(obj)
    assert [f.name for f in info.fields if f.required_on_create] == required
    assert [f.name for f in info.required_fields()] == required


def test_boolean_is_never_required() -> None:
    """A non-nillable boolean without a default is not required: it defaults to false."""
    raw = {"name": "Flag__c", "type": "boolean", "nillable": False, "createable": True}
    assert not FieldInfo.from_describe(raw).required_on_create


@pytest.mark.parametrize(
    ("obj", "given", "first"),
    [
        ("Contact", "lastname", "LastName"),
        ("Contact", "E-mail", "Email"),
        ("Contact", "emial", "Email"),
        ("Lead", "company name", "Company"),
        ("Contact", "mobile", "MobilePhone"),
        ("Contact", "Birthday", "Birthdate"),
        ("Lead", "External Id", "External_Id__c"),
        ("Contact", "zip", "OtherPostalCode"),
    ],
)
def test_suggest_offers_close_names_first(obj: str, given: str, first: str) -> None:
    """suggest() ranks names and labels alike, case- and punctuation-insensitively, best first."""
    suggestions = describe(obj).suggest(given)
    assert suggestions[0] == first
    assert len(suggestions) <= 3


def test_suggest_returns_nothing_for_unrelated_names() -> None:
    """suggest() offers nothing rather than a random field."""
    assert describe("Contact").suggest("xyzzy") == []


def test_suggest_ignores_names_no_field_could_have() -> None:
    """A huge name gets no suggestions (and no quadratic difflib work)."""
    assert describe("Contact").suggest("LastName" * 10_000) == []


def test_external_id_fields() -> None:
    """external_id_fields() lists the fields marked External ID, in describe order."""
    assert [f.name for f in describe("Lead").external_id_fields()] == ["External_Id__c"]
    assert describe("Account").external_id_fields() == ()


def test_components_of_compound_fields() -> None:
    """components() lists the parts of an address or name compound field."""
    parts = [f.name for f in describe("Account").components("BillingAddress")]
    assert parts[:5] == [
        "BillingStreet",
        "BillingCity",
        "BillingState",
        "BillingPostalCode",
        "BillingCountry",
    ]
    assert {"FirstName", "LastName"} <= {f.name for f in describe("Contact").components("Name")}


def test_infos_are_immutable() -> None:
    """ObjectInfo and FieldInfo are frozen: a cached describe cannot be changed by a caller."""
    contact = describe("Contact")
    with pytest.raises(dataclasses.FrozenInstanceError):
        contact.name = "Lead"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        contact.fields[0].nillable = True  # type: ignore[misc]


def test_trimmed_describe_falls_back_to_restrictive_defaults() -> None:
    """Keys missing from a trimmed describe give empty, non-writable defaults, not errors."""
    info = ObjectInfo.from_describe({"name": "Thing__c", "fields": [{"name": "Code__c"}]})
    code = info.field("code__c")
    assert code is not None
    assert (info.label, info.key_prefix, info.createable) == ("Thing__c", None, False)
    assert (code.label, code.type, code.length, code.createable) == ("Code__c", "string", 0, False)
    assert (code.reference_to, code.picklist_values) == ((), ())
