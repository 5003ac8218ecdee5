"""SOQL templates: a statement whose ``{{ variable }}`` placeholders each become one literal.

Template source comes only from the operator's action file; a call's values are data, never
source. A SOQL template is never handed to Jinja's renderer (it is only parsed and lexed in the
sandboxed environment of :mod:`server.actions.templating`). :meth:`SoqlTemplate.parse` finds each
``{{ variable }}``, whether it sits inside a quoted literal, and which field it is compared
with; :meth:`SoqlTemplate.render` writes each value as a literal: inside quotes, escaped
content (a LIKE pattern also escapes ``%`` and ``_``); unquoted, only a number, boolean, date
or datetime. SOQL has no bind variables (CONTRACT.md §12), so this is the defence. A call
variable (``{{ call.caller_number }}``, named ``call.caller_number`` in its :class:`Slot`) stands
where any variable may and becomes a literal the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from server.actions.templating import (
    CALL,
    MAX_VALUE_CHARS,
    OMITTED,
    RenderError,
    TemplateError,
    name_problem,
    parse_template,
    sandbox,
)
from server.values import FieldProblem, ValueCoercionError
from server.values.soql_literals import soql_quoted

#: Longest SOQL statement Salesforce accepts.
MAX_SOQL_CHARS = 100_000
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
_TOKEN = re.compile(r"\s+|[A-Za-z0-9_.:+-]+|!=|<>|<=|>=|[=<>(),]|.", re.DOTALL)
# ASCII digits only: \d would also accept other scripts' digits.
_BARE = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII),
    "datetime": re.compile(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
    ),
}


def soql_bare(value: Any) -> str:
    """A number, boolean, date or datetime as an unquoted SOQL literal; ValueError otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite():
            raise ValueError("not a finite number")
        return format(number, "f")
    if isinstance(value, datetime | date):
        value = value.isoformat()
    if isinstance(value, str) and any(form.fullmatch(value) for form in _BARE.values()):
        return value
    raise ValueError("not a number, boolean, date or datetime")


@dataclass(frozen=True, slots=True)
class Slot:
    """One ``{{ variable }}`` of a SOQL template and what it stands for."""

    variable: str
    quoted: bool
    #: ``= != <> < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES LIMIT OFFSET``
    operator: str
    #: The field path compared with (``Email``, ``Account.Name``); None after LIMIT/OFFSET.
    field: str | None
    #: The object of the SELECT the slot belongs to.
    sobject: str | None
    #: ``digits_pattern(n)``: the value's last n digits with ``%`` between them.
    digits: int | None = None


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["word", "op", "(", ")", ",", "string", "slot", "other"]
    text: str
    slots: tuple[int, ...] = ()


def _placeholder(tokens: list[tuple[int, str, str]]) -> tuple[str, int | None]:
    """``(variable, digits)`` of the tokens between ``{{`` and ``}}``; a call variable's name is
    ``call.<name>``."""
    parts = [value for _, kind, value in tokens if kind != "whitespace"]
    if parts[:2] == [CALL, "."] and len(parts) > 2:
        parts = [f"{CALL}.{parts[2]}", *parts[3:]]
    match parts:
        case [name]:
            return name, None
        case [name, "|", "digits_pattern", "(", count, ")"] if count.isdigit():
            # Fewer digits would match too many numbers; a phone number has at most 15.
            if not 4 <= int(count) <= 15:
                raise TemplateError("digits_pattern takes 4 to 15 digits, e.g. digits_pattern(10)")
            return name, int(count)
    shown = "".join(value for _, _, value in tokens).strip()
    raise TemplateError(
        f"'{{{{ {shown} }}}}' is not allowed in SOQL: write a variable, '{{{{ name }}}}' or "
        "'{{ call.id }}', or '{{ name | digits_pattern(10) }}' inside a LIKE pattern"
    )


def _pieces(source: str) -> list[str | tuple[str, int | None]]:
    """The template as text and ``(variable, digits)`` placeholders, in order."""
    parse_template(source)  # syntax errors with their line
    out: list[str | tuple[str, int | None]] = []
    inside: list[tuple[int, str, str]] | None = None
    for token in sandbox("text").lex(source):
        kind = token[1]
        if kind == "data" and inside is None:
            out.append(token[2])
        elif kind in ("variable_begin", "variable_end") and "-" in token[2]:
            raise TemplateError("whitespace control ({{- or -}}) is not allowed in SOQL")
        elif kind == "variable_begin":
            inside = []
        elif kind == "variable_end" and inside is not None:
            out.append(_placeholder(inside))
            inside = None
        elif inside is not None:
            inside.append(token)
        else:
            raise TemplateError("SOQL templates hold only {{ variable }} placeholders")
    if inside is not None:
        raise TemplateError("a '{{' is not closed")
    for item in out:
        problem = name_problem(item[0]) if isinstance(item, tuple) else None
        if problem:
            raise TemplateError(problem)
    return out


def _tokens(pieces: list[str | tuple[str, int | None]]) -> list[_Token]:
    """SOQL tokens; a quoted literal is one token listing the placeholders inside it."""
    tokens: list[_Token] = []
    string: list[int] | None = None  # placeholders of the literal being read
    escaped = glued = False  # glued: the previous token was an unquoted placeholder
    for number, piece in enumerate(pieces):
        if isinstance(piece, tuple):
            if string is not None:
                if escaped:
                    raise TemplateError(f"a backslash stands right before {{{{ {piece[0]} }}}}")
                string.append(number)
            else:
                tokens.append(_Token("slot", piece[0], (number,)))
                glued = True
            continue
        index = 0
        while index < len(piece):
            if string is not None:
                char = piece[index]
                index += 1
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == "'":
                    tokens.append(_Token("string", "", tuple(string)))
                    string = None
                continue
            match = _TOKEN.match(piece, index)
            assert match is not None  # the last alternative matches any character
            text, index = match[0], match.end()
            if glued and not text.isspace() and text not in (")", ","):
                raise TemplateError("an unquoted placeholder must be followed by a space")
            glued = False
            if text.isspace():
                continue
            if text == "'":
                string = []
            elif text in _OPERATORS:
                tokens.append(_Token("op", text))
            elif text in ("(", ")", ","):
                tokens.append(_Token(text, text))  # type: ignore[arg-type]
            elif text[0].isalnum() or text[0] in "_+-.":
                tokens.append(_Token("word", text))
            else:
                tokens.append(_Token("other", text))
    if string is not None:
        raise TemplateError("a quoted literal is not closed")
    return tokens


def _word(token: _Token | None, *words: str) -> bool:
    return token is not None and token.kind == "word" and (not words or token.text.upper() in words)


def _context(tokens: list[_Token], at: int) -> tuple[str, str | None]:
    """``(operator, field path)`` of the value token at ``at``."""

    def get(i: int) -> _Token | None:
        return tokens[i] if i >= 0 else None

    before = get(at - 1)
    if before is not None and before.kind == "op" and _word(get(at - 2)):
        return before.text, tokens[at - 2].text
    if _word(before, "LIKE") and _word(get(at - 2)):
        return "LIKE", tokens[at - 2].text
    if _word(before, "LIMIT", "OFFSET"):
        return before.text.upper(), None  # type: ignore[union-attr]
    j = at - 1
    while get(j) is not None and tokens[j].kind == "," and j >= 1:
        j -= 2  # over ", value"
    if get(j) is not None and tokens[j].kind == "(":
        if _word(get(j - 1), "INCLUDES", "EXCLUDES") and _word(get(j - 2)):
            return tokens[j - 1].text.upper(), tokens[j - 2].text
        if _word(get(j - 1), "IN"):
            negated = _word(get(j - 2), "NOT")
            field = get(j - 3 if negated else j - 2)
            if _word(field):
                return ("NOT IN" if negated else "IN"), field.text  # type: ignore[union-attr]
    raise TemplateError(
        "a variable can only stand for a value compared with a field (Email = '{{ email }}'), "
        "an item of an IN (...) list, or the number after LIMIT or OFFSET"
    )


@dataclass(frozen=True, slots=True)
class SoqlTemplate:
    """A SOQL statement with placeholders, each a :class:`Slot` (see the module docstring)."""

    source: str
    parts: tuple[str | Slot, ...]
    #: The object of the top-level FROM.
    sobject: str | None
    #: Plain field paths of the top-level SELECT list.
    selected: tuple[str, ...]

    @property
    def slots(self) -> tuple[Slot, ...]:
        """Every placeholder, in order."""
        return tuple(part for part in self.parts if isinstance(part, Slot))

    @property
    def variables(self) -> frozenset[str]:
        """The variables of the statement."""
        return frozenset(slot.variable for slot in self.slots)

    @classmethod
    def parse(cls, source: str) -> SoqlTemplate:
        """Locate every placeholder; TemplateError for any it cannot place safely."""
        pieces = _pieces(source)
        tokens = _tokens(pieces)
        if not _word(tokens[0] if tokens else None, "SELECT"):
            raise TemplateError("the statement must start with SELECT")
        slots: dict[int, Slot] = {}
        scopes: list[str | None] = [None]
        parens: list[bool] = []  # True: the parenthesis opened a subquery
        for at, token in enumerate(tokens):
            nxt = tokens[at + 1] if at + 1 < len(tokens) else None
            if token.kind == "(":
                parens.append(_word(nxt, "SELECT"))
                if parens[-1]:
                    scopes.append(None)
            elif token.kind == ")" and parens and parens.pop():
                scopes.pop()
            elif _word(token, "FROM") and nxt is not None and nxt.kind == "word":
                scopes[-1] = scopes[-1] or nxt.text
            if token.kind not in ("slot", "string"):
                continue
            for number in token.slots:
                piece = pieces[number]
                assert isinstance(piece, tuple)  # _tokens lists placeholders only
                variable, digits = piece
                try:
                    operator, field = _context(tokens, at)
                except TemplateError as exc:
                    raise TemplateError(f"{{{{ {variable} }}}}: {exc}") from None
                slot = Slot(variable, token.kind == "string", operator, field, scopes[-1], digits)
                _check_slot(slot)
                slots[number] = slot
        parts = tuple(slots.get(i, piece) for i, piece in enumerate(pieces))
        return cls(source, parts, scopes[0], _selected(tokens))  # type: ignore[arg-type]

    def render(self, values: Mapping[str, Any], typed: Callable[[Slot, Any], Any]) -> str:
        """The statement with each value as a literal; ``typed`` coerces a value for its slot.

        A value that cannot be a literal where it stands is a ValueCoercionError.
        """
        out: list[str] = []
        size = 0
        for part in self.parts:
            if isinstance(part, str):
                text = part
            else:
                value = values.get(part.variable, OMITTED)
                if value is OMITTED or value is None:
                    raise ValueCoercionError(
                        [FieldProblem(part.variable, f"{part.variable}: give a value")]
                    )
                text = self._literal(part, typed(part, value))
            size += len(text)
            if size > MAX_SOQL_CHARS:
                raise RenderError(
                    f"The query would be longer than Salesforce's {MAX_SOQL_CHARS} characters; "
                    "shorten the values. Nothing was sent."
                )
            out.append(text)
        return "".join(out)

    @staticmethod
    def _literal(slot: Slot, value: Any) -> str:
        def refuse(what: str) -> ValueCoercionError:
            return ValueCoercionError([FieldProblem(slot.variable, f"{slot.variable}: {what}")])

        if not slot.quoted:
            try:
                return soql_bare(value)
            except ValueError:
                raise refuse("give a number, true/false, a date or a date and time") from None
        if not isinstance(value, str):
            raise refuse("give text")
        if len(value) > MAX_VALUE_CHARS:
            raise refuse(f"is longer than {MAX_VALUE_CHARS} characters; shorten it")
        if slot.digits is None:
            return soql_quoted(value, like=slot.operator == "LIKE")
        digits = re.sub(r"[^0-9]", "", value)
        if len(digits) < slot.digits:
            raise refuse(f"give at least {slot.digits} digits of the number, area code included")
        return "%".join(digits[-slot.digits :])  # digits and wildcards only: nothing to escape


def _check_slot(slot: Slot) -> None:
    name = f"{{{{ {slot.variable} }}}}"
    if slot.operator == "LIKE" and not slot.quoted:
        raise TemplateError(f"put quotes around the LIKE pattern with {name}")
    if slot.digits is not None and slot.operator != "LIKE":
        raise TemplateError(f"digits_pattern works inside a LIKE pattern only ({name})")
    if slot.operator in ("LIMIT", "OFFSET") and slot.quoted:
        raise TemplateError(f"remove the quotes around {name} after {slot.operator}")


def _selected(tokens: list[_Token]) -> tuple[str, ...]:
    """The plain field paths of the top-level SELECT list (functions and subqueries skipped)."""
    items: list[list[_Token]] = [[]]
    depth = 0
    for token in tokens[1:]:
        if depth == 0 and _word(token, "FROM"):
            break
        depth += {"(": 1, ")": -1}.get(token.kind, 0)
        if token.kind == "," and depth == 0:
            items.append([])
        else:
            items[-1].append(token)
    return tuple(item[0].text for item in items if len(item) == 1 and item[0].kind == "word")
