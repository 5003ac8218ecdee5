"""A request's field values turned into a validated record change, as Salesforce validates a save.

Every write path (sObject rows, sObject Collections, Bulk API 2.0) calls :func:`prepare`; nothing
is written unless it returns. Checks run in this order and the first failure is raised as a
:class:`~emulator.errors.SalesforceError` (status 400):

1. reading each key (``attributes`` is skipped): an unknown name is ``INVALID_FIELD`` "No such
   column 'foo' on sobject of type Account"; a relationship name with an object value
   (``"Account": {"External_Id__c": "A-1"}``) is resolved to the parent's id; a value of the
   wrong type fails as :mod:`emulator.field_values` describes. Names match case-insensitively
   and are stored under the API name.
2. ``Id``: on insert a non-null ``Id`` is ``INVALID_FIELD_FOR_INSERT_UPDATE`` "cannot specify Id
   in an insert call"; on update an ``Id`` other than the record's is ``INVALID_FIELD``.
3. writability: fields that are not createable (insert) / updateable (update), all in one
   ``INVALID_FIELD_FOR_INSERT_UPDATE`` "Unable to create/update fields: A, B. Please check …".
4. each value's save-time checks (length, e-mail, restricted picklist, number range, id syntax).
5. required fields: on insert every ``required_on_create`` field must be non-null; on update a
   null for a non-nillable field is refused — both as ``REQUIRED_FIELD_MISSING`` "Required
   fields are missing: [LastName, Company]" in describe order.
6. references: a well-formed id of an object the field does not point to is
   ``FIELD_INTEGRITY_EXCEPTION`` "<Label>: id value of incorrect type: <id>"; one of the right
   object that does not exist is ``INVALID_CROSS_REFERENCE_KEY`` "invalid cross reference id";
   a deleted one is ``ENTITY_IS_DELETED``. Ids of objects this org does not model (RecordType,
   Group, …) are accepted when well-formed.
7. unique fields: ``DUPLICATE_VALUE`` "duplicate value found: <Field> duplicates value on record
   with id: <15-char id>".

:class:`RuleBook` caches the per-object tables these checks (and record reads) need, so a single
write or read costs O(fields given) rather than a scan of the describe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator import field_values
from emulator.errors import SalesforceError, json_parser_error
from emulator.ids import normalize
from emulator.schema import FieldSchema, ObjectSchema, Schema
from emulator.store import OrgStore, Record

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
class JsonOrigin:
    """Values parsed from a JSON body; ``raw`` and ``path`` place parser errors in the text."""

    raw: bytes | str = b""
    path: tuple[str | int, ...] = ()

    def locator(self, *keys: str) -> field_values.Locator:
        """Where the value under ``keys`` sits, computed only if an error needs it."""
        return lambda: field_values.json_location(self.raw, (*self.path, *keys))


@dataclass(frozen=True, slots=True)
class TextOrigin:
    """Values given as text: Bulk API CSV cells and external ids in a URL."""


TEXT = TextOrigin()
Origin = JsonOrigin | TextOrigin


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


def prepare(
    rules: ObjectRules,
    store: OrgStore,
    body: Mapping[str, Any],
    origin: Origin,
    *,
    current: Record | None = None,
    preset: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The validated changes of an insert (``current`` is ``None``) or an update of ``current``:
    API field name → stored value. Raises the first :class:`SalesforceError` (module docstring).

    ``preset`` holds already-read values by API field name that are not in ``body`` (the
    external id of an upsert, taken from the URL); they are checked like the body's.
    """
    obj = rules.obj
    inserting = current is None
    values: dict[str, Any] = {}
    given: dict[str, FieldSchema] = {}
    resolved: set[str] = set()
    for name, value in (preset or {}).items():
        values[name] = value
        given[name] = obj.fields[name]
    for key, raw in body.items():
        if key == "attributes":
            continue
        field = obj.field(key)
        if field is None:
            relation = obj.relationship(key) if isinstance(raw, dict) else None
            if relation is None:
                raise SalesforceError(
                    400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}"
                )
            values[relation.name] = _resolve_parent(store, relation, key, raw, origin)
            given[relation.name] = relation
            resolved.add(relation.name)
            continue
        value = read_value(field, raw, origin, key)
        if field.name == "Id":
            _check_id(obj, value, current)
            continue
        values[field.name] = value
        given[field.name] = field
        resolved.discard(field.name)

    _check_writable(given.values(), inserting)
    for name, field in given.items():
        if values[name] is not None and name not in resolved:
            values[name] = field_values.finish(field, values[name])
        if values[name] is None and field.type == "boolean":
            values[name] = False  # a checkbox is never null
    _check_required(rules, values, given, inserting)
    for name, field in given.items():
        if field.type == "reference" and name not in resolved and values[name] is not None:
            _check_reference(store, field, values[name])
    for field in rules.unique:
        if values.get(field.name) is not None:
            _check_unique(store, obj, field, values[field.name], current)
    return values


def read_value(field: FieldSchema, raw: Any, origin: Origin, *keys: str) -> Any:
    """``raw`` (found under ``keys`` in the body) read as ``field``'s type; ``None`` stays null."""
    if raw is None:
        return None
    if isinstance(origin, TextOrigin):
        if not isinstance(raw, str):  # pragma: no cover - text origins only carry strings
            raise TypeError("text values must be strings")
        return field_values.from_text(field, raw)
    return field_values.from_json(field, raw, origin.locator(*keys))


def _check_id(obj: ObjectSchema, value: Any, current: Record | None) -> None:
    if value is None:
        return
    if current is None:
        raise SalesforceError(
            400, "INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", ["Id"]
        )
    if normalize(str(value)) != current["Id"]:
        raise SalesforceError(
            400, "INVALID_FIELD", "The Id field should not be specified in the sobject data."
        )


def _check_writable(fields: Iterable[FieldSchema], inserting: bool) -> None:
    refused = [f.name for f in fields if not (f.createable if inserting else f.updateable)]
    if refused:
        raise SalesforceError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(refused)}. Please check the security "
            "settings of this field and verify that it is read/write for your profile or "
            "permission set.",
            refused,
        )


def _check_required(
    rules: ObjectRules,
    values: Mapping[str, Any],
    given: Mapping[str, FieldSchema],
    inserting: bool,
) -> None:
    if inserting:
        missing = [f.name for f in rules.required if values.get(f.name) is None]
    else:
        missing = [
            name
            for name, f in given.items()
            if values[name] is None and not f.nillable and f.type != "boolean"
        ]
    if missing:
        raise SalesforceError(
            400,
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(missing)}]",
            missing,
        )


def _check_reference(store: OrgStore, field: FieldSchema, id18: str) -> None:
    schema = store.schema
    target = schema.by_key_prefix(id18[:3])
    if target is None or target.name not in field.reference_to:
        if target is None and any(schema.get_object(n) is None for n in field.reference_to):
            return  # could be an object this org does not model (RecordType, Group, …)
        raise SalesforceError(
            400,
            "FIELD_INTEGRITY_EXCEPTION",
            f"{field.label}: id value of incorrect type: {id18}",
            [field.name],
        )
    parent = store.get(target.name, id18, include_deleted=True)
    if parent is None:
        raise SalesforceError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
    if parent.get("IsDeleted"):
        raise SalesforceError(400, "ENTITY_IS_DELETED", "entity is deleted", [])


def _check_unique(
    store: OrgStore, obj: ObjectSchema, field: FieldSchema, value: Any, current: Record | None
) -> None:
    own = current["Id"] if current is not None else None
    for other in store.lookup(obj.name, field.name, value):
        if other["Id"] != own:
            raise SalesforceError(
                400,
                "DUPLICATE_VALUE",
                f"duplicate value found: {field.name} duplicates value on record with id: "
                f"{other['Id'][:15]}",
                [],
            )


def _resolve_parent(
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
    field = target.field(name)
    if field is None or not (field.external_id or field.id_lookup):
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
        value = field_values.finish(field, value)
    return store.lookup(obj.name, field.name, value)


def external_id_field(obj: ObjectSchema, name: str) -> FieldSchema | None:
    """The field ``name`` if it can identify records for upsert: an external id, or an
    idLookup field such as ``Id``, ``Email`` or ``Name`` (a real upsert uses Contact.Email)."""
    field = obj.field(name)
    if field is None or not (field.external_id or field.id_lookup):
        return None
    return field
