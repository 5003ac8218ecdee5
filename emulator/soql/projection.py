"""The SELECT list of a record query: which keys each output record has, in which order.

Output shape (CONTRACT.md §5): ``attributes`` first, then the selected fields in SELECT order.
Paths through one parent relationship share one nested record under the relationship's name
(placed where the relationship first appears), with its own ``attributes`` and only the selected
fields; a missing parent is ``null``. A child subquery gives ``{"totalSize", "done", "records"}``
or ``null`` when there are no matching children.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

from emulator.schema import ChildRelationship, ObjectSchema, Schema
from emulator.soql.columns import Column, Hop, resolve
from emulator.soql.context import Env, Row, id18
from emulator.soql.errors import (
    INVALID_TYPE,
    MALFORMED_QUERY,
    LocatedError,
    unknown_child_relationship,
)
from emulator.soql.filters import PredicateFactory, compile_condition
from emulator.soql.ordering import OrderPlan
from emulator.soql.syntax import Path, Select, SubqueryItem

Writer = Callable[[str, Row], dict[str, Any]]
_Entry = Union[Column, "_Parent", "_Children"]


@dataclass(slots=True)
class _Level:
    """One record level of the output: the queried record or a parent record."""

    entity: str | None  # attributes.type; None: the record's own object
    entries: dict[str, _Entry] = field(default_factory=dict)

    def add_path(self, hops: tuple[Hop, ...], column: Column) -> None:
        level = self
        for hop in hops:
            entry = level.entries.get(hop.relationship.lower())
            if not isinstance(entry, _Parent):
                entry = _Parent(hop, _Level(hop.entity))
                level.entries.setdefault(hop.relationship.lower(), entry)
            level = entry.level
        level.entries.setdefault(column.name.lower(), column)

    def bind(self, env: Env) -> Writer:
        entity = self.entity
        plan: list[tuple[str, Callable[[str, Row], Any] | None]] = [
            (_key(entry), _reader(entry, env)) for entry in self.entries.values()
        ]

        prefixes: dict[str, str] = {}

        def write(sobject: str, record: Row) -> dict[str, Any]:
            prefix = prefixes.get(sobject)
            if prefix is None:
                prefix = prefixes[sobject] = env.url_prefix(sobject)
            record_id = record["Id"]
            if len(record_id) != 18:
                record_id = id18(record_id)
            out: dict[str, Any] = {
                "attributes": {"type": entity or sobject, "url": prefix + record_id}
            }
            for key, read in plan:
                out[key] = record.get(key) if read is None else read(sobject, record)
            return out

        return write


def _key(entry: _Entry) -> str:
    if isinstance(entry, Column):
        return entry.name
    if isinstance(entry, _Parent):
        return entry.hop.relationship
    return entry.relationship.name


def _reader(entry: _Entry, env: Env) -> Callable[[str, Row], Any] | None:
    if isinstance(entry, Column):
        return None if entry.plain else entry.read
    return entry.bind(env)


@dataclass(slots=True)
class _Parent:
    hop: Hop
    level: _Level

    def bind(self, env: Env) -> Callable[[str, Row], Any]:
        write = self.level.bind(env)
        target, fk = self.hop.target, self.hop.field

        def read(_sobject: str, record: Row) -> Any:
            found = env.parent(target, record.get(fk))
            return None if found is None else write(*found)

        return read


@dataclass(slots=True)
class _Children:
    relationship: ChildRelationship
    projection: Projection
    where: PredicateFactory | None
    order: OrderPlan | None
    limit: int | None

    def bind(self, env: Env) -> Callable[[str, Row], Any]:
        child, fk = self.relationship.child_sobject, self.relationship.field
        accept = self.where(env) if self.where else None
        sort = self.order.bind(env) if self.order else None
        write = self.projection.bind(env)
        limit = self.limit
        index: dict[str, list[Row]] | None = None

        def read(_sobject: str, record: Row) -> Any:
            nonlocal index
            if index is None:  # built on first use: one pass over the children per execution
                index = {}
                for row in env.store.records(child, include_deleted=env.include_deleted):
                    parent_id = row.get(fk)
                    if parent_id:
                        index.setdefault(parent_id[:15], []).append(row)
            rows = index.get(record["Id"][:15], [])
            if accept is not None:
                rows = [row for row in rows if accept(row)]
            if sort is not None:
                rows = sort(rows)
            if limit is not None:
                rows = rows[:limit]
            if not rows:
                return None
            return {"totalSize": len(rows), "done": True, "records": [write(r) for r in rows]}

        return read


@dataclass(slots=True)
class Projection:
    """The compiled SELECT list of a record query on one object."""

    sobject: str
    root: _Level

    @classmethod
    def compile(
        cls, select: Select, schema: Schema, obj: ObjectSchema, *, nested: bool = False
    ) -> Projection:
        """Resolve the fields (and, at the top level, subqueries) of ``select`` on ``obj``."""
        root = _Level(None)
        for item in select.items:
            if isinstance(item, Path):
                path = resolve(schema, obj, item)
                root.add_path(path.hops, path.column)
            elif isinstance(item, SubqueryItem) and not nested:
                children = _compile_children(item.select, schema, obj)
                root.entries.setdefault(children.relationship.name.lower(), children)
            else:
                pos = item.select.pos if isinstance(item, SubqueryItem) else item.call.pos
                raise LocatedError(pos, MALFORMED_QUERY, "unexpected token: '('")
        return cls(obj.name, root)

    def bind(self, env: Env) -> Callable[[Row], dict[str, Any]]:
        """The function that shapes one stored record for one execution."""
        write = self.root.bind(env)
        sobject = self.sobject
        return lambda record: write(sobject, record)


def _compile_children(select: Select, schema: Schema, parent: ObjectSchema) -> _Children:
    relationship = parent.child_relationship(select.sobject)
    child = schema.get_object(relationship.child_sobject) if relationship else None
    if relationship is None or child is None:
        raise LocatedError(
            select.sobject_pos, INVALID_TYPE, unknown_child_relationship(select.sobject)
        )
    return _Children(
        relationship=relationship,
        projection=Projection.compile(select, schema, child, nested=True),
        where=compile_condition(select.where, schema, child) if select.where else None,
        order=OrderPlan.compile(select.order_by, schema, child) if select.order_by else None,
        limit=select.limit,
    )
