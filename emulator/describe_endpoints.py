"""Describe endpoints (CONTRACT.md §3).

- ``GET /services/data/vXX.X/sobjects`` — describeGlobal: ``{"encoding", "maxBatchSize",
  "sobjects": [...]}``, one entry per object with the describeGlobal keys.
- ``GET /sobjects/{Obj}`` — basic info: ``{"objectDescribe": <the global entry>,
  "recentItems": [{attributes, Id, Name}…]}``. Only GET: ``POST`` there creates a record
  (:mod:`emulator.sobjects`).
- ``GET /sobjects/{Obj}/describe`` — the full describe.

Object names are case-insensitive; an unknown one is 404 NOT_FOUND. Describes come from the
packaged metadata, whose URLs hold ``{version}`` and ``{instance}`` placeholders: they become the
request's API version and base URL. Both describes carry ``ETag`` and ``Last-Modified`` as
Salesforce sends them, and answer 304 to a matching ``If-None-Match`` or ``If-Modified-Since``.

A rendered describe is cached per (object, version, instance, pretty) for as long as the app
lives: Account's describe is ~150 kB of JSON and tools describe on every call.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import heapq
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.errors import not_found
from emulator.request_context import api_version, org_of
from emulator.responses import JSON_MEDIA_TYPE, dumps, json_response
from emulator.schema import ObjectSchema, Schema

#: The keys of a describeGlobal entry besides ``urls``, in Salesforce's order. Describes
#: recorded before v5x lack the two association keys, which are null for these objects.
_GLOBAL_KEYS = (
    "activateable",
    "associateEntityType",
    "associateParentEntity",
    "createable",
    "custom",
    "customSetting",
    "deepCloneable",
    "deletable",
    "deprecatedAndHidden",
    "feedEnabled",
    "hasSubtypes",
    "isInterface",
    "isSubtype",
    "keyPrefix",
    "label",
    "labelPlural",
    "layoutable",
    "mergeable",
    "mruEnabled",
    "name",
    "queryable",
    "replicateable",
    "retrieveable",
    "searchable",
    "triggerable",
    "undeletable",
    "updateable",
)
#: Top-level keys every current (v58+) describe has; older recorded describes lack them.
_CURRENT_DESCRIBE_KEYS = {
    "associateEntityType": None,
    "associateParentEntity": None,
    "sobjectDescribeOption": "FULL",
}
#: describe ``urls`` that describeGlobal leaves out (UI links and defaultValues).
_DESCRIBE_ONLY_URLS = frozenset(
    {"uiDetailTemplate", "uiEditTemplate", "uiNewRecord", "defaultValues"}
)
#: Real v48 describes list a ``defaultValues`` url; the v58+ ones do not (versions in between
#: were not recorded), so the emulator drops it after v48.
_LAST_VERSION_WITH_DEFAULT_VALUES_URL = 48.0
_RECENT_ITEMS = 5
_MAX_RENDERED = 256


@dataclass(frozen=True, slots=True)
class _Rendered:
    """A describe body ready to send, with its entity tag."""

    body: bytes
    etag: str


class DescribeCache:
    """Rendered describes of one org's schema, built on first use.

    ``last_modified`` is when the metadata was loaded, i.e. when this org's schema was
    "deployed": it is what ``Last-Modified`` says and what ``If-Modified-Since`` is compared to.
    """

    def __init__(self) -> None:
        self.last_modified = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self._describes: dict[tuple[str, str, str, bool], _Rendered] = {}
        self._globals: dict[tuple[str, bool], _Rendered] = {}
        self._entries: dict[tuple[str, str], dict[str, Any]] = {}

    def describe(self, obj: ObjectSchema, version: str, instance: str, pretty: bool) -> _Rendered:
        """The full describe of ``obj``."""
        key = (obj.name, version, instance, pretty)
        found = self._describes.get(key)
        if found is None:
            raw = {**_CURRENT_DESCRIBE_KEYS, **obj.raw}
            if float(version) > _LAST_VERSION_WITH_DEFAULT_VALUES_URL:
                urls = raw.get("urls", {})
                raw["urls"] = {name: url for name, url in urls.items() if name != "defaultValues"}
            # Salesforce sends the top-level keys in alphabetical order.
            ordered = {name: raw[name] for name in sorted(raw)}
            compact = _substitute(dumps(ordered), version, instance)
            body = (
                _substitute(dumps(ordered, pretty=True), version, instance) if pretty else compact
            )
            if len(self._describes) >= _MAX_RENDERED:
                # The instance comes from the Host header: bound what a client can make us keep.
                self._describes.clear()
            found = self._describes[key] = _Rendered(body, _etag(compact))
        return found

    def global_entry(self, obj: ObjectSchema, version: str) -> dict[str, Any]:
        """``obj``'s describeGlobal entry (also basic info's ``objectDescribe``)."""
        key = (obj.name, version)
        entry = self._entries.get(key)
        if entry is None:
            entry = {name: obj.raw.get(name) for name in _GLOBAL_KEYS}
            entry["urls"] = {
                name: url.replace("{version}", version)
                for name, url in obj.raw.get("urls", {}).items()
                if name not in _DESCRIBE_ONLY_URLS
            }
            self._entries[key] = entry
        return entry

    def describe_global(self, schema: Schema, version: str, pretty: bool) -> _Rendered:
        """describeGlobal of every object of ``schema``."""
        found = self._globals.get((version, pretty))
        if found is None:
            body = {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [self.global_entry(schema[name], version) for name in sorted(schema)],
            }
            found = _Rendered(dumps(body, pretty=pretty), _etag(dumps(body)))
            self._globals[(version, pretty)] = found
        return found


def _substitute(body: bytes, version: str, instance: str) -> bytes:
    # str.replace, not format: the URLs also hold a literal "{ID}".
    escaped = json.dumps(instance)[1:-1]
    return body.replace(b"{version}", version.encode()).replace(b"{instance}", escaped.encode())


def _etag(body: bytes) -> str:
    # Salesforce's describe ETags are 8 hex digits; its edge appends "--gzip" when it compresses.
    return f'"{zlib.crc32(body):08x}--gzip"'


def _bare_tag(tag: str) -> str:
    tag = tag.strip().removeprefix("W/").strip('"')
    return tag.removesuffix("--gzip")


def _not_modified(request: Request, etag: str, last_modified: dt.datetime) -> bool:
    """Whether the client's copy is current (RFC 9110: If-None-Match wins over the date)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        wanted = _bare_tag(etag)
        return any(t.strip() == "*" or _bare_tag(t) == wanted for t in if_none_match.split(","))
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return last_modified <= since


def _send(request: Request, rendered: _Rendered, cache: DescribeCache) -> Response:
    headers = {
        "ETag": rendered.etag,
        "Last-Modified": email.utils.format_datetime(cache.last_modified, usegmt=True),
    }
    if _not_modified(request, rendered.etag, cache.last_modified):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, headers=headers, media_type=JSON_MEDIA_TYPE)


def _pretty(request: Request) -> bool:
    return request.headers.get("x-prettyprint", "") not in ("", "0", "false")


def _instance(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _object(request: Request) -> ObjectSchema:
    obj = org_of(request).schema.get_object(request.path_params["sobject"])
    if obj is None:
        raise not_found()
    return obj


def _recent_items(request: Request, obj: ObjectSchema, version: str) -> list[dict[str, Any]]:
    """The most recently touched records, newest first, as ``{attributes, Id, <name>}``.

    Salesforce lists what the user viewed last; the emulator does not track views, so it uses
    ``LastViewedDate`` when a record has one and its last modification otherwise.
    """
    name_field = (
        "Name"
        if obj.field("Name")
        else next((f.name for f in obj.fields.values() if f.name_field), "Id")
    )

    def touched(record: Mapping[str, Any]) -> str:
        return str(record.get("LastViewedDate") or record.get("LastModifiedDate") or "")

    records = org_of(request).store.records(obj.name)
    return [
        {
            "attributes": {
                "type": obj.name,
                "url": f"/services/data/v{version}/sobjects/{obj.name}/{record['Id']}",
            },
            "Id": record["Id"],
            name_field: record.get(name_field),
        }
        for record in heapq.nlargest(_RECENT_ITEMS, records, key=touched)
    ]


def routes() -> list[BaseRoute]:
    """The describe routes, sharing one :class:`DescribeCache` per app."""
    cache = DescribeCache()

    async def describe_global(request: Request) -> Response:
        """describeGlobal."""
        schema = org_of(request).schema
        return _send(
            request, cache.describe_global(schema, api_version(request), _pretty(request)), cache
        )

    async def basic_info(request: Request) -> Response:
        """An object's describeGlobal entry and its recent records."""
        obj = _object(request)
        version = api_version(request)
        body = {
            "objectDescribe": cache.global_entry(obj, version),
            "recentItems": _recent_items(request, obj, version),
        }
        return json_response(request, body)

    async def describe(request: Request) -> Response:
        """The full describe of an object."""
        obj = _object(request)
        rendered = cache.describe(obj, api_version(request), _instance(request), _pretty(request))
        return _send(request, rendered, cache)

    base = "/services/data/v{version}/sobjects"
    return [
        Route(base, describe_global, methods=["GET"]),
        Route(f"{base}/", describe_global, methods=["GET"]),
        Route(f"{base}/{{sobject}}", basic_info, methods=["GET"]),
        Route(f"{base}/{{sobject}}/", basic_info, methods=["GET"]),
        Route(f"{base}/{{sobject}}/describe", describe, methods=["GET"]),
        Route(f"{base}/{{sobject}}/describe/", describe, methods=["GET"]),
    ]
