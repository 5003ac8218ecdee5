"""The Composite resource: ``POST /services/data/vXX.X/composite`` (v34.0+), several REST calls in
one API call (CONTRACT.md §7).

Body ``{"allOrNone": false, "collateSubrequests": true, "compositeRequest": [{"method", "url",
"referenceId", "httpHeaders"?, "body"?}]}``. The answer is always **200**
``{"compositeResponse": [{"body", "httpHeaders", "httpStatusCode", "referenceId"}]}`` in request
order; a failed subrequest carries its own status and error array (recorded: 400 INVALID_TYPE for
a query of an unknown object, 404 NOT_FOUND for an unknown sObject).

**Served: GET subrequests** to any resource of this API — ``/query?q=`` and ``/queryAll?q=``
(``Sforce-Query-Options`` may be given in ``httpHeaders``), their locators, records, describes,
limits. Each runs through the org's own routes as the caller, without a request of its own: the
composite is one API call and one entry in the request log. A subrequest's ``url`` travels in
the body, so the edge's 16,384 bytes on a request's head (:mod:`emulator.edge`) do not bind it —
CONTRACT.md sets it no limit, and Salesforce's advice for a long SOQL statement is exactly this
— while SOQL's own 100,000 characters do. The ``url`` may be percent-encoded or raw (a recorded
CumulusCI request sends ``?q=select count() from Account``). ``httpHeaders`` of an answer keep
``Location``, ``ETag`` and ``Last-Modified``.

References ``@{ref.field}`` / ``@{ref.records[0].Id}`` in a ``url`` are read from an earlier
answer; one that cannot be (that subrequest failed, no such value) fails its subrequest with
400 PROCESSING_HALTED [U: message]. With ``allOrNone: true`` the first failure stops the rest and
every other subrequest answers 400 PROCESSING_HALTED "The transaction was rolled back since
another operation in the same transaction failed." (recorded, camel).

The request as a whole is refused with 400 when it is malformed (messages [U]): not
``{"compositeRequest": [...]}`` (JSON_PARSER_ERROR), no subrequest or more than 25, more than 5
query subrequests, a subrequest without ``method``, ``url`` or ``referenceId``, a method other
than GET/POST/PATCH/PUT/DELETE, a repeated ``referenceId`` or one with characters other than
letters, digits and ``_``, or ``Accept``/``Authorization``/``Content-Type`` in ``httpHeaders``
[D]. Write subrequests are not emulated: a request holding one answers 501 NOT_IMPLEMENTED
before any subrequest runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Scope

from emulator.config import LATEST_VERSION, OLDEST_VERSION
from emulator.errors import SalesforceError, json_parser_error, not_found
from emulator.field_values import cannot_deserialize, json_location
from emulator.request_context import read_json, session_of
from emulator.responses import json_response
from emulator.sobjects import AnyMethod, not_allowed, require_version

MAX_SUBREQUESTS = 25
MAX_QUERY_SUBREQUESTS = 5
_METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
_INHERITED_HEADERS = frozenset({"accept", "authorization", "content-type"})
_REFERENCE_ID = re.compile(r"[A-Za-z0-9_]+")
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_STEP = re.compile(r"\.([A-Za-z0-9_]+)|\[(\d+)\]")
_DATA_PATH = re.compile(r"^/services/data/v(\d+)\.(\d)/")
_QUERY_PATH = re.compile(r"^/services/data/v\d+\.\d/(?:query|queryAll)(?:[/?]|$)")
#: What a url may hold raw; a space, a quote or non-ASCII is percent-encoded (``%`` kept).
_URL_SAFE = "/?:@!$&'()*+,;=%~"
_KEPT_HEADERS = {b"location": "Location", b"etag": "ETag", b"last-modified": "Last-Modified"}
_HALTED = "The transaction was rolled back since another operation in the same transaction failed."


@dataclass(frozen=True, slots=True)
class _Subrequest:
    method: str
    url: str
    reference_id: str
    headers: dict[str, str]


@dataclass(slots=True)
class _Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def entry(self, reference_id: str) -> dict[str, Any]:
        return {
            "body": self.body,
            "httpHeaders": self.headers,
            "httpStatusCode": self.status,
            "referenceId": reference_id,
        }


def _halted(message: str = _HALTED) -> _Answer:
    return _Answer(400, [{"errorCode": "PROCESSING_HALTED", "message": message}])


def _invalid(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALID_INPUT", message)


async def composite(request: Request) -> Response:
    """``POST /composite``: run the subrequests in order; every answer in one body."""
    require_version(request, 34)
    if request.method != "POST":
        raise not_allowed("POST")
    subrequests, all_or_none = await _read_body(request)
    answers: list[_Answer] = []
    by_reference: dict[str, _Answer] = {}
    for sub in subrequests:
        answer = await _run(request, sub, by_reference)
        answers.append(answer)
        by_reference[sub.reference_id] = answer
        if all_or_none and answer.status >= 400:
            answers = [a if a is answer else _halted() for a in answers]
            answers += [_halted() for _ in subrequests[len(answers) :]]
            break
    entries = [a.entry(s.reference_id) for a, s in zip(answers, subrequests, strict=True)]
    return json_response(request, {"compositeResponse": entries})


async def _read_body(request: Request) -> tuple[list[_Subrequest], bool]:
    body = await read_json(request)
    raw = await request.body()
    if not isinstance(body, dict):
        raise cannot_deserialize("CompositeRequest", body, lambda: json_location(raw, ()))
    for key in body:
        if key not in ("allOrNone", "collateSubrequests", "compositeRequest"):
            raise json_parser_error(f'Unrecognized field "{key}" at {json_location(raw, (key,))}')
    for flag in ("allOrNone", "collateSubrequests"):
        if not isinstance(body.get(flag, False), bool):
            raise cannot_deserialize("boolean", body[flag], partial(json_location, raw, (flag,)))
    items = body.get("compositeRequest")
    if not isinstance(items, list) or not items:
        raise _invalid("The compositeRequest array is required and must not be empty.")
    if len(items) > MAX_SUBREQUESTS:
        raise _invalid(f"A composite request can hold at most {MAX_SUBREQUESTS} subrequests.")
    subrequests = [_subrequest(item, raw, index) for index, item in enumerate(items)]
    if sum(1 for sub in subrequests if _QUERY_PATH.match(sub.url)) > MAX_QUERY_SUBREQUESTS:
        raise _invalid(
            f"A composite request can hold at most {MAX_QUERY_SUBREQUESTS} query subrequests."
        )
    seen: set[str] = set()
    for sub in subrequests:
        if sub.reference_id in seen:
            raise _invalid(f"Duplicate referenceId '{sub.reference_id}'.")
        seen.add(sub.reference_id)
    if any(sub.method != "GET" for sub in subrequests):
        raise SalesforceError(
            501,
            "NOT_IMPLEMENTED",
            "The emulator serves GET subrequests only (query, queryAll, records, describes).",
        )
    return subrequests, bool(body.get("allOrNone", False))


def _subrequest(item: Any, raw: bytes, index: int) -> _Subrequest:
    where = partial(json_location, raw, ("compositeRequest", index))
    if not isinstance(item, dict):
        raise cannot_deserialize("CompositeSubrequest", item, where)
    method, url, reference_id = item.get("method"), item.get("url"), item.get("referenceId")
    headers = item.get("httpHeaders") or {}
    if not (isinstance(method, str) and isinstance(url, str) and isinstance(reference_id, str)):
        raise _invalid("Every subrequest needs a method, a url and a referenceId.")
    if method not in _METHODS:
        raise _invalid(f"Invalid method '{method}': use one of DELETE, GET, PATCH, POST, PUT.")
    if not _REFERENCE_ID.fullmatch(reference_id):
        raise _invalid(
            f"Invalid referenceId '{reference_id}': use letters, numbers and underscores only."
        )
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise cannot_deserialize("Map", headers, where)
    inherited = sorted(name for name in headers if name.lower() in _INHERITED_HEADERS)
    if inherited:
        raise _invalid(
            f"A subrequest cannot set {', '.join(inherited)}: it inherits the composite "
            "request's Accept, Authorization and Content-Type."
        )
    return _Subrequest(method, url, reference_id, headers)


async def _run(request: Request, sub: _Subrequest, earlier: Mapping[str, _Answer]) -> _Answer:
    try:
        url = _resolve(sub.url, earlier)
    except LookupError as exc:
        return _halted(f"Invalid reference specified. No value for {exc.args[0]} found.")
    split = urlsplit(url)
    version = _DATA_PATH.match(split.path)
    if split.scheme or split.netloc or version is None or not _served(version):
        return _Answer(404, not_found().body())
    path = quote(split.path, safe=_URL_SAFE)
    query = quote(split.query, safe=_URL_SAFE)
    scope: Scope = {
        **{key: request.scope[key] for key in ("http_version", "scheme", "server", "client")},
        "type": "http",
        "method": sub.method,
        "path": unquote(path),
        "raw_path": path.encode("ascii"),
        "root_path": "",
        "query_string": query.encode("ascii"),
        "headers": [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sub.headers.items()
        ],
        "app": request.app,
        "state": {"session": session_of(request)},
    }
    return await _dispatch(request, scope)


def _served(version: re.Match[str]) -> bool:
    return version[2] == "0" and OLDEST_VERSION <= int(version[1]) <= LATEST_VERSION


async def _dispatch(request: Request, scope: Scope) -> _Answer:
    """Run ``scope`` through the org's routes; errors are rendered by the app's own handlers."""
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    try:
        await request.app.router(scope, receive, send)
    except Exception as exc:
        handler = _handler_for(request.app.exception_handlers, exc)
        if handler is None:
            raise
        response: Response = await handler(Request(scope, receive), exc)
        messages.clear()
        await response(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    headers = {
        _KEPT_HEADERS[name]: value.decode("latin-1")
        for name, value in start.get("headers", [])
        if name in _KEPT_HEADERS
    }
    return _Answer(start["status"], json.loads(content) if content else None, headers)


def _handler_for(handlers: Mapping[Any, Any], exc: Exception) -> Any:
    for kind in type(exc).__mro__:
        if kind in handlers:
            return handlers[kind]
    return None


def _resolve(url: str, earlier: Mapping[str, _Answer]) -> str:
    """``url`` with every ``@{ref.path}`` replaced by its value; LookupError naming a miss."""

    def value_of(match: re.Match[str]) -> str:
        answer = earlier.get(match[1])
        if answer is None or answer.status >= 400:
            raise LookupError(match[0][2:-1])
        value: Any = answer.body
        for step in _STEP.finditer(match[2]):
            key: str | int = step[1] if step[1] is not None else int(step[2])
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                raise LookupError(match[0][2:-1]) from None
        if value is None or isinstance(value, dict | list):
            raise LookupError(match[0][2:-1])
        return str(value).lower() if isinstance(value, bool) else str(value)

    return _REFERENCE.sub(value_of, url)


def routes() -> list[BaseRoute]:
    """The routes of this module; every method is received so a 405 lists Salesforce's."""
    base = "/services/data/v{version}/composite"
    return [Route(base, AnyMethod(composite)), Route(f"{base}/", AnyMethod(composite))]
