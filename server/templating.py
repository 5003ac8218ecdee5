"""The templates of configured actions: sandboxed text, JSON leaf by leaf, SOQL literal by literal.

Template source comes only from the operator's action file; a call's values are data, never
source, so a value "{{ 7*7 }}" stays that text. Three renderings:

- **Text** (a JSON string leaf, a header, an endpoint): Jinja2 in an
  ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``, no autoescape, no globals and a
  short list of filters. At load time the syntax tree is held to variables, constants, ``~``,
  comparisons, ``if`` and those filters: no loops, calls, attributes or arithmetic, so the output
  is at most the template plus its values (and is bounded again while rendering).
- **JSON** (``data``, ``records``, ``body``): rendered leaf by leaf, keys never templated. A leaf
  that is exactly one variable (``"{{ email }}"``) takes the variable's typed value; any other
  string leaf renders to a string. A quote in a value cannot add a key: nothing is serialised
  by hand.
- **SOQL**: never handed to Jinja's renderer. :meth:`SoqlTemplate.parse` finds each
  ``{{ variable }}``, whether it sits inside a quoted literal, and which field it is compared
  with; :meth:`SoqlTemplate.render` writes each value as a literal: inside quotes, escaped
  content (a LIKE pattern also escapes ``%`` and ``_``); unquoted, only a number, boolean, date
  or datetime. SOQL has no bind variables (CONTRACT.md §12), so this is the defence.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from server.errors import CallforceError
from server.values import FieldProblem, ValueCoercionError

#: Longest value a variable may carry (Salesforce's longest text area).
MAX_VALUE_CHARS = 131_072
#: Longest rendered text of one template.
MAX_RENDERED_CHARS = 1_000_000
#: Longest SOQL statement Salesforce accepts.
MAX_SOQL_CHARS = 100_000
#: Filters a text template may use; none of them can grow its input without bound.
FILTERS = ("default", "d", "trim", "lower", "upper", "title", "capitalize", "truncate")
_TESTS = ("defined", "undefined", "none")
_ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.Filter,
    nodes.Test, nodes.Keyword, nodes.Concat, nodes.CondExpr, nodes.If, nodes.Compare,
    nodes.Operand, nodes.And, nodes.Or, nodes.Not,
)  # fmt: skip
_VARIABLE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


class TemplateError(ValueError):
    """A template in the action file cannot be used; the text says why (for the operator).

    ``where`` is the path of the leaf inside a JSON template (``LastName``, ``a.b[0]``).
    """

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


class RenderError(CallforceError):
    """A template could not be filled at call time (too much output); nothing was sent."""


class _Omitted:
    """The value of an optional variable the agent left out."""

    def __repr__(self) -> str:
        return "OMITTED"

    def __bool__(self) -> bool:
        return False  # {% if note %} is false when the agent left note out


#: Pass it for an optional variable left out: a leaf that is just that variable is dropped,
#: text renders it as "".
OMITTED: Any = _Omitted()


def _finalize(value: Any) -> Any:
    if value is None or value is OMITTED:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _url_finalize(value: Any) -> str:
    # Each value is ONE percent-encoded piece: '/', '?', '#', '%' and '..' cannot steer the URL.
    return quote(str(_finalize(value)), safe="")


@functools.cache
def _environment(mode: Literal["text", "url"]) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_url_finalize if mode == "url" else _finalize,
    )
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.tests = {name: env.tests[name] for name in _TESTS}
    env.globals.clear()
    return env


@functools.lru_cache(maxsize=1024)
def _compiled(mode: Literal["text", "url"], source: str) -> jinja2.Template:
    return _environment(mode).from_string(source)


def _check_tree(node: nodes.Node) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        raise TemplateError(
            f"'{type(node).__name__}' is not allowed: templates hold variables, constants, ~, "
            f"comparisons, if, and the filters {', '.join(FILTERS)}"
        )
    if isinstance(node, nodes.Name) and (node.ctx != "load" or not _VARIABLE.fullmatch(node.name)):
        raise TemplateError(f"'{node.name}' is not a usable variable name")
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        raise TemplateError(f"the filter '{node.name}' is not available; use {', '.join(FILTERS)}")
    if isinstance(node, nodes.Test) and node.name not in _TESTS:
        raise TemplateError(f"the test '{node.name}' is not available; use {', '.join(_TESTS)}")
    for child in node.iter_child_nodes():
        _check_tree(child)


def _parse(source: str) -> nodes.Template:
    try:
        return _environment("text").parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error on line {exc.lineno}: {exc.message}") from None


@dataclass(frozen=True, slots=True)
class TextTemplate:
    """One string of the action file: a constant, exactly one variable, or text to render."""

    source: str
    variables: frozenset[str]
    #: The variable when the string is exactly ``{{ name }}`` (it keeps its typed value).
    whole: str | None
    mode: Literal["text", "url"] = "text"
    #: True when the string has no template syntax at all: it is used as written.
    static: bool = False

    @classmethod
    def parse(cls, source: str, *, mode: Literal["text", "url"] = "text") -> TextTemplate:
        """Check ``source`` against the allowed subset; TemplateError says what is wrong."""
        if not any(mark in source for mark in ("{{", "{%", "{#")):
            return cls(source, frozenset(), None, mode, static=True)
        tree = _parse(source)
        _check_tree(tree)
        names = frozenset(name.name for name in tree.find_all(nodes.Name))
        whole = None
        match tree.body:
            # In a URL every value is encoded, so none is ever used as it is.
            case [nodes.Output(nodes=[nodes.Name(name=name)])] if mode == "text":
                whole = name
        return cls(source, names, whole, mode)

    def render(self, values: Mapping[str, Any]) -> Any:
        """The typed value (whole variable), the source (constant) or the rendered text."""
        if self.whole is not None:
            return values[self.whole]
        if self.static:
            return self.source
        template = _compiled(self.mode, self.source)
        pieces: list[str] = []
        size = 0
        try:
            for chunk in template.generate(values):
                size += len(chunk)
                if size > MAX_RENDERED_CHARS:
                    raise RenderError(
                        f"The action's template would render more than {MAX_RENDERED_CHARS} "
                        "characters; shorten the values. Nothing was sent."
                    )
                pieces.append(chunk)
        except jinja2.UndefinedError as exc:
            raise ValueCoercionError([FieldProblem("", f"{exc.message}: give it")]) from None
        return "".join(pieces)


# -- JSON templates ----------------------------------------------------------------------------


def compile_json(value: Any, where: str = "") -> Any:
    """The tree of ``value`` with each string leaf a :class:`TextTemplate`; keys stay as they are.

    TemplateError names the leaf (``where``: a dotted path) that is wrong.
    """
    if isinstance(value, str):
        try:
            return TextTemplate.parse(value)
        except TemplateError as exc:
            raise TemplateError(str(exc), where) from None
    if isinstance(value, dict):
        return {
            key: compile_json(item, f"{where}.{key}".lstrip(".")) for key, item in value.items()
        }
    if isinstance(value, list):
        return [compile_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def json_leaves(
    tree: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], TextTemplate]]:
    """Each templated leaf of a compiled tree, with its path from the root."""
    if isinstance(tree, TextTemplate):
        yield path, tree
    elif isinstance(tree, dict):
        for key, item in tree.items():
            yield from json_leaves(item, (*path, key))
    elif isinstance(tree, list):
        for index, item in enumerate(tree):
            yield from json_leaves(item, (*path, index))


def render_json(tree: Any, values: Mapping[str, Any]) -> Any:
    """The JSON value of a compiled tree; a leaf that is an OMITTED variable is left out."""
    if isinstance(tree, TextTemplate):
        return tree.render(values)
    if isinstance(tree, dict):
        out = {key: render_json(item, values) for key, item in tree.items()}
        return {key: item for key, item in out.items() if item is not OMITTED}
    if isinstance(tree, list):
        return [item for item in (render_json(i, values) for i in tree) if item is not OMITTED]
    return tree


# -- SOQL templates ----------------------------------------------------------------------------

_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
_TOKEN = re.compile(r"\s+|[A-Za-z0-9_.:+-]+|!=|<>|<=|>=|[=<>(),]|.", re.DOTALL)
# ASCII digits only: \d would also accept other scripts' digits.
_BARE = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII),
    "datetime": re.compile(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
    ),
}
# Each character maps on its own (str.translate), so an escape's backslash is never escaped
# again: the same result as escaping the backslash first, then the rest.
_QUOTED_ESCAPES = {
    ord(char): "\\" + letter for char, letter in zip("\\'\"\n\r\t\b\f", "\\'\"nrtbf", strict=True)
}
# Other control characters as \uXXXX (the text coercion refuses most of them anyway).
_QUOTED_ESCAPES |= {c: f"\\u{c:04x}" for c in (*range(0x20), 0x7F) if c not in _QUOTED_ESCAPES}
_LIKE_ESCAPES = _QUOTED_ESCAPES | {ord("%"): "\\%", ord("_"): "\\_"}


def soql_quoted(text: str, *, like: bool = False) -> str:
    """``text`` as the content of a SOQL string literal (quotes not included)."""
    return text.translate(_LIKE_ESCAPES if like else _QUOTED_ESCAPES)


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
    """``(variable, digits)`` of the tokens between ``{{`` and ``}}``."""
    parts = [value for _, kind, value in tokens if kind != "whitespace"]
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
        f"'{{{{ {shown} }}}}' is not allowed in SOQL: write a variable, '{{{{ name }}}}', or "
        "'{{ name | digits_pattern(10) }}' inside a LIKE pattern"
    )


def _pieces(source: str) -> list[str | tuple[str, int | None]]:
    """The template as text and ``(variable, digits)`` placeholders, in order."""
    _parse(source)  # syntax errors with their line
    out: list[str | tuple[str, int | None]] = []
    inside: list[tuple[int, str, str]] | None = None
    for token in _environment("text").lex(source):
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
        if isinstance(item, tuple) and not _VARIABLE.fullmatch(item[0]):
            raise TemplateError(f"'{item[0]}' is not a usable variable name")
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
