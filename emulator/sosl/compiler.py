"""A :class:`~emulator.sosl.parser.Statement` checked against the schema → :class:`Search`.

Each RETURNING object becomes a SOQL record query (:func:`emulator.soql.compiler.compile_select`),
so its field list, WHERE, ORDER BY, LIMIT and OFFSET have SOQL's rules and refusals
(INVALID_TYPE for an unknown object, INVALID_FIELD for an unknown field, OFFSET above 2000 …).
Without RETURNING every searchable object of the org is searched, in the schema's order, and
only ids come back. The overall LIMIT is at most 2000 (also the default); a larger one is taken
as 2000 [U: whether Salesforce refuses it].
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.schema import Schema
from emulator.soql.columns import Column
from emulator.soql.compiler import Query, compile_select
from emulator.soql.syntax import Path, Pos, Select
from emulator.sosl.matching import searched_fields
from emulator.sosl.parser import Statement
from emulator.sosl.terms import Expr, parse

#: The most records one search returns.
MAX_RECORDS = 2000


@dataclass(frozen=True, slots=True)
class SearchedObject:
    """One object of a search: the SOQL query that shapes its records and the fields searched."""

    query: Query
    fields: tuple[Column, ...]


@dataclass(frozen=True, eq=False, slots=True)
class Search:
    """A parsed and checked SOSL search, ready to run any number of times."""

    text: str
    expression: Expr
    group: str
    objects: tuple[SearchedObject, ...]
    limit: int


def _ids_only(name: str) -> Select:
    pos = Pos(1, 1)
    return Select((Path(("Id",), pos),), name, pos, None, (), (), None, None, None, pos)


def compile_search(text: str, statement: Statement, schema: Schema) -> Search:
    """Check ``statement`` against ``schema`` and plan it; ``LocatedError`` (or a
    :class:`~emulator.sosl.errors.SoslError` for the search text) when refused."""
    expression = parse(statement.search)
    selects = statement.objects
    if selects is None:
        selects = tuple(_ids_only(name) for name in schema if schema[name].raw.get("searchable"))
    objects = []
    for select in selects:
        query = compile_select(text, select, schema)
        fields = searched_fields(schema[query.sobject], statement.group)
        objects.append(SearchedObject(query, fields))
    limit = MAX_RECORDS if statement.limit is None else min(statement.limit, MAX_RECORDS)
    return Search(text, expression, statement.group, tuple(objects), limit)
