"""custom_api_call: a raw Salesforce REST call, held to the connection's own instance.

The caller controls the values, so everything is checked before a socket opens, by the one
policy in :mod:`server.salesforce.endpoints`: the endpoint is a path under ``/services/`` that
means one thing (never an absolute URL, ``//host``, a backslash, a control character, an empty,
``.`` or ``..`` segment — raw or percent-encoded — or anything under ``/services/oauth2/``);
headers cannot carry CR/LF or anything but ASCII, or set what the transport owns (Authorization,
Host, Cookie, lengths and encodings, Content-Type: the body is JSON only); the body holds only
what JSON can carry (no infinity: ``1e309`` parses as one).
The client adds the bearer token itself and follows no redirect, so the token never leaves the
instance. An answer of 400 or more becomes a tool error with Salesforce's status, errorCode and
message, so that an agent cannot mistake a failure for success.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from server.errors import RequestRefused
from server.salesforce.answers import json_or_none
from server.salesforce.endpoints import check_endpoint, check_headers, check_json_body
from server.toolkit import DESTRUCTIVE, ConnectionArg, ToolContext, ToolSpec
from server.toolkit.agent_text import compact_json

#: Longest answer body returned, in characters; the rest is cut (``truncated`` says so).
MAX_BODY_CHARS = 200_000
#: Answer headers worth showing; nothing else is passed back.
_SHOWN_HEADERS = ("content-type", "location", "etag", "last-modified", "sforce-limit-info")


class CustomApiCallArgs(BaseModel):
    """Arguments of custom_api_call."""

    method: Annotated[
        Literal["GET", "POST", "PATCH", "PUT", "DELETE"], Field(description="HTTP method.")
    ]
    endpoint: Annotated[
        str,
        Field(
            description="Path under /services/, with any ?query.",
            min_length=10,
            max_length=4000,
        ),
    ]
    headers: Annotated[
        dict[str, str] | None,
        Field(
            description="Extra request headers.",
            max_length=20,
        ),
    ] = None
    body: Annotated[
        dict[str, Any] | list[Any] | None,
        Field(description="JSON body."),
    ] = None
    connection: ConnectionArg = None
    idempotency_key: Annotated[
        str | None,
        Field(
            description="Retry key (not for GET): a repeat with it returns the first answer.",
            min_length=1,
            max_length=200,
        ),
    ] = None


class CustomApiCallResult(BaseModel):
    """Salesforce's answer (status below 400)."""

    status: int = Field(description="HTTP status, e.g. 200, 201, 204 or 300.")
    body: Any = Field(description="The JSON answer (text when not JSON; null when empty).")
    headers: dict[str, str] = Field(
        description="Content-Type, Location, ETag, Last-Modified and Sforce-Limit-Info."
    )
    truncated: bool = Field(description=f"True when the body was cut at {MAX_BODY_CHARS} chars.")

    def agent_text(self) -> str:
        """The status, then the body: compact JSON (no attributes, no nulls) or its text."""
        said = f"HTTP {self.status}" + (" (body cut short)" if self.truncated else "")
        if self.body is None:
            return said
        body = self.body if isinstance(self.body, str) else compact_json(self.body)
        return f"{said}\n{body}"


@contextmanager
def _refusing() -> Iterator[None]:
    """A refusal, said as this tool's: nothing was sent, and why."""
    try:
        yield
    except RequestRefused as exc:
        raise exc.with_message(
            f"custom_api_call refused the request, nothing was sent: {exc.reason}"
        ) from None


def _body(text: str, content_type: str, parsed: Any) -> tuple[Any, bool]:
    if parsed is not None and "json" in content_type and len(text) <= MAX_BODY_CHARS:
        return parsed, False
    if not text:
        return None, False
    return text[:MAX_BODY_CHARS], len(text) > MAX_BODY_CHARS


async def custom_api_call(ctx: ToolContext, args: CustomApiCallArgs) -> CustomApiCallResult:
    """Check everything, send one request, return the answer (>= 400 is an error)."""
    with _refusing():
        endpoint = check_endpoint(args.endpoint)
        headers = check_headers(args.headers)
        if args.body is not None and args.method in ("GET", "DELETE"):
            raise RequestRefused(
                f"a {args.method} request has no body; put parameters in the endpoint."
            )
        check_json_body(args.body)
        params = dict(endpoint.query)
        if len(params) != len(endpoint.query):
            raise RequestRefused("the endpoint repeats a query parameter.")
    response = await ctx.services.client.request(
        args.method,
        endpoint.path,
        connection=args.connection,
        params=params or None,
        json=args.body,
        headers=headers,
    )
    content_type = response.headers.get("content-type", "")
    parsed = json_or_none(response) if "json" in content_type else None
    body, truncated = _body(response.text, content_type, parsed)
    shown = {name: response.headers[name] for name in _SHOWN_HEADERS if name in response.headers}
    return CustomApiCallResult(
        status=response.status_code, body=body, headers=shown, truncated=truncated
    )


SPEC = ToolSpec(
    name="custom_api_call",
    title="Custom API Call",
    description=(
        "Call a Salesforce REST endpoint when no other tool fits, e.g. GET "
        "/services/data/v62.0/limits. Returns status and JSON answer; 400+ is an error. Values "
        "go unchecked: prefer the record tools."
    ),
    annotations=DESTRUCTIVE,
    arguments=CustomApiCallArgs,
    result=CustomApiCallResult,
    handler=custom_api_call,
    # A GET is answered afresh each time; every other method may write.
    keyed=lambda args: args.method != "GET",
)
