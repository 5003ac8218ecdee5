"""SOQL too long for a URL goes in the body of a Composite request.

Salesforce takes at most 16,384 bytes of URI and headers per REST request (beyond it: 414 URI
Too Long, or 431 Request Header Fields Too Large; Salesforce Help 000386264), but a SOQL
statement may have 100,000 characters — a 3,000-id ``IN`` list is ~63,000, ~81,000 encoded.
Salesforce's advice is to send such a statement as a subrequest of the Composite resource::

    POST /services/data/vXX.X/composite
    {"allOrNone": false,
     "compositeRequest": [{"method": "GET", "url": "/services/data/vXX.X/query?q=…",
                           "referenceId": "query"}]}

It is one API call, its ``url`` travels in the body (CONTRACT.md sets a subrequest's ``url`` no
limit; SOQL's own 100,000 characters still apply), and the answer is always 200
``{"compositeResponse": [{"body", "httpHeaders", "httpStatusCode", "referenceId"}]}``: the body
is the query's first batch, whose ``nextRecordsUrl`` pages with plain GETs as usual, or
Salesforce's error array with the subrequest's status — raised here as the same typed error a
GET would have raised.

A query goes this way when its GET would not fit: request target (path and encoded query) over
16,384 bytes less :data:`HEADER_ROOM` for the headers (bearer token, Host, Accept, User-Agent,
``Sforce-Query-Options``: well under 1 KiB in practice).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from server.errors import ServerError, error_from_response

#: Salesforce's limit on a request's URI plus headers, in bytes.
URI_AND_HEADERS_LIMIT = 16_384
#: What is kept free of that limit for the request's headers.
HEADER_ROOM = 4_096
#: The subrequest's name in the composite request and its answer.
REFERENCE_ID = "query"


def fits_in_url(path: str, soql: str) -> bool:
    """Whether ``GET path?q=<soql>`` stays within Salesforce's limit, with room for headers."""
    target = len(path) + 1 + len(urlencode({"q": soql}))
    return target <= URI_AND_HEADERS_LIMIT - HEADER_ROOM


def composite_body(query_path: str, soql: str, headers: dict[str, str]) -> dict[str, Any]:
    """The Composite request running ``soql`` as its one GET subrequest to ``query_path``.

    The statement is percent-encoded (a space as ``%20``, a ``+`` as ``%2B``) so that the url
    means one thing whichever way its query string is decoded.
    """
    subrequest: dict[str, Any] = {
        "method": "GET",
        "url": f"{query_path}?q={quote(soql, safe='')}",
        "referenceId": REFERENCE_ID,
    }
    if headers:
        subrequest["httpHeaders"] = headers
    return {"allOrNone": False, "compositeRequest": [subrequest]}


def subrequest_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """The query answer inside a composite answer; the subrequest's error raised as typed."""
    results = answer.get("compositeResponse")
    result = results[0] if isinstance(results, list) and len(results) == 1 else None
    status = result.get("httpStatusCode") if isinstance(result, dict) else None
    if not isinstance(result, dict) or not isinstance(status, int):
        raise ServerError(200, "INVALID_RESPONSE", "the composite answer has no query result")
    body = result.get("body")
    if status >= 400:
        raise error_from_response(status, json.dumps(body).encode())
    if not isinstance(body, dict):
        raise ServerError(status, "INVALID_RESPONSE", "the query result is not JSON")
    return body
