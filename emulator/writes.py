"""DML on the org's records: insert, update, upsert and delete, with Salesforce's system fields.

Used by every write route (sObject rows, sObject Collections, Bulk API 2.0). Each operation
validates completely (:func:`emulator.validation.prepare`) before its first write, so a failed
operation writes nothing of itself; the caller owns the :class:`~emulator.store.Batch` and so
decides what else rolls back with it (one record, an ``allOrNone`` request, a bulk chunk).

System fields, as a real org sets them:

* insert: ``Id``; ``CreatedDate``/``LastModifiedDate``/``SystemModstamp`` = now (UTC, wire
  form); ``CreatedById``/``LastModifiedById`` = the caller; ``OwnerId`` = the caller unless
  given; ``IsDeleted`` = false; every checkbox false unless given or defaulted true; defaulted
  picklists (Case.Status "New", Lead.Status …) their default; auto-numbers (Case.CaseNumber)
  the next number; Contact/Lead ``Name`` = FirstName + " " + LastName.
* update: ``LastModifiedDate``/``SystemModstamp``/``LastModifiedById``; ``Name`` recomputed.
* delete: soft — ``IsDeleted`` = true (``queryAll`` still sees the record), cascading to the
  children of cascade-delete relationships (an Account's Contacts, Opportunities, Tasks, …).

An object whose describe is not createable/updateable/deletable refuses that operation with
``INVALID_TYPE_FOR_OPERATION`` (the demo org's User). Errors are
:class:`~emulator.errors.SalesforceError`; an external id matching several records is
:class:`AmbiguousExternalIdError` (HTTP 300 on the single-record route).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from emulator.errors import SalesforceError, not_found
from emulator.external_ids import find_by_field
from emulator.field_values import DATETIME_FORMAT, Origin, finish, malformed_id, read_value
from emulator.ids import normalize
from emulator.object_rules import ObjectRules, RuleBook
from emulator.org import Org
from emulator.request_context import org_of, session_of
from emulator.schema import FieldSchema, ObjectSchema
from emulator.store import Batch, Record
from emulator.validation import prepare


class AmbiguousExternalIdError(SalesforceError):
    """An external id value that matches more than one record."""

    def __init__(self, field: FieldSchema, matches: list[Record]) -> None:
        self.ids = [record["Id"] for record in matches]
        super().__init__(
            300,
            "DUPLICATE_EXTERNAL_ID",
            f"{field.label}: more than one record found for external id field: "
            f"[{', '.join(self.ids)}]",
            [field.name],
        )


def rule_book(request: Request) -> RuleBook:
    """The app's :class:`RuleBook`, made on first use (it lives as long as the app)."""
    state = request.app.state
    book: RuleBook | None = getattr(state, "record_rules", None)
    if book is None:
        book = state.record_rules = RuleBook(org_of(request).schema)
    return book


def writer_for(request: Request) -> Writer:
    """A :class:`Writer` acting as the request's user."""
    return Writer(org_of(request), rule_book(request), session_of(request).user_id)


class Writer:
    """DML as one user (``CreatedById``/``LastModifiedById``/default ``OwnerId``)."""

    def __init__(self, org: Org, book: RuleBook, user_id: str) -> None:
        self.org = org
        self.book = book
        self.user_id = user_id

    def rules(self, obj: ObjectSchema) -> ObjectRules:
        """The cached rules of ``obj``."""
        return self.book[obj]

    def _now(self) -> str:
        return self.org.now().strftime(DATETIME_FORMAT)

    def insert(
        self,
        batch: Batch,
        obj: ObjectSchema,
        body: Mapping[str, Any],
        origin: Origin,
        *,
        preset: Mapping[str, Any] | None = None,
    ) -> str:
        """Create a record from ``body``; its new 18-character id."""
        _check_operation(obj, obj.createable, "inserted")
        rules = self.rules(obj)
        values = prepare(rules, self.org.store, body, origin, preset=preset)
        fields = obj.fields
        record: Record = {"Id": self.org.store.new_id(obj.name)}
        record.update(rules.insert_defaults)
        record.update(values)
        now = self._now()
        for name, value in (
            ("IsDeleted", False),
            ("CreatedDate", now),
            ("CreatedById", self.user_id),
            ("LastModifiedDate", now),
            ("LastModifiedById", self.user_id),
            ("SystemModstamp", now),
        ):
            if name in fields:
                record[name] = value
        if "OwnerId" in fields and record.get("OwnerId") is None:
            record["OwnerId"] = self.user_id
        if rules.name_parts:
            record["Name"] = _full_name(rules, record)
        for field in rules.auto_numbers:
            record[field.name] = self._next_number(obj, field)
        batch.insert(obj.name, record)
        new_id: str = record["Id"]
        return new_id

    def update(
        self,
        batch: Batch,
        obj: ObjectSchema,
        current: Record,
        body: Mapping[str, Any],
        origin: Origin,
    ) -> str:
        """Apply ``body`` to the live record ``current``; its id."""
        _check_operation(obj, obj.updateable, "updated")
        rules = self.rules(obj)
        changes = prepare(rules, self.org.store, body, origin, current=current)
        now = self._now()
        for name, value in (
            ("LastModifiedDate", now),
            ("LastModifiedById", self.user_id),
            ("SystemModstamp", now),
        ):
            if name in obj.fields:
                changes[name] = value
        if rules.name_parts and any(part in changes for part in rules.name_parts):
            changes["Name"] = _full_name(rules, {**current, **changes})
        batch.update(obj.name, current["Id"], changes)
        record_id: str = current["Id"]
        return record_id

    def upsert(
        self,
        batch: Batch,
        obj: ObjectSchema,
        field: FieldSchema,
        value: Any,
        body: Mapping[str, Any],
        origin: Origin,
        *,
        update_only: bool = False,
    ) -> tuple[str, bool]:
        """Insert or update by ``field`` = ``value`` (already read as the field's type):
        ``(id, created)``. ``body`` may repeat the external id only with the same value."""
        rest = dict(body)
        for key in list(rest):
            if key != "attributes" and obj.field(key) is field:
                repeated = read_value(field, rest.pop(key), origin, key)
                if not _same(field, repeated, value):
                    raise SalesforceError(
                        400,
                        "INVALID_FIELD",
                        f"The value of {field.name} in the request body does not match the "
                        "external ID value in the URL",
                        [field.name],
                    )
        if field.name == "Id":
            return self._upsert_by_id(batch, obj, field, value, rest, origin)
        if value is None:
            raise SalesforceError(
                400, "MISSING_ARGUMENT", f"{field.name} not specified", [field.name]
            )
        matches = find_by_field(self.org.store, obj, field, value)
        if len(matches) > 1:
            raise AmbiguousExternalIdError(field, matches)
        if matches:
            return self.update(batch, obj, matches[0], rest, origin), False
        if update_only:
            raise not_found()
        return self.insert(batch, obj, rest, origin, preset={field.name: value}), True

    def _upsert_by_id(
        self,
        batch: Batch,
        obj: ObjectSchema,
        field: FieldSchema,
        value: Any,
        body: Mapping[str, Any],
        origin: Origin,
    ) -> tuple[str, bool]:
        if value is None:
            return self.insert(batch, obj, body, origin), True
        id18 = normalize(str(value))
        if id18 is None or not id18.startswith(obj.key_prefix):
            raise malformed_id(field, value)
        current = self.org.store.get(obj.name, id18)
        if current is None:
            raise not_found()
        return self.update(batch, obj, current, body, origin), False

    def existing(self, obj: ObjectSchema, given: str) -> Record:
        """The live record of ``obj`` with the id ``given``, for an update or delete by id (a
        collection record, a bulk row): ``MALFORMED_ID`` when ``given`` is no id of ``obj``,
        ``INVALID_CROSS_REFERENCE_KEY`` when no such record exists, ``ENTITY_IS_DELETED`` when it
        is in the recycle bin."""
        id18 = normalize(given)
        if id18 is None or not id18.startswith(obj.key_prefix):
            raise malformed_id(obj.fields["Id"], given)
        current = self.org.store.get(obj.name, id18, include_deleted=True)
        if current is None:
            raise SalesforceError(
                400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", []
            )
        if current.get("IsDeleted"):
            raise SalesforceError(400, "ENTITY_IS_DELETED", "entity is deleted", [])
        return current

    def delete(self, batch: Batch, obj: ObjectSchema, current: Record) -> str:
        """Soft-delete the live record ``current`` and its cascade-delete children; its id."""
        _check_operation(obj, obj.deletable, "deleted")
        now = self._now()
        changes = {
            "IsDeleted": True,
            "LastModifiedDate": now,
            "LastModifiedById": self.user_id,
            "SystemModstamp": now,
        }
        record_id: str = current["Id"]
        batch.update(obj.name, record_id, {k: v for k, v in changes.items() if k in obj.fields})
        schema = self.org.schema
        for relation in obj.child_relationships:
            child = schema.get_object(relation.child_sobject) if relation.cascade_delete else None
            if child is None:
                continue
            doomed = [
                r for r in self.org.store.records(child.name) if r.get(relation.field) == record_id
            ]
            for record in doomed:
                self.delete(batch, child, record)
        return record_id

    def _next_number(self, obj: ObjectSchema, field: FieldSchema) -> str:
        # Auto-numbers continue from the highest one in use (seeded records included).
        highest = 999
        for record in self.org.store.records(obj.name, include_deleted=True):
            current = record.get(field.name)
            if isinstance(current, str) and current.isdigit():
                highest = max(highest, int(current))
        return f"{highest + 1:08d}"


def _check_operation(obj: ObjectSchema, allowed: bool, verb: str) -> None:
    # The describe's object-level createable/updateable/deletable (User is none of them here).
    if not allowed:
        raise SalesforceError(
            400, "INVALID_TYPE_FOR_OPERATION", f"entity type cannot be {verb}: {obj.name}"
        )


def _full_name(rules: ObjectRules, record: Mapping[str, Any]) -> str | None:
    parts = [record[p] for p in rules.name_parts if record.get(p)]
    return " ".join(parts) or None


def _same(field: FieldSchema, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    if field.type == "id":
        return normalize(str(left)) == normalize(str(right))
    if not isinstance(left, str):
        left = finish(field, left)
    if not isinstance(right, str):
        right = finish(field, right)
    if isinstance(left, str) and isinstance(right, str) and not field.case_sensitive:
        return left.casefold() == right.casefold()
    return bool(left == right)
