"""The emulator's SOSL engine: parse a search against the org's schema, run it over the store.

Public surface::

    parse(text, schema) -> Search         # syntax and schema checks; cached by text
    execute(search, store, *, api_version, now, tz) -> list[record]
    escape(text) -> str                   # a plain search string made safe inside FIND {…}
    SoslError                             # .error_code, .message, .explanation

Errors: every refusal is a :class:`SoslError`; its ``error_code`` is ``MALFORMED_SEARCH`` or,
for the RETURNING clause (which SOQL's machinery reads), SOQL's ``INVALID_TYPE``,
``INVALID_FIELD``, ``INVALID_QUERY_FILTER_OPERATOR``, ``NUMBER_OUTSIDE_VALID_RANGE``; the HTTP
layer answers them all with status 400 (:mod:`.errors` has the message layout).

Modules: ``grammar.lark`` + :mod:`.parser` (text → statement), :mod:`.terms` (the search
expression in the braces), :mod:`.phones` (phone numbers by digits), :mod:`.matching` (search
groups, matching records), :mod:`.compiler` (statement → :class:`Search`), :mod:`.evaluate`
(running it, sharing out the overall limit).
"""

from __future__ import annotations

import functools

from emulator.schema import Schema, SchemaKey
from emulator.soql.errors import LocatedError
from emulator.sosl.compiler import Search, compile_search
from emulator.sosl.errors import SoslError, locate_search
from emulator.sosl.evaluate import execute
from emulator.sosl.parser import parse_statement
from emulator.sosl.terms import escape

__all__ = ["Search", "SoslError", "escape", "execute", "parse"]


def parse(text: str, schema: Schema) -> Search:
    """Parse and check ``text`` against ``schema``; :class:`SoslError` when Salesforce would
    refuse it. Results are cached: the same text is parsed once per schema."""
    return _parse_cached(text, SchemaKey(schema))


@functools.lru_cache(maxsize=256)
def _parse_cached(text: str, key: SchemaKey) -> Search:
    stripped = text.strip()
    statement = parse_statement(stripped)
    try:
        return compile_search(stripped, statement, key.schema)
    except LocatedError as problem:
        raise locate_search(stripped, problem) from None
