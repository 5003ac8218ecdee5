"""Per-object lookup tables for validation, defaults and record reads, derived from describes.

:class:`RuleBook` builds an object's :class:`ObjectRules` on first use and keeps it, so a single
write or read costs O(fields given) rather than a scan of the describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.schema import FieldSchema, ObjectSchema, Schema

_ADDRESS_KEYS = (
    "City",
    "Country",
    "CountryCode",
    "GeocodeAccuracy",
    "Latitude",
    "Longitude",
    "PostalCode",
    "State",
    "StateCode",
    "Street",
)


@dataclass(frozen=True, slots=True)
class ObjectRules:
    """Per-object lookup tables for validation, defaults and reads, built once per object."""

    obj: ObjectSchema
    required: tuple[FieldSchema, ...]
    insert_defaults: Mapping[str, Any]
    unique: tuple[FieldSchema, ...]
    name_parts: tuple[str, ...]
    #: Field name → ``None`` for plain fields or the (key, component field) pairs of an address,
    #: in describe order: how a record is rendered.
    layout: tuple[tuple[str, tuple[tuple[str, str], ...] | None], ...]
    booleans: frozenset[str]
    auto_numbers: tuple[FieldSchema, ...]

    @classmethod
    def build(cls, obj: ObjectSchema) -> ObjectRules:
        """Derive the tables from the describe."""
        fields = list(obj.fields.values())
        defaults: dict[str, Any] = {}
        for f in fields:
            if f.type == "boolean":
                defaults[f.name] = bool(f.default_value)
            elif f.defaulted_on_create and f.default_picklist_value is not None:
                defaults[f.name] = f.default_picklist_value
        name = obj.fields.get("Name")
        parts = tuple(
            n
            for n in ("FirstName", "LastName")
            if n in obj.fields and obj.fields[n].compound_field_name == "Name"
        )
        layout = tuple(
            (f.name, _address_parts(obj, f) if f.type == "address" else None) for f in fields
        )
        return cls(
            obj=obj,
            required=tuple(f for f in fields if f.required_on_create),
            insert_defaults=defaults,
            unique=tuple(f for f in fields if f.unique and f.name != "Id"),
            name_parts=parts if name is not None and not name.createable else (),
            layout=layout,
            booleans=frozenset(f.name for f in fields if f.type == "boolean"),
            auto_numbers=tuple(f for f in fields if f.raw.get("autoNumber") and not f.createable),
        )


def _address_parts(obj: ObjectSchema, address: FieldSchema) -> tuple[tuple[str, str], ...]:
    # A component names its address in ``compoundFieldName``; the User describe, derived from a
    # trimmed one, names none, so a component that names no address belongs to the one its name
    # starts with (User.City → Address), as the SOQL engine reads it (soql/columns.py).
    prefix = address.name.removesuffix("Address")
    parts = []
    for key in _ADDRESS_KEYS:
        component = obj.fields.get(prefix + key)
        if component is not None and component.compound_field_name in (address.name, None):
            parts.append((key[0].lower() + key[1:], component.name))
    return tuple(parts)


class RuleBook:
    """:class:`ObjectRules` for every object of a schema, built on first use."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._rules: dict[str, ObjectRules] = {}

    def __getitem__(self, obj: ObjectSchema) -> ObjectRules:
        rules = self._rules.get(obj.name)
        if rules is None:
            rules = self._rules[obj.name] = ObjectRules.build(obj)
        return rules
