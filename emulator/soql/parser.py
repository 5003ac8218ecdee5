"""SOQL text → :mod:`emulator.soql.syntax` tree, with Salesforce's MALFORMED_QUERY answers.

The grammar (``grammar.lark``) is LALR(1); the tree is built by a transformer embedded in the
parser, so one pass over the tokens gives the finished tree. The compiled parser is built once,
lazily, on first use.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from emulator.soql.date_literals import FIXED_LITERALS, N_LITERALS
from emulator.soql.errors import MALFORMED_QUERY, LocatedError
from emulator.soql.syntax import (
    AggregateItem,
    BoolOp,
    Call,
    Comparison,
    Condition,
    Not,
    OrderItem,
    Path,
    Pos,
    Select,
    SelectItem,
    SemiJoin,
    SubqueryItem,
    Value,
)


def _pos(token: Token) -> Pos:
    return Pos(token.line or 1, token.column or 1)


def unexpected(token: Token) -> LocatedError:
    """Salesforce's "unexpected token" refusal, pointing at ``token``."""
    return LocatedError(_pos(token), MALFORMED_QUERY, f"unexpected token: '{token.value}'")


def _integer(token: Token) -> int:
    if not token.value.isdigit():
        raise unexpected(token)
    return int(token.value)


class SyntaxBuilder(Transformer[Token, Any]):
    """Builds syntax nodes bottom-up; raises :class:`LocatedError` for bad literals.

    :mod:`emulator.sosl.parser` extends it: SOSL's RETURNING clause reuses SOQL's rules."""

    def start(self, children: list[Any]) -> Select:
        select: Select = children[0]
        return select

    def query(self, children: list[Any]) -> Select:
        return self._select(children)

    def subquery(self, children: list[Any]) -> Select:
        return self._select(children)

    def _select(self, children: list[Any]) -> Select:
        select_token, items, _from, name = children[:4]
        clauses: dict[str, Any] = dict(children[4:])
        offset = clauses.get("offset")
        return Select(
            items=items,
            sobject=name.value,
            sobject_pos=_pos(name),
            where=clauses.get("where"),
            group_by=clauses.get("group", ()),
            order_by=clauses.get("order", ()),
            limit=clauses.get("limit"),
            offset=offset[0] if offset else None,
            offset_pos=offset[1] if offset else None,
            pos=_pos(select_token),
        )

    def select_list(self, children: list[SelectItem]) -> tuple[SelectItem, ...]:
        return tuple(children)

    def path(self, children: list[Token]) -> Path:
        return Path(tuple(t.value for t in children), _pos(children[0]))

    def call(self, children: list[Any]) -> Call:
        name = children[0]
        arg = children[2] if len(children) > 2 else None
        return Call(name.value.upper(), arg, _pos(name))

    def alias(self, children: list[Token]) -> str:
        return str(children[0].value)

    def aggregate_item(self, children: list[Any]) -> AggregateItem:
        return AggregateItem(children[0], children[1] if len(children) > 1 else None)

    def subquery_item(self, children: list[Any]) -> SubqueryItem:
        return SubqueryItem(children[1])

    # WHERE ---------------------------------------------------------------------------------

    def where(self, children: list[Any]) -> tuple[str, Condition]:
        return ("where", children[1])

    def and_(self, children: list[Any]) -> BoolOp:
        return BoolOp("AND", tuple(c for c in children if not isinstance(c, Token)))

    def or_(self, children: list[Any]) -> BoolOp:
        return BoolOp("OR", tuple(c for c in children if not isinstance(c, Token)))

    def group(self, children: list[Any]) -> Condition:
        condition: Condition = children[1]
        return condition

    def not_(self, children: list[Any]) -> Not:
        return Not(children[1])

    def compare(self, children: list[Any]) -> Comparison:
        path, op, value = children
        symbol = "!=" if op.value == "<>" else op.value
        return Comparison(path, symbol, (value,), _pos(op))

    def like(self, children: list[Any]) -> Comparison:
        path, op, value = children
        return Comparison(path, "LIKE", (value,), _pos(op))

    def in_(self, children: list[Any]) -> Comparison:
        return Comparison(children[0], "IN", children[3], _pos(children[1]))

    def not_in(self, children: list[Any]) -> Comparison:
        return Comparison(children[0], "NOT IN", children[4], _pos(children[1]))

    def includes(self, children: list[Any]) -> Comparison:
        return Comparison(children[0], "INCLUDES", children[3], _pos(children[1]))

    def excludes(self, children: list[Any]) -> Comparison:
        return Comparison(children[0], "EXCLUDES", children[3], _pos(children[1]))

    def semi_join(self, children: list[Any]) -> SemiJoin:
        return SemiJoin(children[0], False, children[3])

    def anti_join(self, children: list[Any]) -> SemiJoin:
        return SemiJoin(children[0], True, children[4])

    def value_list(self, children: list[Value]) -> tuple[Value, ...]:
        return tuple(children)

    def string(self, children: list[Token]) -> Value:
        return Value("string", children[0].value, _pos(children[0]))

    def number(self, children: list[Token]) -> Value:
        return Value("number", children[0].value, _pos(children[0]))

    def date(self, children: list[Token]) -> Value:
        return Value("date", children[0].value, _pos(children[0]))

    def datetime(self, children: list[Token]) -> Value:
        return Value("datetime", children[0].value, _pos(children[0]))

    def word(self, children: list[Token]) -> Value:
        token = children[0]
        upper = token.value.upper()
        if upper == "NULL":
            return Value("null", token.value, _pos(token))
        if upper in ("TRUE", "FALSE"):
            return Value("boolean", upper, _pos(token))
        if upper in FIXED_LITERALS:
            return Value("date_literal", upper, _pos(token))
        raise unexpected(token)

    def n_word(self, children: list[Token]) -> Value:
        token, number = children
        upper = token.value.upper()
        if upper not in N_LITERALS:
            raise unexpected(token)
        return Value("date_literal", upper, _pos(token), _integer(number))

    # GROUP BY, ORDER BY, LIMIT, OFFSET ------------------------------------------------------

    def group_by(self, children: list[Any]) -> tuple[str, tuple[Path, ...]]:
        return ("group", tuple(children[2:]))

    def order_by(self, children: list[Any]) -> tuple[str, tuple[OrderItem, ...]]:
        return ("order", tuple(children[2:]))

    def order_item(self, children: list[Any]) -> OrderItem:
        expr = children[0]
        flags = set(children[1:])
        descending = "DESC" in flags
        nulls_first = "FIRST" in flags if flags & {"FIRST", "LAST"} else not descending
        return OrderItem(expr, descending, nulls_first)

    def direction(self, children: list[Token]) -> str:
        return str(children[0].value).upper()

    def nulls(self, children: list[Token]) -> str:
        return str(children[1].value).upper()

    def limit(self, children: list[Token]) -> tuple[str, int]:
        return ("limit", _integer(children[1]))

    def offset(self, children: list[Token]) -> tuple[str, tuple[int, Pos]]:
        return ("offset", (_integer(children[1]), _pos(children[1])))


def grammar_text() -> str:
    """The SOQL grammar (``grammar.lark``), which SOSL's grammar extends."""
    return resources.files("emulator.soql").joinpath("grammar.lark").read_text("utf-8")


@functools.cache
def _parser() -> Lark:
    grammar = grammar_text()
    return Lark(grammar, parser="lalr", lexer="basic", transformer=SyntaxBuilder())


def _end_pos(text: str) -> Pos:
    lines = text.split("\n")
    return Pos(len(lines), len(lines[-1]) + 1)


def parse_syntax(text: str) -> Select:
    """The syntax tree of ``text`` (already stripped); :class:`LocatedError` when malformed."""
    try:
        tree = cast(Select, _parser().parse(text))
    except UnexpectedToken as exc:
        token: Token = exc.token
        if token.type == "$END":
            raise LocatedError(
                _end_pos(text), MALFORMED_QUERY, "unexpected token: '<EOF>'"
            ) from None
        raise unexpected(token) from None
    except UnexpectedCharacters as exc:
        raise _bad_character(text, exc) from None
    except UnexpectedInput as exc:  # pragma: no cover - LALR reports the two kinds above
        raise LocatedError(_end_pos(text), MALFORMED_QUERY, str(exc)) from None
    return tree


def _bad_character(text: str, exc: UnexpectedCharacters) -> LocatedError:
    char = text[exc.pos_in_stream or 0]
    if char == "'":
        # An unterminated string literal: Salesforce's lexer reports the end of the input.
        end = _end_pos(text)
        explanation = f"line {end.row}:{end.column - 1} mismatched character '<EOF>' expecting '''"
        return LocatedError(end, MALFORMED_QUERY, explanation)
    pos = Pos(exc.line, exc.column)
    explanation = f"line {pos.row}:{pos.column - 1} no viable alternative at character '{char}'"
    return LocatedError(pos, MALFORMED_QUERY, explanation)
