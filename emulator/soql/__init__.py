"""The emulator's SOQL engine: parse a query against the org's schema, run it over the store.

Public surface::

    parse(text, schema) -> Query          # syntax and schema checks; cached by text
    execute(query, store, *, include_deleted, api_version, now, tz) -> QueryResult
    SoqlError                             # .error_code, .message (Salesforce's caret layout)

Errors: every refusal is a :class:`SoqlError` whose ``error_code`` is ``MALFORMED_QUERY``,
``INVALID_FIELD``, ``INVALID_TYPE``, ``INVALID_QUERY_FILTER_OPERATOR``, and two rarer ones:
``NUMBER_OUTSIDE_VALID_RANGE`` (OFFSET above 2000) and ``QUERY_TOO_COMPLICATED`` (conditions
nested more than 50 deep); the HTTP layer answers them all with status 400.

Modules: ``grammar.lark`` + :mod:`.parser` (text → :mod:`.syntax` tree), :mod:`.columns` (field
paths against the schema), :mod:`.filters` (WHERE), :mod:`.literals` and :mod:`.date_literals`
(values), :mod:`.ordering`, :mod:`.projection` (SELECT shape), :mod:`.aggregates`,
:mod:`.compiler` (tree → :class:`Query`), :mod:`.evaluate` (running it).
"""

from __future__ import annotations

import functools

from emulator.schema import Schema, SchemaKey
from emulator.soql.compiler import Query, compile_select
from emulator.soql.errors import LocatedError, SoqlError, locate
from emulator.soql.evaluate import QueryResult, execute
from emulator.soql.parser import parse_syntax

__all__ = ["Query", "QueryResult", "SoqlError", "execute", "parse"]


def parse(text: str, schema: Schema) -> Query:
    """Parse and check ``text`` against ``schema``; :class:`SoqlError` when Salesforce would
    refuse it. Results are cached: the same text is parsed once per schema."""
    return _parse_cached(text, SchemaKey(schema))


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str, key: SchemaKey) -> Query:
    stripped = text.strip()
    try:
        return compile_select(stripped, parse_syntax(stripped), key.schema)
    except LocatedError as problem:
        raise locate(stripped, problem.pos, problem.error_code, problem.explanation) from None
