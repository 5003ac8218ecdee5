"""What an agent reads: compact result text, and tool schemas every LLM converter accepts.

A voice agent reads every character of a tool's definition and result before it can answer the
caller, and several platforms pass on only the result's text (never its structured content) and
never the server's instructions. So the text of a result is short and never a dump of the
structured content: values without indentation, without Salesforce's ``attributes`` and without
nulls (:func:`compact_json`), or a table (:func:`table`); the structured content stays complete.

:func:`portable_schema` turns the JSON schema pydantic makes of a tool's arguments into one that
Gemini's ``Schema``, OpenAI's strict function mode and the other function-calling converters
accept: only the keywords they all know (no ``title``, ``examples``, ``default``, length bounds,
exclusive bounds or ``$ref``), every object closed unless it is a free-form map, and, when the
arguments hold no free-form map, every property required (optional ones admit null), as strict
mode wants.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: The keywords the schemas keep: those OpenAI's strict mode and Gemini's Schema both accept.
#: Length bounds, defaults and examples are left out (the server still enforces the bounds);
#: ``const`` becomes a one-value ``enum``.
PORTABLE_KEYWORDS = frozenset(
    {
        "type",
        "description",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "anyOf",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
    }
)
_NULL = {"type": "null"}


# -- result text -------------------------------------------------------------------------------


def compact(value: Any) -> Any:
    """``value`` without nulls in objects and without Salesforce's ``attributes`` objects."""
    if isinstance(value, Mapping):
        return {
            key: compact(item)
            for key, item in value.items()
            if item is not None and not (key == "attributes" and isinstance(item, Mapping))
        }
    if isinstance(value, list | tuple):
        return [compact(item) for item in value]
    return value


def compact_json(value: Any) -> str:
    """``value`` as one line of JSON: :func:`compact`, no spaces, characters as they are."""
    return json.dumps(compact(value), ensure_ascii=False, separators=(",", ":"), default=str)


def cell(value: Any) -> str:
    """One value as a table cell: text as it is unless it could be misread, JSON otherwise."""
    if value is None:
        return ""
    if type(value) is str:
        # Plain substring checks: several times faster than one regex, on every cell of a page.
        plain = (
            value
            and not value[0].isspace()
            and not value[-1].isspace()
            and "|" not in value
            and '"' not in value
            and "\n" not in value
            and "\r" not in value
        )
        return value if plain else json.dumps(value, ensure_ascii=False)
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    return compact_json(value)


def _flat(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A row's cells; a parent record's fields as ``Account.Name`` (``attributes`` left out)."""
    cells: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            if key != "attributes":
                cells.update(_flat(value, f"{prefix}{key}."))
        else:
            cells[f"{prefix}{key}"] = value
    return cells


def table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as a header line of column names, then one line per row, ``|`` between cells.

    A parent record's fields become ``Account.Name`` columns, a list (a child subquery) one JSON
    cell; null is an empty cell and text that could be misread is quoted as JSON.
    """
    # map() and set() keep the per-value work in C: this runs on every page of up to 200 rows.
    nested = any(dict in map(type, row.values()) for row in rows)
    flat = [_flat(row) for row in rows] if nested else rows
    first = flat[0].keys() if flat else {}.keys()
    columns: dict[str, None] = dict.fromkeys(first)
    if any(row.keys() != first for row in flat):
        for row in flat:
            columns.update(dict.fromkeys(row))
    names = list(columns)
    if nested:
        # A parent that is null in some rows and a record in others: keep its fields' columns.
        names = [
            name
            for name in names
            if not (
                any(other.startswith(f"{name}.") for other in columns)
                and all(row.get(name) is None for row in flat)
            )
        ]
    columns_cells = [_column([row.get(name) for row in flat]) for name in names]
    lines = ["|".join(names)]
    lines += ["|".join(cells) for cells in zip(*columns_cells, strict=True)]
    return "\n".join(lines)


def _column(values: list[Any]) -> list[str]:
    """A column's cells. Text that needs no quoting, the usual case, is checked for the whole
    column at once (a page is up to 200 rows, read on every call)."""
    if values and set(map(type, values)) == {str}:
        blob = "\x00".join(values)
        if not (
            any(mark in blob for mark in _MISREADABLE)
            or blob[0].isspace()
            or blob[-1].isspace()
            or blob.startswith("\x00")
            or blob.endswith("\x00")
            or blob.count("\x00") != len(values) - 1
        ):
            return values
    return [cell(value) for value in values]


#: What makes text in a cell ambiguous: the separator, quotes, line breaks, a tab, or (around
#: the \x00 that joins a column's values) an empty value or one with spaces at an edge.
_MISREADABLE = ("|", '"', "\n", "\r", "\t", "\x00\x00", "\x00 ", " \x00")


def said_with(description: str | None, note: str) -> str:
    """``description`` followed by the sentence ``note`` (a default, an example)."""
    text = (description or "").rstrip()
    if text and text[-1] not in ".!?":
        text += "."
    return f"{text} {note}".strip()


# -- portable schemas --------------------------------------------------------------------------


def portable_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A tool's argument schema in the keywords every function-calling converter accepts.

    The top-level object is closed (``additionalProperties: false``), as is every object with
    declared properties; ``$ref`` is inlined. When no free-form map is left (:func:`is_closed`),
    every property of every object is listed in ``required``, for OpenAI's strict mode: the
    optional ones already admit null. Otherwise an optional property's ``anyOf [X, null]``
    becomes ``X``: leaving it out says the same, in fewer words. A nullable property's
    description goes inside its ``X`` (google-genai keeps only that part of it).
    """
    defs: Mapping[str, Any] = schema.get("$defs") or {}
    portable = _portable(schema, defs)
    portable["type"] = "object"
    portable.setdefault("properties", {})
    portable["additionalProperties"] = False
    if is_closed(portable):
        _require_all(portable)
    else:
        _drop_optional_nulls(portable)
    _describe_inside_nullables(portable)
    if not portable.get("required"):
        portable.pop("required", None)
    return portable


def _portable(node: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        node = {**defs[ref.rsplit("/", 1)[-1]], **siblings}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _portable(sub, defs) for name, sub in value.items()}
        elif key == "items" or (key == "additionalProperties" and isinstance(value, Mapping)):
            out[key] = _portable(value, defs)
        elif key == "anyOf":
            out[key] = [_portable(sub, defs) for sub in value]
        elif key == "const":
            out["enum"] = [value]
        elif key == "additionalProperties" and value is True:
            continue  # absent says the same, in fewer words
        elif key in PORTABLE_KEYWORDS:
            out[key] = value
    if "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def _children(node: Mapping[str, Any]) -> Iterable[Any]:
    yield from (node.get("properties") or {}).values()
    yield from node.get("anyOf") or ()
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), Mapping):
            yield node[key]


def is_closed(node: Mapping[str, Any]) -> bool:
    """Whether every value the schema admits has a declared shape: no free-form object (open
    ``additionalProperties``) and no untyped value (``{}``) anywhere in it."""
    if not ({"type", "anyOf", "enum"} & node.keys()):
        return False
    if (node.get("type") == "object" or "properties" in node) and node.get(
        "additionalProperties", True
    ) is not False:
        return False
    return all(is_closed(child) for child in _children(node))


def _require_all(node: dict[str, Any]) -> None:
    if "properties" in node:
        node["required"] = list(node["properties"])
    for child in _children(node):
        _require_all(child)


def _describe_inside_nullables(node: dict[str, Any]) -> None:
    """Move the description of an ``anyOf [X, null]`` into ``X``: google-genai turns such a
    property into ``X`` made nullable and drops what stood beside the ``anyOf``."""
    arms = node.get("anyOf")
    if isinstance(arms, list) and "description" in node:
        typed = [arm for arm in arms if arm != _NULL]
        if len(typed) == 1 and len(arms) == 2 and "description" not in typed[0]:
            typed[0]["description"] = node.pop("description")
    for child in _children(node):
        _describe_inside_nullables(child)


def _drop_optional_nulls(node: dict[str, Any]) -> None:
    required = set(node.get("required") or ())
    for name, prop in (node.get("properties") or {}).items():
        arms = prop.get("anyOf")
        if name not in required and isinstance(arms, list) and _NULL in arms:
            rest = [arm for arm in arms if arm != _NULL]
            prop.pop("anyOf")
            if len(rest) == 1:
                prop.update({**rest[0], **prop})
            else:
                prop["anyOf"] = rest
    for child in _children(node):
        _drop_optional_nulls(child)
