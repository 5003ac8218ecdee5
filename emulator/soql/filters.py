"""WHERE clauses compiled to predicates, with Salesforce's type rules checked at parse time.

Semantics (Salesforce's, where the emulator can tell):

- text compares case-insensitively (unless the field is case-sensitive); LIKE is always
  case-insensitive with ``%`` and ``_``; ids compare on their first 15 characters, so 15- and
  18-character forms match;
- null is a value: ``= null`` / ``!= null`` test for it, and ``!=`` / ``NOT IN`` *include* records
  whose field is null, while ``< <= > >=`` and LIKE never match null;
- a literal must fit the field (checked in :mod:`.filter_types`): quoted text for text and id
  fields, bare numbers for numbers, ``true``/``false`` for booleans, ``YYYY-MM-DD`` for dates,
  ``YYYY-MM-DDThh:mm:ssZ`` for datetimes, date literals (``TODAY``…) for either. Otherwise
  INVALID_FIELD ("value of filter criterion for field 'X' must be of type date and should not
  be enclosed in quotes"), the caret under the value;
- an id literal that is not a 15/18-character id is INVALID_QUERY_FILTER_OPERATOR ("invalid ID
  field: abc"); ``''`` against an id field means null;
- LIKE only on text, ``< <= > >=`` not on booleans or multi-select picklists, INCLUDES/EXCLUDES
  only on multi-select picklists: otherwise INVALID_QUERY_FILTER_OPERATOR ("invalid operator on
  boolean field");
- long text fields cannot be filtered: INVALID_FIELD ("field 'Description' can not be filtered in
  query call");
- a date literal against a datetime field covers the instants from midnight to midnight in the
  user's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.schema import ObjectSchema, Schema
from emulator.soql import literals
from emulator.soql.columns import FieldPath, resolve
from emulator.soql.context import Env, Row
from emulator.soql.errors import (
    INVALID_FIELD,
    INVALID_TYPE,
    MALFORMED_QUERY,
    QUERY_TOO_COMPLICATED,
    TOO_COMPLICATED,
    LocatedError,
    unsupported_sobject,
)
from emulator.soql.filter_types import (
    DateLiteral,
    check_operator,
    key_getter,
    literal_key,
    mismatch,
    range_keys,
)
from emulator.soql.syntax import BoolOp, Comparison, Condition, Not, Path, SemiJoin

Predicate = Callable[[Row], bool]
PredicateFactory = Callable[[Env], Predicate]

#: How deeply conditions may nest.
MAX_NESTING = 50


def compile_condition(
    cond: Condition, schema: Schema, obj: ObjectSchema, depth: int = 0
) -> PredicateFactory:
    """The predicate factory for a WHERE condition on records of ``obj``.

    Nesting (parentheses mixing AND/OR, stacked NOTs) deeper than :data:`MAX_NESTING` is
    QUERY_TOO_COMPLICATED: it keeps compiling and matching far from Python's recursion limit.
    """
    if depth > MAX_NESTING:
        raise LocatedError(None, QUERY_TOO_COMPLICATED, TOO_COMPLICATED)
    if isinstance(cond, BoolOp):
        parts = [compile_condition(c, schema, obj, depth + 1) for c in cond.operands]
        if cond.op == "AND":
            return lambda env: _all([p(env) for p in parts])
        return lambda env: _any([p(env) for p in parts])
    if isinstance(cond, Not):
        inner = compile_condition(cond.operand, schema, obj, depth + 1)
        return lambda env: _negate(inner(env))
    if isinstance(cond, SemiJoin):
        return _compile_semi_join(cond, schema, obj, depth + 1)
    return _compile_comparison(cond, schema, obj)


def _all(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        a, b = predicates
        return lambda row: a(row) and b(row)
    return lambda row: all(p(row) for p in predicates)


def _any(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        a, b = predicates
        return lambda row: a(row) or b(row)
    return lambda row: any(p(row) for p in predicates)


def _negate(predicate: Predicate) -> Predicate:
    return lambda row: not predicate(row)


def filterable_path(schema: Schema, obj: ObjectSchema, comparison_path: Path) -> FieldPath:
    """Resolve a path used in a filter; INVALID_FIELD when the field cannot be filtered."""
    path = resolve(schema, obj, comparison_path)
    if not path.column.filterable:
        raise LocatedError(
            path.pos, INVALID_FIELD, f"field '{path.column.name}' can not be filtered in query call"
        )
    return path


def _compile_comparison(c: Comparison, schema: Schema, obj: ObjectSchema) -> PredicateFactory:
    path = filterable_path(schema, obj, c.path)
    column, op, sobject = path.column, c.op, obj.name
    check_operator(op, column, c.op_pos)
    if op == "LIKE":
        value = c.values[0]
        if value.kind == "null":
            return lambda env: lambda row: False
        if value.kind != "string":
            raise mismatch(column, value)
        match = literals.like_matcher(value)

        def like(env: Env) -> Predicate:
            if not path.hops and column.plain:
                name = column.name
                return lambda row: (v := row.get(name)) is not None and match(v)
            get = path.bind(env, sobject)
            return lambda row: (v := get(row)) is not None and match(v)

        return like
    if op in ("INCLUDES", "EXCLUDES"):
        return _compile_includes(c, path, sobject)
    keys = [literal_key(v, column) for v in c.values]

    def bind(env: Env) -> Predicate:
        null_test = op in ("=", "!=") and keys[0] is None
        key = path.bind(env, sobject) if null_test else key_getter(path, env, sobject)
        resolved = [range_keys(k, column, env) if isinstance(k, DateLiteral) else k for k in keys]
        return _predicate(op, key, resolved, [isinstance(k, DateLiteral) for k in keys])

    return bind


def _predicate(
    op: str, key: Callable[[Row], Any], lits: list[Any], ranges: list[bool]
) -> Predicate:
    if op in ("IN", "NOT IN"):
        if any(ranges):
            tests = [
                _predicate("=", key, [lit], [is_range])
                for lit, is_range in zip(lits, ranges, strict=True)
            ]
            inside = _any(tests)
        else:
            members = frozenset(lits)
            inside = lambda row: key(row) in members  # noqa: E731 - a one-line closure
        return inside if op == "IN" else _negate(inside)
    lit = lits[0]
    if ranges[0]:
        low, high = lit
        in_range: dict[str, Predicate] = {
            "=": lambda row: (k := key(row)) is not None and low <= k < high,
            "!=": lambda row: (k := key(row)) is None or not low <= k < high,
            "<": lambda row: (k := key(row)) is not None and k < low,
            "<=": lambda row: (k := key(row)) is not None and k < high,
            ">": lambda row: (k := key(row)) is not None and k >= high,
            ">=": lambda row: (k := key(row)) is not None and k >= low,
        }
        return in_range[op]
    if lit is None:
        if op == "=":
            return lambda row: key(row) is None
        if op == "!=":
            return lambda row: key(row) is not None
        return lambda row: False
    simple: dict[str, Predicate] = {
        "=": lambda row: key(row) == lit,
        "!=": lambda row: key(row) != lit,
        "<": lambda row: (k := key(row)) is not None and k < lit,
        "<=": lambda row: (k := key(row)) is not None and k <= lit,
        ">": lambda row: (k := key(row)) is not None and k > lit,
        ">=": lambda row: (k := key(row)) is not None and k >= lit,
    }
    return simple[op]


def _compile_includes(c: Comparison, path: FieldPath, sobject: str) -> PredicateFactory:
    wanted: list[frozenset[str]] = []
    for value in c.values:
        if value.kind != "string":
            raise mismatch(path.column, value)
        text = literals.string_value(value)
        wanted.append(frozenset(part.strip().lower() for part in text.split(";")))
    excludes = c.op == "EXCLUDES"

    def bind(env: Env) -> Predicate:
        get = path.bind(env, sobject)

        def test(row: Row) -> bool:
            value = get(row)
            chosen = {p.strip().lower() for p in value.split(";")} if value else set()
            hit = any(w <= chosen for w in wanted)
            return not hit if excludes else hit

        return test

    return bind


def _compile_semi_join(
    join: SemiJoin, schema: Schema, obj: ObjectSchema, depth: int
) -> PredicateFactory:
    outer = filterable_path(schema, obj, join.path)
    inner_select = join.select
    inner_obj = schema.get_object(inner_select.sobject)
    if inner_obj is None:
        raise LocatedError(
            inner_select.sobject_pos, INVALID_TYPE, unsupported_sobject(inner_select.sobject)
        )
    items = inner_select.items
    if len(items) != 1 or not isinstance(items[0], Path) or inner_select.group_by:
        raise LocatedError(
            inner_select.pos, MALFORMED_QUERY, "semi join sub-selects can only select one id field"
        )
    inner = resolve(schema, inner_obj, items[0])
    if outer.column.category != "id" or inner.column.category != "id":
        raise LocatedError(
            outer.pos, INVALID_FIELD, "semi join sub-selects are only supported on id fields"
        )
    where = (
        compile_condition(inner_select.where, schema, inner_obj, depth)
        if inner_select.where
        else None
    )
    inner_name, outer_name, negated = inner_obj.name, obj.name, join.negated

    def bind(env: Env) -> Predicate:
        accept = where(env) if where else None
        read = inner.bind(env, inner_name)
        members = {
            value[:15]
            for row in env.store.records(inner_name)
            if (accept is None or accept(row)) and (value := read(row))
        }
        get = outer.bind(env, outer_name)

        def test(row: Row) -> bool:
            value = get(row)
            hit = value is not None and value[:15] in members
            return not hit if negated else hit

        return test

    return bind
