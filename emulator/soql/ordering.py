"""ORDER BY: Salesforce's defaults are ASC NULLS FIRST and DESC NULLS LAST; text sorts
case-insensitively; fields that describe marks unsortable (long text, addresses) are refused
with INVALID_FIELD ("field 'Description' can not be sorted in a query call")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.schema import ObjectSchema, Schema
from emulator.soql.columns import FieldPath, resolve
from emulator.soql.context import Env, Row
from emulator.soql.errors import INVALID_FIELD, MALFORMED_QUERY, LocatedError
from emulator.soql.filter_types import key_getter
from emulator.soql.syntax import OrderItem, Path

Sorter = Callable[[list[Row]], list[Row]]


def sort_key(
    value_of: Callable[[Any], Any], *, descending: bool, nulls_first: bool
) -> Callable[[Any], tuple[int, Any]]:
    """A key for ``list.sort(reverse=descending)`` that places nulls as asked.

    Nulls get a rank of their own (0 or 2 around the non-null rank 1), chosen so that the
    reversal of a descending sort still leaves them where ``nulls_first`` says.
    """
    null_rank = 0 if nulls_first != descending else 2

    def key(item: Any) -> tuple[int, Any]:
        value = value_of(item)
        return (null_rank, None) if value is None else (1, value)

    return key


def sort_in_place(items: list[Any], keys: list[tuple[Callable[[Any], Any], bool]]) -> None:
    """Stable multi-key sort: ``keys`` are ``(key, descending)``, most significant first."""
    for key, descending in reversed(keys):
        items.sort(key=key, reverse=descending)


@dataclass(frozen=True, slots=True)
class _Key:
    path: FieldPath
    descending: bool
    nulls_first: bool


@dataclass(frozen=True, slots=True)
class OrderPlan:
    """The ORDER BY of a record query on one object."""

    sobject: str
    keys: tuple[_Key, ...]

    @classmethod
    def compile(cls, items: tuple[OrderItem, ...], schema: Schema, obj: ObjectSchema) -> OrderPlan:
        """Resolve and check the ORDER BY items of a (non-aggregate) query on ``obj``."""
        keys = []
        for item in items:
            if not isinstance(item.expr, Path):
                raise LocatedError(
                    item.expr.pos,
                    MALFORMED_QUERY,
                    "Ordered field must be grouped or aggregated: " + item.expr.name,
                )
            keys.append(
                _Key(sortable_path(schema, obj, item.expr), item.descending, item.nulls_first)
            )
        return cls(obj.name, tuple(keys))

    def bind(self, env: Env) -> Sorter:
        """The function that sorts rows for one execution."""
        bound: list[tuple[Callable[[Any], Any], bool]] = []
        for key in self.keys:
            value_of = key_getter(key.path, env, self.sobject)
            bound.append(
                (
                    sort_key(value_of, descending=key.descending, nulls_first=key.nulls_first),
                    key.descending,
                )
            )

        def sort(rows: list[Row]) -> list[Row]:
            ordered = list(rows)
            sort_in_place(ordered, bound)
            return ordered

        return sort


def sortable_path(schema: Schema, obj: ObjectSchema, path: Path) -> FieldPath:
    """Resolve an ORDER BY path; INVALID_FIELD when the field cannot be sorted."""
    resolved = resolve(schema, obj, path)
    if not resolved.column.sortable:
        raise LocatedError(
            resolved.pos,
            INVALID_FIELD,
            f"field '{resolved.column.name}' can not be sorted in a query call",
        )
    return resolved
