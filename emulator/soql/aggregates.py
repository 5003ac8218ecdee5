"""Aggregate queries: ``COUNT(Id)``, ``COUNT_DISTINCT``, ``MIN``, ``MAX``, ``SUM``, ``AVG`` with an
optional GROUP BY.

Rows are ``{"attributes": {"type": "AggregateResult"}, …}`` with the SELECT items in order: a
grouped field under its field name (``Account.Name`` → ``Name``), an aggregate under its alias
or ``exprN`` (N counts the aggregates without an alias, from 0). Without GROUP BY there is
exactly one row, even over no records. A plain field that is not grouped is MALFORMED_QUERY
("Field must be grouped or aggregated: Name"). ``COUNT()`` is a separate query form
(see :mod:`emulator.soql.compiler`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.schema import ObjectSchema, Schema
from emulator.soql.columns import FieldPath, resolve
from emulator.soql.context import Env, Row
from emulator.soql.errors import INVALID_FIELD, MALFORMED_QUERY, LocatedError
from emulator.soql.filter_types import key_function
from emulator.soql.ordering import sort_in_place, sort_key
from emulator.soql.syntax import AggregateItem, Call, Path, Select

_FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT", "MIN", "MAX", "SUM", "AVG"})
_NUMERIC_ONLY = frozenset({"SUM", "AVG"})


@dataclass(frozen=True, slots=True)
class _Aggregate:
    function: str
    path: FieldPath

    @property
    def ident(self) -> str:
        return f"{self.function}({self.path.key})"

    def compute(self, rows: list[Row], env: Env, sobject: str) -> Any:
        get = self.path.bind(env, sobject)
        values = [v for v in map(get, rows) if v is not None]
        if self.function == "COUNT":
            return len(values)
        norm = key_function(self.path.column) or (lambda v: v)
        if self.function == "COUNT_DISTINCT":
            return len({norm(v) for v in values})
        if not values:
            return None
        if self.function == "MIN":
            return min(values, key=norm)
        if self.function == "MAX":
            return max(values, key=norm)
        total = sum(values)
        if self.function == "AVG":
            return total / len(values)
        return total if self.path.column.type == "int" else float(total)


def _aggregate(call: Call, schema: Schema, obj: ObjectSchema) -> _Aggregate:
    if call.name not in _FUNCTIONS or call.arg is None:
        raise LocatedError(call.pos, MALFORMED_QUERY, f"unexpected token: '{call.name}'")
    path = resolve(schema, obj, call.arg)
    category = path.column.category
    numeric = category == "number"
    if (call.name in _NUMERIC_ONLY and not numeric) or category in ("boolean", "other"):
        raise LocatedError(
            call.arg.pos,
            INVALID_FIELD,
            f"field {path.column.name} does not support aggregate operator {call.name}",
        )
    return _Aggregate(call.name, path)


@dataclass(frozen=True, slots=True)
class AggregatePlan:
    """The compiled SELECT list, GROUP BY and ORDER BY of an aggregate query."""

    sobject: str
    groups: tuple[FieldPath, ...]
    #: (output key, group index or aggregate) in SELECT order
    items: tuple[tuple[str, int | _Aggregate], ...]
    order: tuple[tuple[int | _Aggregate, bool, bool], ...]

    @classmethod
    def compile(cls, select: Select, schema: Schema, obj: ObjectSchema) -> AggregatePlan:
        """Resolve and check an aggregate query on ``obj``."""
        groups = tuple(_groupable(schema, obj, p) for p in select.group_by)
        group_index = {g.key: i for i, g in enumerate(groups)}
        items: list[tuple[str, int | _Aggregate]] = []
        unnamed = 0
        for item in select.items:
            if isinstance(item, AggregateItem):
                agg = _aggregate(item.call, schema, obj)
                if item.alias is None:
                    key, unnamed = f"expr{unnamed}", unnamed + 1
                else:
                    key = item.alias
                items.append((key, agg))
            elif isinstance(item, Path):
                path = resolve(schema, obj, item)
                if path.key not in group_index:
                    raise LocatedError(
                        item.pos,
                        MALFORMED_QUERY,
                        f"Field must be grouped or aggregated: {path.column.name}",
                    )
                items.append((path.column.name, group_index[path.key]))
            else:
                raise LocatedError(item.select.pos, MALFORMED_QUERY, "unexpected token: '('")
        order: list[tuple[int | _Aggregate, bool, bool]] = []
        for entry in select.order_by:
            if isinstance(entry.expr, Call):
                target: int | _Aggregate = _aggregate(entry.expr, schema, obj)
            else:
                path = resolve(schema, obj, entry.expr)
                if path.key not in group_index:
                    raise LocatedError(
                        entry.expr.pos,
                        MALFORMED_QUERY,
                        f"Ordered field must be grouped or aggregated: {path.column.name}",
                    )
                target = group_index[path.key]
            order.append((target, entry.descending, entry.nulls_first))
        return cls(obj.name, groups, tuple(items), tuple(order))

    def rows(self, records: list[Row], env: Env) -> list[dict[str, Any]]:
        """The aggregate rows over ``records`` (already filtered), ordered."""
        buckets = self._buckets(records, env)
        results: list[tuple[dict[str, Any], list[Any]]] = []
        for values, members in buckets:
            row: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
            for key, source in self.items:
                row[key] = (
                    values[source]
                    if isinstance(source, int)
                    else source.compute(members, env, self.sobject)
                )
            sort_values = [
                values[target]
                if isinstance(target, int)
                else target.compute(members, env, self.sobject)
                for target, _, _ in self.order
            ]
            results.append((row, sort_values))
        keys: list[tuple[Callable[[Any], Any], bool]] = [
            (sort_key(_nth(i), descending=desc, nulls_first=first), desc)
            for i, (_, desc, first) in enumerate(self.order)
        ]
        sort_in_place(results, keys)
        return [row for row, _ in results]

    def _buckets(self, records: list[Row], env: Env) -> list[tuple[list[Any], list[Row]]]:
        if not self.groups:
            return [([], records)]
        getters = [g.bind(env, self.sobject) for g in self.groups]
        norms = [key_function(g.column) or (lambda v: v) for g in self.groups]
        buckets: dict[tuple[Any, ...], tuple[list[Any], list[Row]]] = {}
        for record in records:
            values = [get(record) for get in getters]
            key = tuple(
                None if v is None else norm(v) for v, norm in zip(values, norms, strict=True)
            )
            bucket = buckets.get(key)
            if bucket is None:
                buckets[key] = (values, [record])
            else:
                bucket[1].append(record)
        return list(buckets.values())


def _nth(index: int) -> Callable[[tuple[dict[str, Any], list[Any]]], Any]:
    return lambda result: result[1][index]


def _groupable(schema: Schema, obj: ObjectSchema, path: Path) -> FieldPath:
    resolved = resolve(schema, obj, path)
    if not resolved.column.groupable:
        raise LocatedError(
            resolved.pos,
            INVALID_FIELD,
            f"field '{resolved.column.name}' can not be grouped in a query call",
        )
    return resolved
