"""Salesforce's type rules for filters, and the comparison keys of values.

- which operators a field type takes (INVALID_QUERY_FILTER_OPERATOR otherwise);
- which literal fits a field (INVALID_FIELD "value of filter criterion …" otherwise);
- the *key* a stored value or a literal is compared by: text in lower case (unless the field
  is case-sensitive), ids by their first 15 characters, datetimes as UTC instants; relative date
  literals become key ranges when the query runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.ids import normalize
from emulator.soql import literals
from emulator.soql.columns import Column, FieldPath
from emulator.soql.context import Env, Row
from emulator.soql.date_literals import date_range
from emulator.soql.errors import INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR, LocatedError
from emulator.soql.syntax import Pos, Value

_RANGE_OPS = frozenset({"<", "<=", ">", ">="})


@dataclass(frozen=True, slots=True)
class DateLiteral:
    """A relative date literal, resolved to a key range when the query runs."""

    name: str
    n: int | None


def check_operator(op: str, column: Column, pos: Pos) -> None:
    """Refuse an operator the field's type does not take."""
    category = column.category
    multi = column.type == "multipicklist"
    if op == "LIKE":
        allowed = category == "string" and not multi
    elif op in ("INCLUDES", "EXCLUDES"):
        allowed = multi
    elif op in _RANGE_OPS:
        allowed = category != "boolean" and not multi
    else:
        allowed = True
    if not allowed:
        raise LocatedError(
            pos, INVALID_QUERY_FILTER_OPERATOR, f"invalid operator on {column.type} field"
        )


def _type_name(column: Column) -> str:
    category = column.category
    if category == "number":
        return "integer" if column.type == "int" else "double"
    if category == "datetime":
        return "dateTime"
    return category if category != "other" else column.type


def mismatch(column: Column, value: Value) -> LocatedError:
    """Salesforce's refusal of a literal that does not fit ``column``."""
    quoted = column.category in ("string", "id")
    return LocatedError(
        value.pos,
        INVALID_FIELD,
        f"value of filter criterion for field '{column.name}' must be of type "
        f"{_type_name(column)} and should {'' if quoted else 'not '}be enclosed in quotes",
    )


def literal_key(value: Value, column: Column) -> Any:
    """The comparison key of ``value`` for ``column`` (None for null), or a date literal."""
    category, kind = column.category, value.kind
    if kind == "null":
        return None
    if kind == "string" and category == "string":
        text = literals.string_value(value)
        return text if column.case_sensitive else text.lower()
    if kind == "string" and category == "id":
        text = literals.string_value(value)
        if text == "":
            return None
        if normalize(text) is None:
            raise LocatedError(
                value.pos, INVALID_QUERY_FILTER_OPERATOR, f"invalid ID field: {text}"
            )
        return text[:15]
    if kind == "number" and category == "number":
        return literals.number_value(value)
    if kind == "boolean" and category == "boolean":
        return value.raw == "TRUE"
    if kind == "date" and category == "date":
        return literals.date_value(value)
    if kind == "datetime" and category == "datetime":
        return literals.datetime_value(value)
    if kind == "date_literal" and category in ("date", "datetime"):
        return DateLiteral(value.raw, value.n)
    raise mismatch(column, value)


def key_function(column: Column) -> Callable[[Any], Any] | None:
    """How a stored value becomes a comparison key (None: the value itself)."""
    category = column.category
    if category == "string" and not column.case_sensitive:
        return lambda v: v.lower() if isinstance(v, str) else v
    if category == "id":
        return lambda v: v[:15]
    if category == "datetime":
        return literals.stored_datetime_key
    return None


def key_getter(path: FieldPath, env: Env, sobject: str) -> Callable[[Row], Any]:
    """A function reading the comparison key of ``path`` from a record (None for null)."""
    norm = key_function(path.column)
    if norm is None:
        return path.bind(env, sobject)
    if not path.hops and path.column.plain:  # the common case, in one closure
        name = path.column.name
        return lambda row: None if (v := row.get(name)) is None else norm(v)
    get = path.bind(env, sobject)

    def key(row: Row) -> Any:
        value = get(row)
        return None if value is None else norm(value)

    return key


def range_keys(literal: DateLiteral, column: Column, env: Env) -> tuple[str, str]:
    """The key range ``[low, high)`` a relative date literal covers in this execution."""
    start, end = date_range(literal.name, literal.n, env.today)
    if column.category == "date":
        return start.isoformat(), end.isoformat()

    def midnight(day: dt.date) -> str:
        return literals.instant_key(dt.datetime.combine(day, dt.time(), tzinfo=env.tz))

    return midnight(start), midnight(end)
