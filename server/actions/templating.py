"""The templates of configured actions: sandboxed text, and JSON leaf by leaf.

Template source comes only from the operator's action file; a call's values are data, never
source, so a value "{{ 7*7 }}" stays that text. Two renderings:

- **Text** (a JSON string leaf, a header, an endpoint): Jinja2 in an
  ``ImmutableSandboxedEnvironment`` with ``StrictUndefined``, no autoescape, no globals and a
  short list of filters. At load time the syntax tree is held to variables, constants, ``~``,
  comparisons, ``if`` and those filters: no loops, calls or arithmetic, and no attributes but
  ``call.<name>`` (a call variable, see below), so the output is at most the template plus its
  values (and is bounded again while rendering). In an endpoint each value is written
  percent-encoded, in a search action's text as plain words (:mod:`server.actions.sosl_text`).
- **JSON** (``data``, ``records``, ``body``): rendered leaf by leaf, keys never templated. A leaf
  that is exactly one variable (``"{{ email }}"``) takes the variable's typed value; any other
  string leaf renders to a string. A quote in a value cannot add a key: nothing is serialised
  by hand.

**Call variables** (``{{ call.id }}``, ``{{ call.caller_number }}``) are what the voice platform
says about the call (:mod:`server.toolkit.call`), never arguments: a template names one as
``call.<name>``, its uses are recorded under that dotted name (``"call.id"``: no argument can
have it), and the values passed to :meth:`TextTemplate.render` hold it under that key too.

SOQL templates are in :mod:`server.actions.soql_template`: they are parsed with this module's
sandboxed environment but never handed to Jinja's renderer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal
from urllib.parse import quote

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from server.actions.sosl_text import search_words
from server.errors import CallforceError
from server.values import FieldProblem, ValueCoercionError

#: Longest value a variable may carry (Salesforce's longest text area).
MAX_VALUE_CHARS = 131_072
#: Longest rendered text of one template.
MAX_RENDERED_CHARS = 1_000_000
#: Filters a text template may use; none of them can grow its input without bound.
FILTERS = ("default", "d", "trim", "lower", "upper", "title", "capitalize", "truncate")
_TESTS = ("defined", "undefined", "none")
_ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.Filter,
    nodes.Test, nodes.Keyword, nodes.Concat, nodes.CondExpr, nodes.If, nodes.Compare,
    nodes.Operand, nodes.And, nodes.Or, nodes.Not,
)  # fmt: skip
#: How a template writes its values: as they are, each percent-encoded (an endpoint), or each as
#: plain words of a SOSL search (a search action's text).
Mode = Literal["text", "url", "search"]
#: What a template variable's name may be.
VARIABLE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
#: The name under which templates read the call variables: ``{{ call.id }}``.
CALL = "call"
_BARE_CALL = (
    "'call' is reserved: it holds the call variables the voice platform sends; "
    "write call.<name>, e.g. {{ call.id }}"
)


def call_variable(name: str) -> str | None:
    """The call variable a template variable stands for (``"call.id"`` → ``"id"``), else None."""
    head, dot, rest = name.partition(".")
    return rest if head == CALL and dot else None


def name_problem(name: str) -> str | None:
    """Why ``name`` (``email``, ``call.id``) cannot be a template variable, or None."""
    if name == CALL:
        return _BARE_CALL
    usable = VARIABLE_NAME.fullmatch(call_variable(name) or name)
    return None if usable else f"'{name}' is not a usable variable name"


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


def _search_finalize(value: Any) -> str:
    # Each value is plain words: no SOSL operator, wildcard, quote or brace of the caller's.
    return search_words(str(_finalize(value)))


_FINALIZE = {"text": _finalize, "url": _url_finalize, "search": _search_finalize}


@functools.cache
def sandbox(mode: Mode) -> ImmutableSandboxedEnvironment:
    """The immutable sandbox templates render in (``url``: each value percent-encoded)."""
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        finalize=_FINALIZE[mode],
    )
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.tests = {name: env.tests[name] for name in _TESTS}
    env.globals.clear()
    return env


@functools.lru_cache(maxsize=1024)
def _compiled(mode: Mode, source: str) -> jinja2.Template:
    return sandbox(mode).from_string(source)


def _check_tree(node: nodes.Node) -> None:
    if isinstance(node, nodes.Getattr):
        # The one attribute there is: call.<name>, read (nothing below it is visited).
        if not (
            isinstance(node.node, nodes.Name)
            and node.node.name == CALL
            and node.node.ctx == "load"
            and node.ctx == "load"
            and VARIABLE_NAME.fullmatch(node.attr)
        ):
            raise TemplateError(
                "attributes are not allowed: templates read only call.<name> (a call variable)"
            )
        return
    if isinstance(node, nodes.Name) and node.name == CALL:
        raise TemplateError(_BARE_CALL)
    if not isinstance(node, _ALLOWED_NODES):
        raise TemplateError(
            f"'{type(node).__name__}' is not allowed: templates hold variables, call.<name>, "
            f"constants, ~, comparisons, if, and the filters {', '.join(FILTERS)}"
        )
    if isinstance(node, nodes.Name) and (
        node.ctx != "load" or not VARIABLE_NAME.fullmatch(node.name)
    ):
        raise TemplateError(f"'{node.name}' is not a usable variable name")
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        raise TemplateError(f"the filter '{node.name}' is not available; use {', '.join(FILTERS)}")
    if isinstance(node, nodes.Test) and node.name not in _TESTS:
        raise TemplateError(f"the test '{node.name}' is not available; use {', '.join(_TESTS)}")
    for child in node.iter_child_nodes():
        _check_tree(child)


def parse_template(source: str) -> nodes.Template:
    """The syntax tree of ``source``; TemplateError (with its line) when it is not Jinja2."""
    try:
        return sandbox("text").parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template syntax error on line {exc.lineno}: {exc.message}") from None


@dataclass(frozen=True, slots=True)
class TextTemplate:
    """One string of the action file: a constant, exactly one variable, or text to render."""

    source: str
    #: The variables it reads; a call variable as ``call.<name>``.
    variables: frozenset[str]
    #: The variable when the string is exactly ``{{ name }}`` or ``{{ call.<name> }}`` (it keeps
    #: its typed value).
    whole: str | None
    mode: Mode = "text"
    #: True when the string has no template syntax at all: it is used as written.
    static: bool = False

    @classmethod
    def parse(cls, source: str, *, mode: Mode = "text") -> TextTemplate:
        """Check ``source`` against the allowed subset; TemplateError says what is wrong."""
        if not any(mark in source for mark in ("{{", "{%", "{#")):
            return cls(source, frozenset(), None, mode, static=True)
        tree = parse_template(source)
        _check_tree(tree)
        names = frozenset(
            {name.name for name in tree.find_all(nodes.Name) if name.name != CALL}
            | {f"{CALL}.{read.attr}" for read in tree.find_all(nodes.Getattr)}
        )
        whole = None
        match tree.body:
            # In a URL every value is encoded, so none is ever used as it is.
            case [nodes.Output(nodes=[nodes.Name(name=name)])] if mode == "text":
                whole = name
            case [nodes.Output(nodes=[nodes.Getattr(attr=attr)])] if mode == "text":
                whole = f"{CALL}.{attr}"
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
            for chunk in template.generate(_context(values)):
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


def _context(values: Mapping[str, Any]) -> dict[str, Any]:
    """What Jinja renders with: the variables, and the call variables as attributes of ``call``
    (a namespace with no methods of its own: ``call.items`` is a call variable or nothing)."""
    plain: dict[str, Any] = {}
    calls: dict[str, Any] = {}
    for name, value in values.items():
        called = call_variable(name)
        if called is None:
            plain[name] = value
        else:
            calls[called] = value
    return plain | {CALL: SimpleNamespace(**calls)}


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
