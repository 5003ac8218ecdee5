"""``GET /query`` and ``/queryAll``: SOQL over the org, with Salesforce's paging.

A result larger than the batch size (2000 by default; ``Sforce-Query-Options: batchSize=N``
with N from 200 to 2000) is served in pages: each page but the last carries
``nextRecordsUrl = /services/data/vXX.X/query/<locator>-<offset>`` and ``done: false``;
``totalSize`` is the same on every page. Locators live in memory (the most recent 200 are kept;
an unknown or evicted one answers 400 INVALID_QUERY_LOCATOR); any offset below the result's size
may be asked for, not only the one a ``nextRecordsUrl`` names (clients build ``<locator>-<n>``
themselves to read from row n).

A statement longer than 100,000 characters is MALFORMED_QUERY "SOQL statements can not be longer
than 100000 characters." — reachable only through a Composite subrequest, since a URL that long
is over the edge's 16,384 bytes (:mod:`emulator.edge`).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator import soql
from emulator.errors import SalesforceError
from emulator.ids import IdFactory
from emulator.request_context import api_version, org_of
from emulator.responses import json_response

DEFAULT_BATCH = 2000
MIN_BATCH = 200
#: The longest SOQL statement Salesforce runs.
MAX_SOQL_CHARS = 100_000
_KEPT_LOCATORS = 200
_BATCH_OPTION = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)
_LOCATOR = re.compile(r"^(0r8[0-9A-Za-z]{15})-(\d+)$")


@dataclass(frozen=True, slots=True)
class _Cursor:
    records: list[dict[str, Any]]
    total_size: int
    batch: int


class Cursors:
    """Open query locators, most recent last."""

    def __init__(self) -> None:
        self._open: OrderedDict[str, _Cursor] = OrderedDict()
        self._ids = IdFactory("0r8", pod="5g0")

    def open(self, cursor: _Cursor) -> str:
        locator = self._ids.next_id()
        self._open[locator] = cursor
        while len(self._open) > _KEPT_LOCATORS:
            self._open.popitem(last=False)
        return locator

    def get(self, locator: str) -> _Cursor | None:
        return self._open.get(locator)


def _cursors(request: Request) -> Cursors:
    state = request.app.state
    if not hasattr(state, "query_cursors"):
        state.query_cursors = Cursors()
    found: Cursors = state.query_cursors
    return found


def _batch_size(request: Request) -> int:
    match = _BATCH_OPTION.search(request.headers.get("sforce-query-options", ""))
    if not match:
        return DEFAULT_BATCH
    return min(max(int(match[1]), MIN_BATCH), DEFAULT_BATCH)


def _page(
    request: Request, cursor: _Cursor, locator: str | None, offset: int, resource: str
) -> Response:
    end = offset + cursor.batch
    body: dict[str, Any] = {"totalSize": cursor.total_size, "done": end >= len(cursor.records)}
    if not body["done"]:
        if locator is None:
            locator = _cursors(request).open(cursor)
        body["nextRecordsUrl"] = (
            f"/services/data/v{api_version(request)}/{resource}/{locator}-{end}"
        )
    body["records"] = cursor.records[offset:end]
    return json_response(request, body)


async def _run(request: Request, include_deleted: bool) -> Response:
    resource = "queryAll" if include_deleted else "query"
    text = request.query_params.get("q")
    if text is None or not text.strip():
        raise SalesforceError(400, "MALFORMED_QUERY", "SOQL statement cannot be empty or null")
    if len(text) > MAX_SOQL_CHARS:
        raise SalesforceError(
            400,
            "MALFORMED_QUERY",
            f"SOQL statements can not be longer than {MAX_SOQL_CHARS} characters.",
        )
    org = org_of(request)
    try:
        parsed = soql.parse(text, org.schema)
        result = soql.execute(
            parsed,
            org.store,
            include_deleted=include_deleted,
            api_version=api_version(request),
            now=org.now(),
            tz=org.tz,
        )
    except soql.SoqlError as exc:
        raise SalesforceError(400, exc.error_code, exc.message) from None
    cursor = _Cursor(result.records, result.total_size, _batch_size(request))
    return _page(request, cursor, None, 0, resource)


async def query(request: Request) -> Response:
    """``GET /query?q=``."""
    return await _run(request, include_deleted=False)


async def query_all(request: Request) -> Response:
    """``GET /queryAll?q=``: deleted records too."""
    return await _run(request, include_deleted=True)


async def _more(request: Request, resource: str) -> Response:
    match = _LOCATOR.match(request.path_params["locator"])
    cursor = _cursors(request).get(match[1]) if match else None
    if match is None or cursor is None or int(match[2]) >= len(cursor.records):
        raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return _page(request, cursor, match[1], int(match[2]), resource)


async def query_more(request: Request) -> Response:
    """``GET /query/<locator>-<offset>``: the next page."""
    return await _more(request, "query")


async def query_all_more(request: Request) -> Response:
    """``GET /queryAll/<locator>-<offset>``: the next page of a queryAll."""
    return await _more(request, "queryAll")


def routes() -> list[BaseRoute]:
    """The routes of this module."""
    base = "/services/data/v{version}"
    return [
        Route(f"{base}/query", query, methods=["GET"]),
        Route(f"{base}/query/", query, methods=["GET"]),
        Route(f"{base}/queryAll", query_all, methods=["GET"]),
        Route(f"{base}/queryAll/", query_all, methods=["GET"]),
        Route(f"{base}/query/{{locator}}", query_more, methods=["GET"]),
        Route(f"{base}/queryAll/{{locator}}", query_all_more, methods=["GET"]),
    ]
