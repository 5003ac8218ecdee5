"""A record's ``data`` as the JSON body of a create, update or upsert.

The rules (documented behaviour; tests/values/ checks each):

- Field names match case-insensitively and come out in canonical case; ``attributes`` is
  ignored; an unknown name gets "did you mean …?". ``Id`` never goes in data (the id of an
  update is its own argument; upsert identifies by ``external_id_field``, which may be ``Id``).
- create refuses non-createable fields, update non-updateable ones, upsert fields that are
  neither. A compound field (Contact Name, BillingAddress) is refused with its components.
- create reports missing required fields (not nillable, no default, not boolean) in one
  problem; upsert leaves that to Salesforce (it may be an update); update only refuses clearing
  a required field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.salesforce.fields import FieldInfo, ObjectInfo
from server.values.coerce import _coerce
from server.values.context import DateOrder, Operation, _context
from server.values.problems import (
    FieldProblem,
    ValueCoercionError,
    _and,
    _InvalidValueError,
    _or,
    _problem,
    _ref,
    _shown,
)


def coerce_record(
    obj: ObjectInfo,
    data: Mapping[str, Any],
    *,
    operation: Operation,
    tz: ZoneInfo,
    date_order: DateOrder = "MDY",
    external_id_field: str | None = None,
    key_prefixes: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The JSON body for ``operation`` on ``obj``, or `ValueCoercionError` listing every problem.

    For an upsert, ``external_id_field`` names the field whose value (in ``data``) identifies
    the record; it is checked and coerced like the others and stays in the result (other
    operations ignore it). ``now``
    (default: the clock) anchors "today" and "tomorrow"; ``key_prefixes`` enables the check
    that a reference id points at the right kind of object.
    """
    if not isinstance(data, Mapping):
        raise ValueCoercionError(
            [FieldProblem("data", 'data must be an object of fields, e.g. {"LastName": "Smith"}')]
        )
    ctx = _context(tz, date_order, key_prefixes, now)
    problems: list[FieldProblem] = []
    out: dict[str, Any] = {}
    seen: set[str] = set()
    key_field = (
        _external_id_field(obj, external_id_field, problems) if operation == "upsert" else None
    )
    if operation in ("create", "upsert") and not obj.createable:
        problems.append(FieldProblem(obj.name, f"{obj.name} records cannot be created"))
    if operation in ("update", "upsert") and not obj.updateable:
        problems.append(FieldProblem(obj.name, f"{obj.name} records cannot be updated"))
    for key, value in data.items():
        if key == "attributes":
            continue
        field = obj.field(key) if isinstance(key, str) else None
        if field is None:
            problems.append(_unknown_field(obj, key))
            continue
        if field.name in seen:
            problems.append(FieldProblem(field.name, f"{_ref(field)} is given twice; give it once"))
            continue
        seen.add(field.name)
        refusal = _refusal(obj, field, operation, key_field)
        if refusal is not None:
            problems.append(FieldProblem(field.name, refusal))
            continue
        try:
            out[field.name] = _coerce(field, value, ctx, operation)
        except _InvalidValueError as invalid:
            problems.append(_problem(field, value, invalid))
    if operation == "create":
        missing = [f for f in obj.required_fields() if f.name not in seen]
        if missing:
            names = ", ".join(_ref(f) for f in missing)
            problems.append(
                FieldProblem(
                    ", ".join(f.name for f in missing),
                    f"Missing required fields: {names} — ask the caller for them",
                )
            )
    if key_field is not None and (
        key_field.name not in seen or (key_field.name in out and out[key_field.name] is None)
    ):
        problems.append(
            FieldProblem(
                key_field.name,
                f"{_ref(key_field)} must have a value in data: it says which record to update "
                f"or create",
            )
        )
    if problems:
        raise ValueCoercionError(problems)
    return out


def _external_id_field(
    obj: ObjectInfo, name: str | None, problems: list[FieldProblem]
) -> FieldInfo | None:
    if name is None:
        return None
    field = obj.field(name)
    if field is not None and (field.external_id or field.id_lookup):
        return field
    if field is None:
        what = f"{obj.name} has no field {_shown(name)}"
    else:
        what = f"{_ref(field)} is not an external id field of {obj.name}"
    usable = ", ".join(f.name for f in obj.fields if f.external_id or f.id_lookup)
    problems.append(FieldProblem(name, f"{what} — upsert by one of: {usable or 'Id'}"))
    return None


def _unknown_field(obj: ObjectInfo, key: object) -> FieldProblem:
    if not isinstance(key, str):
        return FieldProblem(str(key), f"Field names must be text, not {_shown(key)}")
    for f in obj.fields:
        if f.relationship_name and f.relationship_name.lower() == key.lower():
            return FieldProblem(
                key,
                f"{key} is a relationship; set {f.name} to the related record's id instead",
            )
    hint = _or(obj.suggest(key))
    advice = f"did you mean {hint}?" if hint else "describe_object lists its fields"
    return FieldProblem(key, f"{obj.name} has no field {_shown(key)} — {advice}")


def _refusal(
    obj: ObjectInfo, field: FieldInfo, operation: Operation, key_field: FieldInfo | None
) -> str | None:
    """Why ``field`` cannot be written by ``operation``, or None when it can."""
    if field.type == "id":
        if field is key_field:
            return None
        if operation == "update":
            return "Id goes in the separate id argument, not in data"
        if operation == "upsert":
            return "Id cannot be in data for an upsert by another field; leave it out"
        return "Id cannot be set when creating a record; Salesforce assigns it"
    if operation == "create":
        allowed = field.createable
    elif operation == "update":
        allowed = field.updateable
    else:
        allowed = field.createable or field.updateable
    if allowed:
        return None
    parts = _components(obj, field)
    if parts:
        names = _and([f.name for f in parts])
        return f"{field.name} on {obj.name} is computed by Salesforce; set {names} instead"
    if field.calculated:
        return f"{_ref(field)} is a formula field computed by Salesforce; it cannot be set"
    if not field.createable and not field.updateable:
        return f"{_ref(field)} is read-only; Salesforce sets it"
    if operation == "create":
        return f"{_ref(field)} cannot be set when creating a record"
    return f"{_ref(field)} cannot be changed after the record is created"


def _components(obj: ObjectInfo, field: FieldInfo) -> list[FieldInfo]:
    """The settable parts of a compound field: street…country of an address, names of a Name."""
    kinds = {"address": ("string", "textarea"), "location": ("double",)}.get(
        field.type, ("string",)
    )
    parts = [f for f in obj.components(field.name) if f.type in kinds and f.createable]
    # People say the first name first.
    return sorted(parts, key=lambda f: not f.name.startswith("First"))
