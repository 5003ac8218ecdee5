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

The per-object tables these checks need come from :mod:`emulator.object_rules`; how each value is
read and finished, from :mod:`emulator.field_values`; parents named by external id are resolved
by :mod:`emulator.external_ids`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from emulator.errors import SalesforceError
from emulator.external_ids import resolve_parent
from emulator.field_values import Origin, finish, read_value
from emulator.ids import normalize
from emulator.object_rules import ObjectRules
from emulator.schema import FieldSchema, ObjectSchema
from emulator.store import OrgStore, Record


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
            values[relation.name] = resolve_parent(store, relation, key, raw, origin)
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
            values[name] = finish(field, values[name])
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
