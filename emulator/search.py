"""``GET /search?q=`` (SOSL) and ``/parameterizedSearch`` (GET and POST): records found by text.

Answers (CONTRACT.md §5; recordings under ``fixtures/search``): 200 with
``{"searchRecords": [record, …]}``, each record its ``attributes`` (type, url) and the fields its
object's RETURNING list names (``Id`` alone when it names none), and a ``queryid`` header (an
opaque id such as ``-1383673vfvqa8``). Before API v37.0 the answer is the bare list of records, as
in restforce's v23 sample and the v35.0/v36.0 guides. A refused search is 400 with the error
array (:mod:`emulator.sosl`); ``/search`` without ``q`` has "No search term found".
``/parameterizedSearch`` exists from v36.0 (404 NOT_FOUND before) and translates its parameters
into SOSL (:mod:`emulator.sosl.parameterized`). Both resources are served with and without a
trailing slash (the guide writes ``/search/?q=``; simple-salesforce calls ``search/``), and as
Composite GET subrequests.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator import sosl
from emulator.errors import SalesforceError
from emulator.request_context import api_version, org_of
from emulator.responses import json_response
from emulator.sobjects import json_object, major_version, require_version
from emulator.sosl import parameterized
from emulator.sosl.errors import MALFORMED_SEARCH, NO_SEARCH_TERM

#: The first version whose answer wraps the records in ``searchRecords``.
WRAPPED_SINCE = 37
#: The first version with ``/parameterizedSearch``.
PARAMETERIZED_SINCE = 36
_QUERY_ID_CHARS = string.digits + string.ascii_lowercase


def _found(request: Request, text: str, *, echo: bool) -> Response:
    """Run the SOSL ``text``; ``echo`` false answers refusals without the statement's echo."""
    org = org_of(request)
    try:
        search = sosl.parse(text, org.schema)
        records = sosl.execute(
            search, org.store, api_version=api_version(request), now=org.now(), tz=org.tz
        )
    except sosl.SoslError as exc:
        message = exc.message if echo else exc.explanation
        raise SalesforceError(400, exc.error_code, message) from None
    body: Any = records if major_version(request) < WRAPPED_SINCE else {"searchRecords": records}
    query_id = "-1" + "".join(secrets.choice(_QUERY_ID_CHARS) for _ in range(12))
    return json_response(request, body, headers={"queryid": query_id})


async def search(request: Request) -> Response:
    """``GET /search?q=FIND {…} …``."""
    text = request.query_params.get("q")
    if text is None or not text.strip():
        raise SalesforceError(400, MALFORMED_SEARCH, NO_SEARCH_TERM)
    return _found(request, text, echo=True)


async def parameterized_search(request: Request) -> Response:
    """``GET /parameterizedSearch?q=…&sobject=…&Obj.fields=…``, or ``POST`` with
    ``{"q", "in", "fields", "sobjects": [{"name", "fields", "where", "limit"}], …}``."""
    require_version(request, PARAMETERIZED_SINCE)
    body = None
    if request.method == "POST":
        body, _raw = await json_object(request, "SearchRequest")
    try:
        if body is None:
            parameters = parameterized.from_query(request.query_params.multi_items())
        else:
            parameters = parameterized.from_body(body)
        text = parameterized.statement(parameters)
    except sosl.SoslError as exc:
        raise SalesforceError(400, exc.error_code, exc.explanation) from None
    return _found(request, text, echo=False)


def routes() -> list[BaseRoute]:
    """The routes of this module."""
    base = "/services/data/v{version}"
    return [
        Route(f"{base}/search", search, methods=["GET"]),
        Route(f"{base}/search/", search, methods=["GET"]),
        Route(f"{base}/parameterizedSearch", parameterized_search, methods=["GET", "POST"]),
        Route(f"{base}/parameterizedSearch/", parameterized_search, methods=["GET", "POST"]),
    ]
