"""Records named by a field value rather than an id: upsert keys and nested parent references.

An external id is an ``externalId`` field or an ``idLookup`` one (``Id``, ``Email``, ``Name``…).
A write may name a parent by one (``"Account": {"External_Id__c": "A-1"}``): the parent must
resolve to exactly one live record, or the write fails with ``INVALID_FIELD``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.errors import SalesforceError, json_parser_error
from emulator.field_values import Origin, finish, read_value
from emulator.ids import normalize
from emulator.schema import FieldSchema, ObjectSchema
from emulator.store import OrgStore, Record


def resolve_parent(
    store: OrgStore, relation: FieldSchema, key: str, raw: Mapping[str, Any], origin: Origin
) -> str:
    """The id of the parent named by a nested ``{"<ExtIdField>": value}`` object."""
    schema = store.schema
    keys = list(raw)
    attributes = raw.get("attributes")
    if isinstance(attributes, dict) and isinstance(attributes.get("type"), str):
        target = schema.get_object(attributes["type"])
        if target is None or target.name not in relation.reference_to:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"The sObject type {attributes['type']} is not valid for {relation.name}",
            )
    elif len(relation.reference_to) > 1 or (keys and keys[0] == "attributes"):
        raise json_parser_error(
            "Nested object for polymorphic foreign key must have an attributes field before "
            "any other fields."
        )
    else:
        target = schema.get_object(relation.reference_to[0]) if relation.reference_to else None
    lookups = [(k, v) for k, v in raw.items() if k != "attributes"]
    if target is None or len(lookups) != 1:
        raise SalesforceError(
            400,
            "INVALID_FIELD",
            f"A nested object for {key} must name exactly one external ID field of the parent",
        )
    name, value = lookups[0]
    field = external_id_field(target, name)
    if field is None:
        raise SalesforceError(
            400,
            "INVALID_FIELD",
            f"Field {name} is not an external ID or indexed field for {target.name}",
        )
    typed = read_value(field, value, origin, key, name)
    matches = find_by_field(store, target, field, typed)
    if len(matches) != 1:
        verb = "not found" if not matches else "matched more than one record"
        raise SalesforceError(
            400,
            "INVALID_FIELD",
            f"Foreign key external ID: {value} {verb} for field {field.name} in entity "
            f"{target.name}",
            [],
        )
    found: str = matches[0]["Id"]
    return found


def find_by_field(
    store: OrgStore, obj: ObjectSchema, field: FieldSchema, value: Any
) -> list[Record]:
    """Live records of ``obj`` whose external-id (or ``Id``) ``field`` equals ``value``."""
    if value is None:
        return []
    if field.name == "Id":
        record = store.get(obj.name, str(value))
        return [record] if record is not None else []
    if field.type in ("id", "reference"):
        value = normalize(str(value)) or value
    elif not isinstance(value, str):
        value = finish(field, value)
    return store.lookup(obj.name, field.name, value)


def external_id_field(obj: ObjectSchema, name: str) -> FieldSchema | None:
    """The field ``name`` if it can identify records for upsert: an external id, or an
    idLookup field such as ``Id``, ``Email`` or ``Name`` (a real upsert uses Contact.Email)."""
    field = obj.field(name)
    if field is None or not (field.external_id or field.id_lookup):
        return None
    return field
