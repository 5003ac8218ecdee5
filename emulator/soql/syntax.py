"""The syntax tree of one SOQL statement, as written: names are not yet checked against the schema.

Every node carries the :class:`Pos` of its first character so that later checks can point the
error caret where Salesforce does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based row and column in the query text."""

    row: int
    column: int


@dataclass(frozen=True, slots=True)
class Path:
    """A field path as written: ``Name``, ``Account.Owner.Email``."""

    parts: tuple[str, ...]
    pos: Pos

    @property
    def text(self) -> str:
        """The path as written."""
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class Call:
    """A function call: ``COUNT()``, ``COUNT(Id)``, ``MAX(Amount)``."""

    name: str
    arg: Path | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class AggregateItem:
    """A function in the SELECT list, with its alias (if any)."""

    call: Call
    alias: str | None


@dataclass(frozen=True, slots=True)
class SubqueryItem:
    """A parent-to-child subquery in the SELECT list."""

    select: Select


SelectItem = Path | AggregateItem | SubqueryItem

ValueKind = Literal["string", "number", "date", "datetime", "null", "boolean", "date_literal"]


@dataclass(frozen=True, slots=True)
class Value:
    """A literal. ``raw`` is the token as written (strings keep their quotes and escapes, since
    ``\\%`` is legal only in a LIKE pattern); ``n`` is the argument of ``LAST_N_DAYS:n``."""

    kind: ValueKind
    raw: str
    pos: Pos
    n: int | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    """``path <op> value(s)``; ``op`` is one of ``= != < <= > >= LIKE IN NOT IN INCLUDES
    EXCLUDES``, with ``<>`` already folded into ``!=``."""

    path: Path
    op: str
    values: tuple[Value, ...]
    op_pos: Pos


@dataclass(frozen=True, slots=True)
class SemiJoin:
    """``path IN (SELECT field FROM Obj …)`` or, negated, ``NOT IN``."""

    path: Path
    negated: bool
    select: Select


@dataclass(frozen=True, slots=True)
class BoolOp:
    """``a AND b AND …`` or ``a OR b OR …``."""

    op: Literal["AND", "OR"]
    operands: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """``NOT condition``."""

    operand: Condition


Condition = Comparison | SemiJoin | BoolOp | Not


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One ORDER BY key with Salesforce's defaults (ASC NULLS FIRST, DESC NULLS LAST)."""

    expr: Path | Call
    descending: bool
    nulls_first: bool


@dataclass(frozen=True, slots=True)
class Select:
    """A SELECT statement, top-level or nested."""

    items: tuple[SelectItem, ...]
    sobject: str
    sobject_pos: Pos
    where: Condition | None
    group_by: tuple[Path, ...]
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
    offset_pos: Pos | None
    pos: Pos
