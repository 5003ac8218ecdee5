"""SOSL text → :class:`Statement`, with Salesforce's MALFORMED_SEARCH answers.

Served statement (``grammar.lark``; keywords in any case)::

    FIND {search} [IN ALL|NAME|EMAIL|PHONE|SIDEBAR FIELDS]
        [RETURNING Obj [(field, … [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET n])], …]
        [LIMIT n]

Not served (MALFORMED_SEARCH): ``WITH`` clauses (DIVISION, DATA CATEGORY, SNIPPET, NETWORK,
METADATA, PricebookId, SPELL_CORRECTION, HIGHLIGHT), ``UPDATE TRACKING|VIEWSTAT``, ``USING
ListView``, and ``toLabel()``/``convertCurrency()``/``format()`` in field lists.

Reading happens in two steps. The text between the braces is scanned by hand first, because
Salesforce's lexer reads it character by character: an unescaped ``|`` is refused where it
stands ("line 1:10 mismatched character '|' expecting '}'"), an unclosed brace at the end. A
statement not starting with ``FIND {`` has "No search term found". Then lark parses the whole
statement (SOQL's grammar plus ``grammar.lark``); a token it cannot place is
"Malformed search token: X" at the statement's level (as recorded for ``IN ALL TYPE``) and SOQL's
"unexpected token: 'X'" inside an object's parentheses, which SOQL's rules read [U].
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from emulator.soql.errors import LocatedError
from emulator.soql.parser import SyntaxBuilder, grammar_text, unexpected
from emulator.soql.syntax import Path, Pos, Select
from emulator.sosl.errors import MALFORMED_SEARCH, NO_SEARCH_TERM, locate_search, malformed
from emulator.sosl.matching import SEARCH_GROUPS

_FIND = re.compile(r"find\b\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Statement:
    """A SOSL statement as written: the search text between the braces (escapes kept), the
    search group (``ALL`` when none is given), the RETURNING objects as SOQL selects (``None``
    without RETURNING) and the overall LIMIT."""

    search: str
    group: str
    objects: tuple[Select, ...] | None
    limit: int | None


def _pos(token: Token) -> Pos:
    return Pos(token.line or 1, token.column or 1)


def _position(text: str, index: int) -> Pos:
    """The 1-based row and column of ``text[index]``."""
    row = text.count("\n", 0, index) + 1
    return Pos(row, index - (text.rfind("\n", 0, index) + 1) + 1)


class _Builder(SyntaxBuilder):
    """SOQL's builder plus the SOSL statement's own rules."""

    def search(self, children: list[Any]) -> Statement:
        clauses: dict[str, Any] = dict(children[2:])
        term: Token = children[1]
        return Statement(
            search=term.value[1:-1],
            group=clauses.get("group", "ALL"),
            objects=clauses.get("returning"),
            limit=clauses.get("limit"),
        )

    def search_group(self, children: list[Token]) -> tuple[str, str]:
        _in, group, fields = children
        if group.value.upper() not in SEARCH_GROUPS:
            raise _malformed_token(group)
        if fields.value.upper() != "FIELDS":
            raise _malformed_token(fields)
        return ("group", group.value.upper())

    def returning(self, children: list[Any]) -> tuple[str, tuple[Select, ...]]:
        return ("returning", tuple(children[1:]))

    def field_list(self, children: list[Path]) -> tuple[Path, ...]:
        return tuple(children)

    def object_spec(self, children: list[Any]) -> Select:
        name: Token = children[0]
        if len(children) == 1:
            # Without a field list Salesforce returns the ids of the records found.
            return _select(name, (Path(("Id",), _pos(name)),), {})
        return _select(name, children[2], dict(children[3:]))


def _select(name: Token, items: tuple[Path, ...], clauses: dict[str, Any]) -> Select:
    offset = clauses.get("offset")
    return Select(
        items=items,
        sobject=name.value,
        sobject_pos=_pos(name),
        where=clauses.get("where"),
        group_by=(),
        order_by=clauses.get("order", ()),
        limit=clauses.get("limit"),
        offset=offset[0] if offset else None,
        offset_pos=offset[1] if offset else None,
        pos=_pos(name),
    )


def _malformed_token(token: Token) -> LocatedError:
    return LocatedError(_pos(token), MALFORMED_SEARCH, f"Malformed search token: {token.value}")


@functools.cache
def _parser() -> Lark:
    sosl = resources.files("emulator.sosl").joinpath("grammar.lark").read_text("utf-8")
    return Lark(
        grammar_text() + "\n" + sosl,
        parser="lalr",
        lexer="basic",
        start="search",
        transformer=_Builder(),
    )


def _scan_search_term(text: str) -> int:
    """Check ``FIND {…}`` at the start of ``text``; the index just past the closing brace."""
    find = _FIND.match(text)
    if find is None or not text.startswith("{", find.end()):
        raise malformed(NO_SEARCH_TERM)
    index = find.end() + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "}":
            return index + 1
        if char == "|":
            raise _mismatched(text, index, "'|'")
        index += 1
    raise _mismatched(text, len(text), "'<EOF>'")


def _mismatched(text: str, index: int, found: str) -> LocatedError:
    pos = _position(text, index)
    explanation = f"line {pos.row}:{pos.column - 1} mismatched character {found} expecting '}}'"
    return LocatedError(pos, MALFORMED_SEARCH, explanation)


def _depth(text: str, start: int, end: int) -> int:
    """How many parentheses are open at ``end``, counting from ``start`` (quotes skipped)."""
    depth, index = 0, start
    while index < end:
        char = text[index]
        if char == "'":
            index += 1
            while index < end and text[index] != "'":
                index += 2 if text[index] == "\\" else 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        index += 1
    return depth


def _misplaced(text: str, term_end: int, token: Token) -> LocatedError:
    """A token the grammar cannot place: SOQL's words inside an object's parentheses."""
    if token.type == "$END":
        end = _position(text, len(text))
        return LocatedError(end, MALFORMED_SEARCH, "unexpected token: '<EOF>'")
    if _depth(text, term_end, token.start_pos or 0) > 0:
        return unexpected(token)
    return _malformed_token(token)


def parse_statement(text: str) -> Statement:
    """The statement ``text`` (already stripped); :class:`~emulator.sosl.errors.SoslError` when
    Salesforce would refuse it."""
    try:
        term_end = _scan_search_term(text)
        return cast(Statement, _parser().parse(text))
    except LocatedError as problem:
        raise locate_search(text, problem) from None
    except UnexpectedToken as exc:
        raise locate_search(text, _misplaced(text, term_end, exc.token)) from None
    except UnexpectedCharacters as exc:
        pos = Pos(exc.line, exc.column)
        char = text[exc.pos_in_stream or 0]
        explanation = f"line {pos.row}:{pos.column - 1} no viable alternative at character '{char}'"
        raise locate_search(text, LocatedError(pos, MALFORMED_SEARCH, explanation)) from None
    except UnexpectedInput as exc:  # pragma: no cover - LALR reports the two kinds above
        raise malformed(str(exc)) from None
