"""sObject rows: ``/services/data/vXX.X/sobjects/{Obj}[/{Id} | /{ExtIdField}/{value}]``.

* ``POST /sobjects/{Obj}`` (also ``…/{Obj}/`` and, v37+, ``…/{Obj}/Id``) → 201 with
  ``Location`` and ``{"id","success":true,"errors":[]}``.
* ``GET``/``HEAD /sobjects/{Obj}/{Id}`` (15 or 18 characters) → 200: ``attributes``, then every
  field in describe order, nulls included, addresses as objects built from their components;
  ``ETag`` and ``Last-Modified``; ``If-None-Match``/``If-Modified-Since`` → 304.
  ``?fields=A,B`` → ``attributes``, A and B in the order asked, then ``Id`` when it was not
  asked for (what Salesforce does, per restforce's fixture).
* ``PATCH``/``DELETE /sobjects/{Obj}/{Id}`` → 204 (delete is soft: ``IsDeleted`` = true).
* ``GET``/``DELETE /sobjects/{Obj}/{Field}/{value}`` — by an external id, ``Id`` or an
  idLookup field such as Contact.Email → 200/204; 300 + JSON array of record URLs when several
  records match.
* ``PATCH /sobjects/{Obj}/{Field}/{value}`` — upsert → from v46.0 201 ``created:true`` / 200
  ``created:false``, both with ``Location``; up to v45.0 201 without ``created`` / 204.
  ``?updateOnly=true`` with no match → 404.

Errors: unknown object → 404 NOT_FOUND; a path id that is not 15/18 alphanumerics → 404
"Provided external ID field does not exist or is not accessible: <value>"; a well-formed id that
is unknown, deleted or of another object → 404 "The requested resource does not exist"; a
field that is not an external id → 404 "Provided external ID field …: <Field>"; wrong method →
405 with this resource's ``Allow`` list. The value after ``/{Field}/`` is the path percent-decoded
once (``{value:path}`` keeps an encoded ``%2F`` as ``/`` inside the value).

``GET /sobjects/{Obj}`` and ``/{Obj}/describe`` belong to :mod:`emulator.describe_endpoints`
(registered earlier); this module's catch-all for ``/sobjects/{Obj}`` only answers POST and 405s.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, request_response
from starlette.types import Receive, Scope, Send

from emulator.errors import SalesforceError, not_found
from emulator.external_ids import external_id_field, find_by_field
from emulator.field_values import TEXT, JsonOrigin, cannot_deserialize, json_location, read_value
from emulator.ids import is_well_formed
from emulator.object_rules import ObjectRules
from emulator.request_context import api_version, org_of, read_json
from emulator.responses import JSON_MEDIA_TYPE, dumps, empty_response, json_response
from emulator.schema import ObjectSchema
from emulator.store import Record
from emulator.writes import AmbiguousExternalIdError, rule_book, writer_for

_OBJECT_METHODS = "GET,HEAD,POST"
_RECORD_METHODS = "HEAD,GET,PATCH,DELETE"
_NO_SUCH_FIELD = "Provided external ID field does not exist or is not accessible: "


class AnyMethod:
    """An endpoint that receives every HTTP method, so it answers 405s with Salesforce's
    ``Allow`` list (Starlette's own 405 lists methods as ``GET, HEAD``) and a route registered
    earlier for GET only (describe) still wins for GET."""

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self._app = request_response(handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def not_allowed(allowed: str) -> HTTPException:
    """405; the app renders METHOD_NOT_ALLOWED "HTTP Method 'X' not allowed. Allowed are …"."""
    return HTTPException(405, headers={"Allow": allowed})


def sobject_of(request: Request, name: str | None = None) -> ObjectSchema:
    """The object named in the path (any case), or 404 NOT_FOUND."""
    obj = org_of(request).schema.get_object(name or request.path_params["sobject"])
    if obj is None:
        raise not_found()
    return obj


def major_version(request: Request) -> int:
    """The request's API version as a whole number (``"62.0"`` → 62)."""
    return int(api_version(request).split(".")[0])


def require_version(request: Request, since: int) -> None:
    """NOT_FOUND unless the request's API version is ``since`` or later."""
    if major_version(request) < since:
        raise not_found()  # the resource did not exist yet in that version


def record_url(request: Request, obj: ObjectSchema, record_id: str) -> str:
    """``/services/data/vXX.X/sobjects/{Obj}/{id}``."""
    return f"/services/data/v{api_version(request)}/sobjects/{obj.name}/{record_id}"


async def json_object(request: Request, type_name: str) -> tuple[dict[str, Any], bytes]:
    """The body as a JSON object (and its raw bytes, for error positions)."""
    body = await read_json(request)
    raw = await request.body()
    if not isinstance(body, dict):
        raise cannot_deserialize(type_name, body, lambda: json_location(raw, ()))
    return body, raw


def render_record(
    rules: ObjectRules, record: Record, version: str, names: list[str] | None = None
) -> dict[str, Any]:
    """A record as Salesforce returns it: ``attributes`` first, then every field in describe
    order, or only ``names`` (already checked) followed by ``Id`` when it was not asked for."""
    obj = rules.obj
    body: dict[str, Any] = {
        "attributes": {
            "type": obj.name,
            "url": f"/services/data/v{version}/sobjects/{obj.name}/{record['Id']}",
        }
    }
    if names is None:
        for name, parts in rules.layout:
            body[name] = _value(rules, record, name, parts)
        return body
    layout = dict(rules.layout)
    for name in names:
        body[name] = _value(rules, record, name, layout[name])
    body.setdefault("Id", record["Id"])
    return body


def _value(
    rules: ObjectRules, record: Record, name: str, parts: tuple[tuple[str, str], ...] | None
) -> Any:
    if parts is not None:
        return {key: record.get(component) for key, component in parts}
    value = record.get(name)
    if value is None and name in rules.booleans:
        return False  # a checkbox is never null, even on records seeded without it
    return value


def field_names(obj: ObjectSchema, text: str) -> list[str]:
    """The API names of a ``fields=A,B`` list; INVALID_FIELD for an unknown one."""
    names = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        field = obj.field(item)
        if field is None:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"No such column '{item}' on entity '{obj.name}'. If you are attempting to use a "
                "custom field, be sure to append the '__c' after the custom field name. Please "
                "reference your WSDL or the describe call for the appropriate names.",
            )
        if field.name not in names:
            names.append(field.name)
    return names


def _find(request: Request, obj: ObjectSchema, record_id: str) -> Record:
    if not is_well_formed(record_id):
        raise not_found(_NO_SUCH_FIELD + record_id)
    record = org_of(request).store.get(obj.name, record_id)
    if record is None:
        raise not_found()
    return record


# --- handlers -----------------------------------------------------------------------------


async def object_root(request: Request) -> Response:
    """``/sobjects/{Obj}``: POST creates; GET is :mod:`emulator.describe_endpoints`'s."""
    obj = sobject_of(request)
    if request.method == "POST":
        return await _create(request, obj)
    if request.method in ("GET", "HEAD"):
        raise not_found()  # only reached when no describe route is registered
    raise not_allowed(_OBJECT_METHODS)


async def record_root(request: Request) -> Response:
    """``/sobjects/{Obj}/{Id}``: read, update, delete (and ``POST …/Id`` = create)."""
    obj = sobject_of(request)
    return await _record(request, obj, request.path_params["record_id"])


async def _record(request: Request, obj: ObjectSchema, record_id: str) -> Response:
    method = request.method
    if method == "POST" and record_id.lower() == "id":
        return await _create(request, obj)
    if record_id == "describe":  # GET is emulator.describe_endpoints'; other methods end up here
        raise not_allowed("GET,HEAD")
    if method not in ("GET", "HEAD", "PATCH", "DELETE"):
        raise not_allowed(_RECORD_METHODS)
    record = _find(request, obj, record_id)
    if method in ("GET", "HEAD"):
        return _read(request, obj, record)
    writer = writer_for(request)
    if method == "PATCH":
        body, raw = await json_object(request, obj.name)
        with writer.org.store.batch() as batch:
            writer.update(batch, obj, record, body, JsonOrigin(raw))
    else:
        with writer.org.store.batch() as batch:
            writer.delete(batch, obj, record)
    return empty_response(204)


async def by_external_id(request: Request) -> Response:
    """``/sobjects/{Obj}/{Field}/{value}``: read, upsert or delete by an external id."""
    obj = sobject_of(request)
    name, value = request.path_params["field"], request.path_params["value"]
    if value == "":  # ``/sobjects/{Obj}/{Id}/``: the record itself
        return await _record(request, obj, name)
    method = request.method
    if method not in ("GET", "HEAD", "PATCH", "DELETE"):
        raise not_allowed(_RECORD_METHODS)
    field = external_id_field(obj, name)
    if field is None:
        raise not_found(_NO_SUCH_FIELD + name)
    if method == "PATCH":
        return await _upsert(request, obj, field.name, value)
    if field.name == "Id":
        matches = [_find(request, obj, value)]
    else:
        typed = read_value(field, value, TEXT)
        matches = find_by_field(org_of(request).store, obj, field, typed)
    if not matches:
        raise not_found()
    if len(matches) > 1:
        return _multiple_choices(request, obj, [r["Id"] for r in matches])
    if method == "DELETE":
        writer = writer_for(request)
        with writer.org.store.batch() as batch:
            writer.delete(batch, obj, matches[0])
        return empty_response(204)
    return _read(request, obj, matches[0])


async def _create(request: Request, obj: ObjectSchema) -> Response:
    body, raw = await json_object(request, obj.name)
    writer = writer_for(request)
    with writer.org.store.batch() as batch:
        new_id = writer.insert(batch, obj, body, JsonOrigin(raw))
    return json_response(
        request,
        {"id": new_id, "success": True, "errors": []},
        201,
        {"Location": record_url(request, obj, new_id)},
    )


async def _upsert(request: Request, obj: ObjectSchema, field_name: str, value: str) -> Response:
    field = obj.fields[field_name]
    body, raw = await json_object(request, obj.name)
    typed = value if field.name == "Id" else read_value(field, value, TEXT)
    update_only = request.query_params.get("updateOnly", "").lower() == "true"
    writer = writer_for(request)
    try:
        with writer.org.store.batch() as batch:
            record_id, created = writer.upsert(
                batch, obj, field, typed, body, JsonOrigin(raw), update_only=update_only
            )
    except AmbiguousExternalIdError as exc:
        return _multiple_choices(request, obj, exc.ids)
    location = {"Location": record_url(request, obj, record_id)}
    result: dict[str, Any] = {"id": record_id, "success": True, "errors": []}
    if major_version(request) < 46:
        # Before v46.0 an update answered 204 and no answer carried "created".
        if created:
            return json_response(request, result, 201, location)
        return empty_response(204)
    result["created"] = created
    return json_response(request, result, 201 if created else 200, location)


def _multiple_choices(request: Request, obj: ObjectSchema, ids: list[str]) -> Response:
    return json_response(request, [record_url(request, obj, i) for i in ids], 300)


def _read(request: Request, obj: ObjectSchema, record: Record) -> Response:
    rules = rule_book(request)[obj]
    wanted = request.query_params.get("fields")
    names = field_names(obj, wanted) if wanted is not None else None
    body = render_record(rules, record, api_version(request), names)
    payload = dumps(body)
    etag = '"' + base64.b64encode(hashlib.sha256(payload).digest()).decode() + '--gzip"'
    headers = {"ETag": etag}
    modified = _modified(record)
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    if _not_modified(request, etag, modified):
        return empty_response(304, headers)
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type=JSON_MEDIA_TYPE)
    if request.headers.get("x-prettyprint", "") in ("", "0", "false"):
        # Compact, as responses.json_response would send it: reuse the bytes hashed for the ETag.
        return Response(payload, 200, headers, media_type=JSON_MEDIA_TYPE)
    return json_response(request, body, 200, headers)


def _modified(record: Record) -> dt.datetime | None:
    stamp = record.get("LastModifiedDate") or record.get("CreatedDate")
    if not isinstance(stamp, str):
        return None
    try:
        return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def _not_modified(request: Request, etag: str, modified: dt.datetime | None) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        return etag in (tag.strip() for tag in match.split(","))
    since = request.headers.get("if-modified-since")
    if since is None or modified is None:
        return False
    try:
        return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def routes() -> list[BaseRoute]:
    """The routes of this module; methods are dispatched here so 405s list Salesforce's."""
    base = "/services/data/v{version}/sobjects"
    return [
        Route(f"{base}/{{sobject}}", AnyMethod(object_root)),
        Route(f"{base}/{{sobject}}/", AnyMethod(object_root)),
        Route(f"{base}/{{sobject}}/{{record_id}}", AnyMethod(record_root)),
        Route(f"{base}/{{sobject}}/{{field}}/{{value:path}}", AnyMethod(by_external_id)),
    ]
