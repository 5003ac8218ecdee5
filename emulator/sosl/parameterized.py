"""Parameterized search (``/parameterizedSearch``, v36.0+): its parameters as a SOSL statement.

Salesforce presents the resource as SOSL without the syntax ("replacing FIND searchString IN ALL
FIELDS by just including the search string"); the emulator writes the statement the parameters
describe and runs it through :mod:`emulator.sosl`. Parameters served (REST API Developer Guide,
"Search with Parameters in the URI" and "… in the Request Body"):

==================  =====================  ===================================================
GET                 POST body              meaning
==================  =====================  ===================================================
``q``               ``q``                  the search string (required, no braces); SOSL's
                                           operators, quotes and wildcards apply
``in``              ``in``                 ``ALL`` (default), ``NAME``, ``EMAIL``, ``PHONE``,
                                           ``SIDEBAR``
``sobject`` (rep.)  ``sobjects[].name``    the objects; none: every searchable one, ids only
``fields``          ``fields``             fields of every object (comma-separated / array);
                                           none: ``Id``
``Obj.fields``      ``sobjects[].fields``  fields of one object, instead of ``fields``
``Obj.where``       ``sobjects[].where``   a SOQL condition on one object
``Obj.orderBy``     ``sobjects[].orderBy`` ``Field [ASC|DESC] [NULLS_FIRST|NULLS_LAST], …``
``Obj.limit``       ``sobjects[].limit``   rows of one object
``defaultLimit``    ``defaultLimit``       rows of each object without its own limit
``overallLimit``    ``overallLimit``       rows in all
``offset``          ``offset``             the first row returned; one object only
==================  =====================  ===================================================

Limits and offsets are whole numbers (JSON numbers or strings); ``defaultLimit`` and
``overallLimit`` are at most 2000 (a larger one counts as 2000). Accepted and ignored, as the demo
org has no Knowledge, divisions, sites or price books: ``dataCategory``, ``dataCategories``,
``division``, ``metadata``, ``netWorkIds``, ``pricebookId``, ``snippet``, ``spellCorrection``,
``updateTracking``, ``updateViewStat``. Parameter names are matched in any case (a recorded
request sends ``sObject``).

Refusals [U: Salesforce's codes and texts]: no ``q``, or one of fewer than two letters or
digits, is MALFORMED_SEARCH "search term must be longer than one character"; a limit or offset
that is not a whole number, and ``offset`` with other than one object, are MALFORMED_SEARCH; a
POST body value of the wrong JSON type is JSON_PARSER_ERROR. Refusals of the statement itself
(an unknown object or field, a bad ``where``) keep their code and explanation, without the echo
of a statement the client never wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from emulator.sosl.compiler import MAX_RECORDS
from emulator.sosl.errors import MALFORMED_SEARCH, TERM_TOO_SHORT, SoslError, malformed
from emulator.sosl.terms import escape

_NULLS = re.compile(r"\bnulls_(first|last)\b", re.IGNORECASE)


@dataclass(slots=True)
class ObjectParameters:
    """What the parameters say about one object."""

    name: str
    fields: list[str] | None = None
    where: str | None = None
    order_by: str | None = None
    limit: int | None = None


@dataclass(slots=True)
class SearchParameters:
    """A parameterized search, from the query string or the body."""

    q: str
    scope: str = "ALL"
    objects: list[ObjectParameters] = field(default_factory=list)
    fields: list[str] | None = None
    default_limit: int | None = None
    overall_limit: int | None = None
    offset: int | None = None


def _whole(name: str, value: Any, *, cap: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise malformed(f"{name} must be a whole number: {value}")
    text = str(value).strip()
    if not text.isdigit():
        raise malformed(f"{name} must be a whole number: {value}")
    number = int(text)
    return min(number, cap) if cap is not None else number


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def from_query(items: Iterable[tuple[str, str]]) -> SearchParameters:
    """The parameters of a ``GET /parameterizedSearch`` query string."""
    pairs = list(items)
    first: dict[str, str] = {}
    for key, value in pairs:
        first.setdefault(key.lower(), value)
    names = [value for key, value in pairs if key.lower() == "sobject" and value.strip()]
    objects = {name.lower(): ObjectParameters(name.strip()) for name in names}
    for key, value in pairs:
        prefix, _, attribute = key.rpartition(".")
        target = objects.get(prefix.lower())
        if target is None:
            continue
        attribute = attribute.lower()
        if attribute == "fields":
            target.fields = _csv(value)
        elif attribute == "where":
            target.where = value
        elif attribute == "orderby":
            target.order_by = value
        elif attribute == "limit":
            target.limit = _whole(key, value)
    fields = _csv(first["fields"]) if "fields" in first else None
    return _global(first, list(objects.values()), fields)


def _global(
    values: dict[str, Any], objects: list[ObjectParameters], fields: list[str] | None
) -> SearchParameters:
    q = values.get("q")
    if not isinstance(q, str):
        raise _wrong_type("q", q) if q is not None else malformed(TERM_TOO_SHORT)
    scope = values.get("in", "ALL")
    if not isinstance(scope, str):
        raise _wrong_type("in", scope)
    return SearchParameters(
        q=q,
        scope=scope.strip().upper() or "ALL",
        objects=objects,
        fields=fields,
        default_limit=_optional(values, "defaultLimit", MAX_RECORDS),
        overall_limit=_optional(values, "overallLimit", MAX_RECORDS),
        offset=_optional(values, "offset", None),
    )


def _optional(values: dict[str, Any], name: str, cap: int | None) -> int | None:
    value = values.get(name.lower())
    return None if value is None else _whole(name, value, cap=cap)


def _wrong_type(name: str, value: Any) -> SoslError:
    return SoslError("JSON_PARSER_ERROR", f"Cannot deserialize {name} from value {value!r}")


def _strings(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _wrong_type(name, value)
    return value


def from_body(body: dict[str, Any]) -> SearchParameters:
    """The parameters of a ``POST /parameterizedSearch`` JSON body (an object)."""
    values = {key.lower(): value for key, value in body.items()}
    raw_objects = values.get("sobjects") or []
    if not isinstance(raw_objects, list):
        raise _wrong_type("sobjects", raw_objects)
    objects = []
    for raw in raw_objects:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise _wrong_type("sobjects", raw)
        item = {key.lower(): value for key, value in raw.items()}
        for text in ("where", "orderby"):
            if item.get(text) is not None and not isinstance(item[text], str):
                raise _wrong_type(text, item[text])
        objects.append(
            ObjectParameters(
                name=item["name"],
                fields=_strings("fields", item["fields"]) if item.get("fields") else None,
                where=item.get("where"),
                order_by=item.get("orderby"),
                limit=_whole("limit", item["limit"]) if item.get("limit") is not None else None,
            )
        )
    fields = _strings("fields", values["fields"]) if values.get("fields") else None
    return _global(values, objects, fields)


def statement(parameters: SearchParameters) -> str:
    """The SOSL statement the parameters describe."""
    if parameters.offset is not None and len(parameters.objects) != 1:
        raise SoslError(MALFORMED_SEARCH, "offset can be used with exactly one sobject")
    parts = [f"FIND {{{escape(parameters.q)}}}", f"IN {parameters.scope} FIELDS"]
    specs = []
    for target in parameters.objects:
        inner = ", ".join(target.fields or parameters.fields or ["Id"])
        if target.where:
            inner += f" WHERE {target.where}"
        if target.order_by:
            inner += " ORDER BY " + _NULLS.sub(r"NULLS \1", target.order_by)
        limit = target.limit if target.limit is not None else parameters.default_limit
        if limit is not None:
            inner += f" LIMIT {limit}"
        if parameters.offset is not None:
            inner += f" OFFSET {parameters.offset}"
        specs.append(f"{target.name}({inner})")
    if specs:
        parts.append("RETURNING " + ", ".join(specs))
    if parameters.overall_limit is not None:
        parts.append(f"LIMIT {parameters.overall_limit}")
    return " ".join(parts)
