"""sObject Collections: ``/services/data/vXX.X/composite/sobjects`` (v42.0+; upsert v46.0+).

* ``POST`` create, ``PATCH`` update — body ``{"allOrNone": bool, "records": [...]}``.
* ``PATCH /composite/sobjects/{Obj}/{ExtIdField}`` upsert (``Id`` as the field: null → insert).
* ``DELETE ?ids=a,b&allOrNone=`` delete.
* ``GET /composite/sobjects/{Obj}?ids=&fields=`` (or ``POST`` with ``{"ids","fields"}``)
  retrieve: records in the order asked, ``null`` for an id that is unknown, deleted or malformed.

A well-formed request always answers **200** with one result per record, in request order:
``{"id","success":true,"errors":[]}`` (upserts add ``"created"``); a failed record carries no
``id`` and its error as ``{"statusCode","message","fields"}`` (failed upserts still carry
``"created": false``). Each record's problems — no ``attributes`` ("Nested object for
polymorphic foreign key must have an attributes field before any other fields.", as recorded),
unknown type, unknown field, bad value, unknown id — are per-record errors. Only a malformed
request is a 400: not JSON, not ``{"records": [...]}``, a record that is not an object, or more
than 200 records (``EXCEEDED_ID_LIMIT`` "record limit reached. cannot submit more than 200
records into this call").

``allOrNone`` (default false): every record is its own unit — a failed record writes nothing of
itself, the others are saved. With ``allOrNone: true`` the request is one
:meth:`~emulator.store.OrgStore.batch`: if any record fails, everything is undone, failed
records keep their own error and every other one reports ``ALL_OR_NONE_OPERATION_ROLLED_BACK``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.errors import SalesforceError, json_parser_error, not_found
from emulator.external_ids import external_id_field
from emulator.field_values import JsonOrigin, cannot_deserialize, json_location, read_value
from emulator.ids import normalize
from emulator.request_context import api_version, org_of, read_json
from emulator.responses import json_response
from emulator.schema import FieldSchema, ObjectSchema
from emulator.sobjects import (
    AnyMethod,
    field_names,
    not_allowed,
    render_record,
    require_version,
    sobject_of,
)
from emulator.store import Batch
from emulator.writes import Writer, rule_book, writer_for

MAX_RECORDS = 200
MAX_RETRIEVE = 2000
_ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}
_NO_ATTRIBUTES = (
    "Nested object for polymorphic foreign key must have an attributes field before any other "
    "fields."
)

#: Saves one record inside the batch: the SaveResult fields after ``success``/``errors``
#: (``id``, and ``created`` for upserts); raises SalesforceError for a per-record failure.
SaveOne = Callable[[Writer, Batch, dict[str, Any], JsonOrigin], dict[str, Any]]


class _RollBackError(Exception):
    """Leaves an ``allOrNone`` batch so that the store undoes it."""


def _too_many(limit: int) -> SalesforceError:
    return SalesforceError(
        400,
        "EXCEEDED_ID_LIMIT",
        f"record limit reached. cannot submit more than {limit} records into this call",
    )


def _flag(value: Any, locate: Callable[[], str]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise cannot_deserialize("boolean", value, locate)


async def _records_body(request: Request) -> tuple[list[dict[str, Any]], bool, bytes]:
    body = await read_json(request)
    raw = await request.body()
    if not isinstance(body, dict):
        raise cannot_deserialize("SObjectCollection", body, lambda: json_location(raw, ()))
    for key in body:
        if key not in ("allOrNone", "records"):
            raise json_parser_error(f'Unrecognized field "{key}" at {json_location(raw, (key,))}')
    all_or_none = _flag(body.get("allOrNone", False), lambda: json_location(raw, ("allOrNone",)))
    records = body.get("records")
    if not isinstance(records, list):
        raise json_parser_error("The request body must contain a records array")
    if len(records) > MAX_RECORDS:
        raise _too_many(MAX_RECORDS)
    bad = next((i for i, record in enumerate(records) if not isinstance(record, dict)), None)
    if bad is not None:
        raise cannot_deserialize(
            "SObject", records[bad], lambda: json_location(raw, ("records", bad))
        )
    return records, all_or_none, raw


def _record_type(request: Request, record: dict[str, Any]) -> ObjectSchema:
    attributes = record.get("attributes")
    kind = attributes.get("type") if isinstance(attributes, dict) else None
    if not isinstance(kind, str):
        raise json_parser_error(_NO_ATTRIBUTES)
    obj = org_of(request).schema.get_object(kind)
    if obj is None:
        raise SalesforceError(
            400,
            "INVALID_TYPE",
            f"sObject type '{kind}' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name. Please reference your "
            "WSDL or the describe call for the appropriate names.",
        )
    return obj


def _save_all(
    request: Request,
    records: list[dict[str, Any]],
    all_or_none: bool,
    raw: bytes,
    save_one: SaveOne,
    *,
    upsert: bool = False,
) -> Response:
    writer = writer_for(request)
    results: list[dict[str, Any]] = []
    failed = False
    try:
        with writer.org.store.batch() as batch:
            for index, record in enumerate(records):
                try:
                    saved = save_one(writer, batch, record, JsonOrigin(raw, ("records", index)))
                except SalesforceError as exc:
                    failed = True
                    result: dict[str, Any] = {"success": False, "errors": [exc.save_result_error()]}
                    if upsert:
                        result["created"] = False
                else:
                    result = {"id": saved["id"], "success": True, "errors": []}
                    if upsert:
                        result["created"] = saved["created"]
                results.append(result)
            if failed and all_or_none:
                raise _RollBackError
    except _RollBackError:
        for result in results:
            if result["success"]:
                result.pop("id")
                result["success"] = False
                result["errors"] = [dict(_ROLLED_BACK)]
                if upsert:
                    result["created"] = False
    return json_response(request, results)


# --- handlers -----------------------------------------------------------------------------


async def collection(request: Request) -> Response:
    """``/composite/sobjects``: POST create, PATCH update, DELETE delete."""
    require_version(request, 42)
    if request.method == "DELETE":
        return _delete(request)
    if request.method not in ("POST", "PATCH"):
        raise not_allowed("POST,PATCH,DELETE")
    records, all_or_none, raw = await _records_body(request)
    creating = request.method == "POST"

    def save_one(
        writer: Writer, batch: Batch, record: dict[str, Any], origin: JsonOrigin
    ) -> dict[str, Any]:
        obj = _record_type(request, record)
        if creating:
            return {"id": writer.insert(batch, obj, record, origin)}
        key = next((k for k in record if k.lower() == "id"), None)
        if key is None or record[key] is None:
            raise SalesforceError(400, "MISSING_ARGUMENT", "Id not specified in an update call")
        current = writer.existing(obj, str(record[key]))
        return {"id": writer.update(batch, obj, current, record, origin)}

    return _save_all(request, records, all_or_none, raw, save_one)


async def upsert_collection(request: Request) -> Response:
    """``PATCH /composite/sobjects/{Obj}/{ExtIdField}``: upsert up to 200 records."""
    require_version(request, 46)
    if request.method != "PATCH":
        raise not_allowed("PATCH")
    obj = sobject_of(request)
    name = request.path_params["field"]
    field = external_id_field(obj, name)
    if field is None:
        raise not_found(f"Provided external ID field does not exist or is not accessible: {name}")
    records, all_or_none, raw = await _records_body(request)

    def save_one(
        writer: Writer, batch: Batch, record: dict[str, Any], origin: JsonOrigin
    ) -> dict[str, Any]:
        kind = _record_type(request, record)
        if kind.name != obj.name:
            raise SalesforceError(
                400,
                "INVALID_TYPE",
                f"The record type {kind.name} does not match the {obj.name} in the URL",
            )
        value = _external_value(field, record, origin)
        record_id, created = writer.upsert(batch, obj, field, value, record, origin)
        return {"id": record_id, "created": created}

    return _save_all(request, records, all_or_none, raw, save_one, upsert=True)


def _external_value(field: FieldSchema, record: dict[str, Any], origin: JsonOrigin) -> Any:
    lowered = field.name.lower()
    key = next((k for k in record if k.lower() == lowered), None)
    if key is None:
        return None
    return read_value(field, record[key], origin, key)


def _delete(request: Request) -> Response:
    params = request.query_params
    ids = [part.strip() for part in params.get("ids", "").split(",") if part.strip()]
    if not ids:
        raise SalesforceError(400, "MISSING_ARGUMENT", "ids parameter is required")
    if len(ids) > MAX_RECORDS:
        raise _too_many(MAX_RECORDS)
    all_or_none = _flag(params.get("allOrNone", "false"), lambda: "[line:1, column:1]")
    org = org_of(request)

    def delete_one(
        writer: Writer, batch: Batch, record: dict[str, Any], origin: JsonOrigin
    ) -> dict[str, Any]:
        given = record["id"]
        if normalize(given) is None:
            raise SalesforceError(400, "MALFORMED_ID", f"malformed id {given}", [])
        found = org.store.find(given, include_deleted=True)
        if found is None:
            raise SalesforceError(
                400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", []
            )
        sobject, current = found
        if current.get("IsDeleted"):
            raise SalesforceError(400, "ENTITY_IS_DELETED", "entity is deleted", [])
        return {"id": writer.delete(batch, org.schema[sobject], current)}

    return _save_all(request, [{"id": i} for i in ids], all_or_none, b"", delete_one)


async def retrieve(request: Request) -> Response:
    """``GET``/``POST /composite/sobjects/{Obj}``: records by id with the fields asked for."""
    require_version(request, 42)
    obj = sobject_of(request)
    if request.method == "GET":
        ids_text = request.query_params.get("ids", "")
        fields_text = request.query_params.get("fields", "")
    elif request.method == "POST":
        body = await read_json(request)
        if not isinstance(body, dict):
            raise cannot_deserialize("SObjectCollection", body, lambda: "[line:1, column:1]")
        ids_text, fields_text = _joined(body.get("ids")), _joined(body.get("fields"))
    else:
        raise not_allowed("GET,POST")
    ids = [part.strip() for part in ids_text.split(",") if part.strip()]
    if not ids or not fields_text.strip():
        raise SalesforceError(400, "MISSING_ARGUMENT", "ids and fields parameters are required")
    if len(ids) > MAX_RETRIEVE:
        raise _too_many(MAX_RETRIEVE)
    names = field_names(obj, fields_text)
    rules = rule_book(request)[obj]
    store = org_of(request).store
    version = api_version(request)
    found = []
    for given in ids:
        record = store.get(obj.name, given) if normalize(given) else None
        found.append(render_record(rules, record, version, names) if record else None)
    return json_response(request, found)


def _joined(value: Any) -> str:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise json_parser_error("ids and fields must be arrays of strings")
    return ",".join(value)


def routes() -> list[BaseRoute]:
    """The routes of this module; methods are dispatched here so 405s list Salesforce's."""
    base = "/services/data/v{version}/composite/sobjects"
    return [
        Route(base, AnyMethod(collection)),
        Route(f"{base}/", AnyMethod(collection)),
        Route(f"{base}/{{sobject}}", AnyMethod(retrieve)),
        Route(f"{base}/{{sobject}}/{{field}}", AnyMethod(upsert_collection)),
    ]
