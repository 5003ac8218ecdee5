"""What the function-calling converters of LLM platforms demand of a tool's input schema, as
checks that return the problems they find (an empty list: the schema passes).

- :func:`gemini_problems`: google-genai's ``types.Schema`` (pydantic, unknown keys forbidden —
  how ``properties.soql.examples  Extra inputs are not permitted`` came about), and the
  conversion its MCP support runs on a tool's ``inputSchema`` (``JSONSchema`` →
  ``Schema.from_json_schema``) with unsupported fields refused and no description lost.
  google-genai's MCP helper filters the schema first, and that filter crashes on any boolean
  ``additionalProperties`` (googleapis/python-genai#2393, open), the value strict mode needs; so
  the conversion is run on the schema itself.
- :func:`openai_strict_problems`: OpenAI's documented strict-mode rules ("Supported schemas"):
  every object has ``additionalProperties: false`` and lists every property in ``required``
  (optional ones admit null), the root is an object and not ``anyOf``, and only the supported
  keywords appear (strings: pattern, format; numbers: minimum, maximum, exclusive bounds,
  multipleOf; arrays: minItems, maxItems; no allOf/not/if).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from google.genai import types
from mcp.types import Tool
from pydantic import ValidationError

#: Keywords OpenAI's strict mode accepts (its "Supported schemas" list).
OPENAI_STRICT_KEYWORDS = frozenset(
    {
        "type",
        "description",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$defs",
        "$ref",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
_OPENAI_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})


def subschemas(schema: Mapping[str, Any], where: str = "") -> Iterator[tuple[str, Any]]:
    """Every schema inside ``schema``, itself first, with where it is."""
    yield where or "(root)", schema
    for name, sub in (schema.get("properties") or {}).items():
        yield from subschemas(sub, f"{where}.{name}")
    for index, sub in enumerate(schema.get("anyOf") or ()):
        yield from subschemas(sub, f"{where}.anyOf[{index}]")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), Mapping):
            yield from subschemas(schema[key], f"{where}.{key}")
    for name, sub in (schema.get("$defs") or {}).items():
        yield from subschemas(sub, f"{where}.$defs.{name}")


def descriptions(schema: Mapping[str, Any]) -> list[str]:
    """Every description in a schema, sorted."""
    return sorted(
        sub["description"]
        for _, sub in subschemas(schema)
        if isinstance(sub, Mapping) and "description" in sub
    )


def _dumped_descriptions(schema: types.Schema) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("description"), str):
                found.append(node["description"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema.model_dump(exclude_none=True))
    return sorted(found)


def gemini_problems(schema: Mapping[str, Any]) -> list[str]:
    """Why google-genai would refuse ``schema`` or lose part of it (nothing: it is fine)."""
    problems = []
    try:
        types.Schema.model_validate(schema)
    except ValidationError as exc:
        problems.append(f"types.Schema: {exc}")
    try:
        converted = types.Schema.from_json_schema(
            json_schema=types.JSONSchema.model_validate(schema),
            raise_error_on_unsupported_field=True,
        )
    except (ValidationError, ValueError) as exc:
        problems.append(f"Schema.from_json_schema: {exc}")
    else:
        lost = set(descriptions(schema)) - set(_dumped_descriptions(converted))
        if lost:
            problems.append(f"Schema.from_json_schema drops the descriptions {sorted(lost)}")
    return problems


def openai_strict_problems(schema: Mapping[str, Any]) -> list[str]:
    """Why OpenAI's strict function mode would refuse ``schema`` (nothing: it is strict-ready)."""
    problems = []
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("(root): must be an object, not anyOf")
    for where, sub in subschemas(schema):
        if not isinstance(sub, Mapping):
            problems.append(f"{where}: a schema must be an object")
            continue
        unknown = set(sub) - OPENAI_STRICT_KEYWORDS
        if unknown:
            problems.append(f"{where}: unsupported keywords {sorted(unknown)}")
        if not ({"type", "anyOf", "enum", "const", "$ref"} & sub.keys()):
            problems.append(f"{where}: no type (a free-form value)")
        kinds = sub.get("type")
        problems += [
            f"{where}: unknown type {kind!r}"
            for kind in (kinds if isinstance(kinds, list) else [kinds])
            if kind is not None and kind not in _TYPES
        ]
        if "format" in sub and sub["format"] not in _OPENAI_FORMATS:
            problems.append(f"{where}: unsupported format {sub['format']!r}")
        if sub.get("type") == "object" or "properties" in sub:
            if sub.get("additionalProperties") is not False:
                problems.append(f"{where}: additionalProperties must be false")
            missing = set(sub.get("properties") or {}) - set(sub.get("required") or ())
            if missing:
                problems.append(f"{where}: not in required: {sorted(missing)}")
    return problems


def definition_size(tool: Tool) -> int:
    """What an agent reads of a tool's definition: name, description, input schema."""
    return len(tool.name) + len(tool.description or "") + len(json.dumps(tool.input_schema))


def is_closed(schema: Mapping[str, Any]) -> bool:
    """Whether a schema declares the shape of every value (no free-form object or value)."""
    for _, sub in subschemas(schema):
        if not ({"type", "anyOf", "enum", "const", "$ref"} & sub.keys()):
            return False
        if (sub.get("type") == "object" or "properties" in sub) and sub.get(
            "additionalProperties"
        ) is not False:
            return False
    return True
