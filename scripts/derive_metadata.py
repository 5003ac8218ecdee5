"""Derive the emulator's object metadata from the real describes in ../shared/salesforce/describe.

Run from the repository root: ``python scripts/derive_metadata.py [SHARED_DIR]``. It writes
``emulator/metadata/<Object>.json``: the describe of each demo object, normalised to the v60 field
attribute set, with version-specific URLs turned into ``{version}`` placeholders, child
relationships limited to objects the demo org has, and the demo org's own custom fields added
(``External_Id__c`` on Lead and Contact). Sources are listed in ``emulator/metadata/SOURCES.md``.

The recorded Contact and Lead describes lack three standard fields that the Object Reference lists
on both objects and a voice agent needs: ``HasOptedOutOfEmail``, ``HasOptedOutOfFax`` and
``DoNotCall`` (all three are ``permissionable``: field-level security can hide them from the
recording user). They are taken from the real Person Account describe, whose ``Person*`` fields
are Contact's own fields seen through the account, and placed where full Contact and Lead
describes have them.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

SOURCES = {
    "Account": "Account.cumulusci.json",
    "Contact": "Contact.cumulusci.json",
    "Lead": "Lead.cumulusci.json",
    "Opportunity": "Opportunity.cumulusci.json",
    "Case": "Case.cumulusci.json",
    "Event": "Event.cumulusci.json",
    "Task": "Task.v60.nango.json",
    "User": "User.trimmed_soqlMetadata.ganttchart.json",
}
#: The real describe whose ``Person*`` fields mirror Contact's.
PERSON_ACCOUNT = "Account_PersonAccountsEnabled.cumulusci.json"
#: Fields added from it: (object, field, the field it follows in a full describe).
PERSON_FIELDS = (
    ("Contact", "HasOptedOutOfEmail", "OwnerId"),
    ("Contact", "HasOptedOutOfFax", "HasOptedOutOfEmail"),
    ("Contact", "DoNotCall", "HasOptedOutOfFax"),
    ("Lead", "HasOptedOutOfEmail", "OwnerId"),
    ("Lead", "DoNotCall", "LastActivityDate"),
    ("Lead", "HasOptedOutOfFax", "DoNotCall"),
)
_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
    "address": "urn:address",
    "location": "urn:location",
    "base64": "xsd:base64Binary",
}
_VERSION_RE = re.compile(r"/services/data/v(?:\d+|xx)\.0")
_HOST_RE = re.compile(r"https://[^/\"]+\.salesforce\.com")


def field_defaults(field: dict[str, Any]) -> dict[str, Any]:
    """Every v60 field attribute, with Salesforce's defaults for what a trimmed describe lacks."""
    ftype = field.get("type", "string")
    length = field.get("length", 18 if ftype in ("id", "reference") else 0)
    return {
        "aggregatable": True,
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": length * 3 if ftype not in ("id", "reference") else 18,
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": False,
        "custom": False,
        "defaultValue": None,
        "defaultValueFormula": None,
        "defaultedOnCreate": False,
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": 0,
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": None,
        "filterable": True,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": True,
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": ftype == "id",
        "inlineHelpText": None,
        "label": "",
        "length": length,
        "mask": None,
        "maskType": None,
        "name": "",
        "nameField": False,
        "namePointing": False,
        "nillable": True,
        "permissionable": False,
        "picklistValues": [],
        "polymorphicForeignKey": False,
        "precision": 0,
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": [],
        "relationshipName": None,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": False,
        "scale": 0,
        "searchPrefilterable": False,
        "soapType": _SOAP_TYPES.get(ftype, "xsd:string"),
        "sortable": True,
        "type": ftype,
        "unique": False,
        "updateable": False,
        "writeRequiresMasterRead": False,
    }


def external_id_field() -> dict[str, Any]:
    """The demo org's ``External_Id__c``: a unique, case-insensitive external id text field."""
    field = field_defaults({"type": "string", "length": 255})
    field.update(
        name="External_Id__c",
        label="External Id",
        custom=True,
        createable=True,
        updateable=True,
        externalId=True,
        unique=True,
        idLookup=True,
        permissionable=True,
    )
    return field


def add_person_fields(name: str, fields: list[dict[str, Any]], person: dict[str, Any]) -> None:
    """Insert the :data:`PERSON_FIELDS` of object ``name``, copied from the Person Account
    describe ``person`` with the ``Person`` prefix dropped, each after its anchor field."""
    mirrored = {f["name"].removeprefix("Person"): f for f in person["fields"]}
    for sobject, field_name, after in PERSON_FIELDS:
        if sobject != name or any(f["name"] == field_name for f in fields):
            continue
        field = {**field_defaults(mirrored[field_name]), **mirrored[field_name]}
        field["name"] = field_name
        anchor = next(i for i, f in enumerate(fields) if f["name"] == after)
        fields.insert(anchor + 1, field)


def _user_urls(contact_urls: dict[str, str]) -> dict[str, str]:
    """A real User's urls: Contact's, less approvalLayouts and listviews, plus namedLayouts and
    passwordUtilities (as a real describeGlobal shows them)."""
    urls = {
        key: url.replace("/Contact", "/User")
        for key, url in contact_urls.items()
        if key not in ("approvalLayouts", "listviews")
    }
    base = "/services/data/v{version}/sobjects/User"
    urls["namedLayouts"] = base + "/describe/namedLayouts/{LayoutName}"
    urls["passwordUtilities"] = base + "/{ID}/password"
    return urls


def user_top_level(user: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    """The trimmed User describe has five top-level keys; give it the full set, read-only.

    The demo org's users are seeded, never written through the API, so the object is neither
    createable, updateable nor deletable here.
    """
    top = {
        key: value for key, value in contact.items() if key not in ("fields", "childRelationships")
    }
    top.update(
        name="User",
        label="User",
        labelPlural="Users",
        keyPrefix="005",
        custom=False,
        createable=False,
        updateable=False,
        deletable=False,
        queryable=True,
        mergeable=False,
        undeletable=False,
        feedEnabled=False,
        activateable=False,
        recordTypeInfos=[],
        namedLayoutInfos=[],
        actionOverrides=[],
        urls=_user_urls(contact["urls"]),
    )
    top.update(fields=user["fields"], childRelationships=user["childRelationships"])
    return top


def derive(shared: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    person = json.loads((shared / PERSON_ACCOUNT).read_text())
    for name, filename in SOURCES.items():
        raw = json.loads((shared / filename).read_text())
        fields = []
        for field in raw["fields"]:
            merged = field_defaults(field)
            merged.update(field)
            fields.append(merged)
        if name in ("Lead", "Contact"):
            add_person_fields(name, fields, person)
            fields.append(external_id_field())
        raw["fields"] = fields
        if name == "User":
            raw = user_top_level(raw, json.loads((shared / SOURCES["Contact"]).read_text()))
        raw["childRelationships"] = [
            rel for rel in raw.get("childRelationships", []) if rel["childSObject"] in SOURCES
        ]
        out[name] = raw
    text = json.dumps(out)
    text = _VERSION_RE.sub("/services/data/v{version}", text)
    text = _HOST_RE.sub("{instance}", text)
    return json.loads(text)  # type: ignore[no-any-return]


def main() -> None:
    shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/salesforce/describe")
    target = Path("emulator/metadata")
    for name, describe in derive(shared).items():
        (target / f"{name}.json").write_text(json.dumps(describe, separators=(",", ":")) + "\n")
        print(f"{name}: {len(describe['fields'])} fields")


if __name__ == "__main__":
    main()
