"""custom_api_call: a raw Salesforce REST call, held to the connection's own instance.

The caller controls the values, so everything is checked before a socket opens: the endpoint is
a relative path under ``/services/`` (never an absolute URL, ``//host``, a backslash, a control
character, ``.``/``..`` segments — raw or percent-encoded, decoded until it stops changing — or
``/services/oauth2/``); headers cannot carry CR/LF or set what the transport owns
(Authorization, Host, Cookie, lengths and encodings, Content-Type: the body is JSON only).
The client adds the bearer token itself and follows no redirect, so the token never leaves the
instance. An answer of 400 or more becomes a tool error with Salesforce's status, errorCode and
message, so that an agent cannot mistake a failure for success.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from server.toolkit import DESTRUCTIVE, ConnectionArg, ToolContext, ToolSpec

#: Longest answer body returned, in characters; the rest is cut (``truncated`` says so).
MAX_BODY_CHARS = 200_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
_REFUSED_HEADERS = frozenset(
    {
        "authorization", "proxy-authorization", "host", "cookie", "content-length",
        "transfer-encoding", "content-encoding", "content-type", "connection", "upgrade",
        "te", "expect", "x-sfdc-session",
    }
)  # fmt: skip
#: Answer headers worth showing; nothing else is passed back.
_SHOWN_HEADERS = ("content-type", "location", "etag", "last-modified", "sforce-limit-info")


class CustomApiCallArgs(BaseModel):
    """Arguments of custom_api_call."""

    method: Annotated[
        Literal["GET", "POST", "PATCH", "PUT", "DELETE"],
        Field(description="The HTTP method.", examples=["GET"]),
    ]
    endpoint: Annotated[
        str,
        Field(
            description="Path on the org's instance, starting with /services/ (e.g. "
            "/services/data/v62.0/limits or /services/apexrest/...), optionally with a "
            "?query. Never a full URL.",
            examples=["/services/data/v62.0/limits"],
            min_length=10,
            max_length=4000,
        ),
    ]
    headers: Annotated[
        dict[str, str] | None,
        Field(
            description="Extra request headers, e.g. Sforce-Call-Options. Authorization, Host, "
            "Cookie, Content-Type and length/encoding headers are set by callforce.",
            examples=[{"Sforce-Query-Options": "batchSize=200"}],
            max_length=20,
        ),
    ] = None
    body: Annotated[
        dict[str, Any] | list[Any] | None,
        Field(
            description="JSON body for POST, PATCH and PUT; omit it for GET and DELETE.",
            examples=[{"Subject": "Call back", "Priority": "High"}],
        ),
    ] = None
    connection: ConnectionArg = None


class CustomApiCallResult(BaseModel):
    """Salesforce's answer (status below 400)."""

    status: int = Field(description="HTTP status, e.g. 200, 201, 204 or 300.")
    body: Any = Field(description="The JSON answer (text when not JSON; null when empty).")
    headers: dict[str, str] = Field(
        description="Content-Type, Location, ETag, Last-Modified and Sforce-Limit-Info."
    )
    truncated: bool = Field(description=f"True when the body was cut at {MAX_BODY_CHARS} chars.")


def _refuse(reason: str) -> ToolError:
    return ToolError(f"custom_api_call refused the request, nothing was sent: {reason}")


def _decoded_forms(text: str) -> list[str]:
    """``text`` and each further percent-decoding of it, until it stops changing."""
    forms = [text]
    for _ in range(10):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            return forms
        forms.append(decoded)
    raise _refuse("the endpoint is percent-encoded too many times over.")


def check_endpoint(endpoint: str) -> tuple[str, list[tuple[str, str]]]:
    """``(path, query parameters)`` of a safe endpoint; ToolError naming what is wrong."""
    if _CONTROL.search(endpoint) or "\\" in endpoint:
        raise _refuse("the endpoint contains control characters or a backslash.")
    if not endpoint.startswith("/") or endpoint.startswith("//") or urlsplit(endpoint).netloc:
        raise _refuse("the endpoint must be a path such as /services/data/v62.0/limits, not a URL.")
    if "#" in endpoint:
        raise _refuse("the endpoint cannot contain '#'.")
    path, _, query = endpoint.partition("?")
    for form in _decoded_forms(path):
        segments = form.split("/")
        if _CONTROL.search(form) or "\\" in form or "." in segments or ".." in segments:
            raise _refuse("the endpoint cannot contain '.' or '..' segments, even encoded.")
        if not form.startswith("/services/") or form.startswith("//"):
            raise _refuse("the endpoint must start with /services/ on the org's instance.")
        if form.lower().startswith("/services/oauth2"):
            raise _refuse("the OAuth endpoints under /services/oauth2/ are not available.")
    return path, parse_qsl(query, keep_blank_values=True)


def check_headers(headers: dict[str, str] | None) -> dict[str, str]:
    """Headers the caller may set; ToolError for anything else."""
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.fullmatch(name):
            raise _refuse(f"'{name[:40]}' is not a valid header name.")
        if name.lower() in _REFUSED_HEADERS:
            raise _refuse(f"the {name} header is set by callforce and cannot be given.")
        if _CONTROL.search(value.replace("\t", " ")) or len(value) > 4000:
            raise _refuse(f"the value of {name} contains line breaks or control characters.")
        checked[name] = value
    return checked


def _body(text: str, content_type: str, parsed: Any) -> tuple[Any, bool]:
    if parsed is not None and "json" in content_type and len(text) <= MAX_BODY_CHARS:
        return parsed, False
    if not text:
        return None, False
    return text[:MAX_BODY_CHARS], len(text) > MAX_BODY_CHARS


async def custom_api_call(ctx: ToolContext, args: CustomApiCallArgs) -> CustomApiCallResult:
    """Check everything, send one request, return the answer (>= 400 is an error)."""
    path, query = check_endpoint(args.endpoint)
    headers = check_headers(args.headers)
    if args.body is not None and args.method in ("GET", "DELETE"):
        raise _refuse(f"a {args.method} request has no body; put parameters in the endpoint.")
    params = dict(query)
    if len(params) != len(query):
        raise _refuse("the endpoint repeats a query parameter.")
    response = await ctx.client.request(
        args.method,
        path,
        connection=args.connection,
        params=params or None,
        json=args.body,
        headers=headers,
    )
    content_type = response.headers.get("content-type", "")
    try:
        parsed = response.json() if response.content and "json" in content_type else None
    except ValueError:
        parsed = None
    body, truncated = _body(response.text, content_type, parsed)
    shown = {name: response.headers[name] for name in _SHOWN_HEADERS if name in response.headers}
    return CustomApiCallResult(
        status=response.status_code, body=body, headers=shown, truncated=truncated
    )


SPEC = ToolSpec(
    name="custom_api_call",
    title="Custom API Call",
    description=(
        "Call any Salesforce REST endpoint of the connected org when no other tool fits (e.g. "
        "GET /services/data/v62.0/limits, or an Apex REST service under /services/apexrest/). "
        "endpoint is a path starting with /services/ (no full URLs, no /services/oauth2/); the "
        "body is JSON. Returns status, body and a few headers. A Salesforce error (status 400 "
        "or more) comes back as a tool error with the status, errorCode and message. Values "
        "are sent as given: prefer create_record, update_record and run_query, which check "
        "them."
    ),
    annotations=DESTRUCTIVE,
    arguments=CustomApiCallArgs,
    result=CustomApiCallResult,
    handler=custom_api_call,
)
