"""Salesforce's edge: the size limit on a request's head, checked before anything else.

"In each REST call, the maximum length for the combined URI and headers is 16,384 bytes. A
request exceeding this limit returns a 431 Request Header Fields Too Large error. If the URI
itself exceeds this limit, the request returns a 414 URI Too Long error." (Salesforce Help
000386264; the API limits cheat sheet says the same.) Salesforce's own advice for a long SOQL
statement is a subrequest of the Composite resource, whose ``url`` travels in the body.

The answer is the edge's (Jetty's) HTML, not a JSON error array, as recorded in client issues
(``<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>``), and the connection is closed.

The URI is the request target as sent (path and query, still percent-encoded); a header counts
``name: value`` and its line end. :func:`refusal` is asked by the middleware for every request.
uvicorn's HTTP parser refuses a URL longer than 64 KiB before any app sees it, with a plain 400;
:class:`emulator.server.EdgeHttpToolsProtocol` answers such a request with the 414 instead.
"""

from __future__ import annotations

from starlette.types import Scope

#: Salesforce's limit on URI + headers, in bytes.
HEAD_LIMIT = 16_384
_REASONS = {414: "URI Too Long", 431: "Request Header Fields Too Large"}
EDGE_MEDIA_TYPE = "text/html;charset=iso-8859-1"


def edge_body(status: int) -> bytes:
    """The edge's HTML for a refused request head."""
    return f"<h1>Bad Message {status}</h1><pre>reason: {_REASONS[status]}</pre>".encode("ascii")


def uri_length(scope: Scope) -> int:
    """The length of the request target as it was sent: path and query, percent-encoded."""
    raw: bytes | None = scope.get("raw_path")
    path = len(raw) if raw is not None else len(scope["path"].encode())
    query: bytes = scope.get("query_string", b"")
    return path + (1 + len(query) if query else 0)


def refusal(scope: Scope) -> int | None:
    """414 or 431 when the request's head is over Salesforce's limit, else ``None``."""
    uri = uri_length(scope)
    if uri > HEAD_LIMIT:
        return 414
    headers = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
    return 431 if uri + headers > HEAD_LIMIT else None
