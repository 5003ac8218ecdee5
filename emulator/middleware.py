"""The org's front door, as pure ASGI middleware (cheap on the hot path).

For every request outside ``/_emulator/`` it:

1. refuses a request head over Salesforce's 16,384 bytes (414 / 431, :mod:`emulator.edge`);
2. applies the first matching fault rule (delay, dropped connection, canned answer);
3. for ``/services/data/vXX.X/...``: checks the version, the bearer token (401
   INVALID_SESSION_ID) and the daily API limit (403 REQUEST_LIMIT_EXCEEDED once the count has
   reached the allowance), counts the request, and adds ``Sforce-Limit-Info`` to the answer —
   never on ``/services/data`` itself or on OAuth. Whether Salesforce counts a refused request,
   or sends the header with a 401 or a 403 REQUEST_LIMIT_EXCEEDED, no capture shows
   (CONTRACT.md); the emulator's choice is neither — the count stops at the allowance and a
   refusal carries no ``Sforce-Limit-Info`` — so a client cannot rely on the header there;
4. records ``{method, path, query, grant_type, status}`` in the request log.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.config import LATEST_VERSION, OLDEST_VERSION
from emulator.edge import EDGE_MEDIA_TYPE, edge_body, refusal
from emulator.errors import SalesforceError, invalid_session, not_found
from emulator.org import FaultRule, Org, RequestLogEntry
from emulator.responses import JSON_MEDIA_TYPE, dumps

#: Where the app puts the server's own ``send`` (see :func:`_drop_connection`).
RAW_SEND_KEY = "emulator.raw_send"
#: What a real org sends as Cache-Control on every data response.
_NO_CACHE = b"no-cache,must-revalidate,max-age=0,no-store,private"
_DATA_PATH = re.compile(r"^/services/data/v(\d+)\.(\d)(?:/|$)")


def _served(major: int, minor: int) -> bool:
    return minor == 0 and OLDEST_VERSION <= major <= LATEST_VERSION


def _bearer(scope: Scope) -> str | None:
    name: bytes
    value: bytes
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() in ("bearer", "oauth") and token.strip():
                return token.strip()
            return None
    return None


class EmulatorMiddleware:
    """Faults, authentication, limits and the request log (see the module docstring)."""

    def __init__(self, app: ASGIApp, org: Org) -> None:
        self.app = app
        self.org = org

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        entry = RequestLogEntry(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            grant_type=None,
            status=0,
        )
        self.org.request_log.append(entry)
        try:
            await self._handle(scope, receive, send, state, entry)
        finally:
            entry.grant_type = state.get("grant_type")

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        state: dict[str, Any],
        entry: RequestLogEntry,
    ) -> None:
        too_large = refusal(scope)
        if too_large is not None:
            entry.status = too_large
            await _send_edge_refusal(send, too_large)
            return
        rule = self._take_fault(scope)
        if rule is not None:
            if rule.delay_ms:
                await asyncio.sleep(rule.delay_ms / 1000)
            if rule.drop:
                entry.status = 0
                _drop_connection(scope.get(RAW_SEND_KEY, send))
                return
            if rule.status is not None:
                entry.status = rule.status
                await _send_json(send, rule.status, rule.body, [])
                return

        extra_headers: list[tuple[bytes, bytes]] = []
        match = _DATA_PATH.match(scope["path"])
        if match:
            try:
                if not _served(int(match[1]), int(match[2])):
                    raise not_found()
                token = _bearer(scope)
                session = self.org.tokens.session(token) if token else None
                if session is None:
                    raise invalid_session()
                state["session"] = session
                if self.org.api_requests >= self.org.api_request_limit:
                    raise SalesforceError(
                        403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
                    )
                self.org.api_requests += 1
            except SalesforceError as exc:
                entry.status = exc.status
                await _send_json(send, exc.status, exc.body(), [])
                return
            usage = f"api-usage={self.org.api_requests}/{self.org.api_request_limit}"
            extra_headers.append((b"sforce-limit-info", usage.encode()))
            extra_headers.append((b"cache-control", _NO_CACHE))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                if extra_headers:
                    headers = list(message.get("headers", []))
                    present = {name.lower() for name, _ in headers}
                    headers += [(k, v) for k, v in extra_headers if k not in present]
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _take_fault(self, scope: Scope) -> FaultRule | None:
        for rule in self.org.faults:
            if rule.method and rule.method.upper() != scope["method"]:
                continue
            if not scope["path"].startswith(rule.path):
                continue
            rule.times -= 1
            if rule.times <= 0:
                self.org.faults.remove(rule)
            return rule
        return None


def _drop_connection(send: Send) -> None:
    """Close the TCP connection without an answer, as a dying proxy or network would.

    uvicorn's ``send`` is a bound method of the request cycle, which holds the transport;
    aborting it is the only way an ASGI app can hang up. Starlette wraps ``send`` in its error
    middleware, so the app keeps the server's original under ``RAW_SEND_KEY`` in the scope.
    Anywhere else (an in-process ASGI
    transport) the error propagates to the client as a failed request.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("fault rule dropped the connection")
    transport.abort()


async def _send_edge_refusal(send: Send, status: int) -> None:
    body = edge_body(status)
    headers = [
        (b"content-type", EDGE_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(
    send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]
) -> None:
    payload = b"" if body is None else dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", JSON_MEDIA_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def fault_rule_from_json(data: Any) -> FaultRule:
    """Validate a ``POST /_emulator/faults`` body into a rule (ValueError with the reason)."""
    if not isinstance(data, dict):
        raise ValueError("a fault rule is a JSON object")
    path = data.get("path", "/")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError("'path' must be a string starting with /")
    status = data.get("status")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise ValueError("'status' must be an HTTP status code")
    times = data.get("times", 1)
    delay = data.get("delay_ms", 0)
    if not isinstance(times, int) or times < 1:
        raise ValueError("'times' must be a positive integer")
    if not isinstance(delay, int) or not 0 <= delay <= 600_000:
        raise ValueError("'delay_ms' must be an integer from 0 to 600000")
    method = data.get("method")
    if method is not None and not isinstance(method, str):
        raise ValueError("'method' must be a string")
    json.dumps(data.get("body"))  # the canned body must be JSON-serialisable
    return FaultRule(
        path=path,
        method=method,
        status=status,
        body=data.get("body"),
        delay_ms=delay,
        drop=bool(data.get("drop", False)),
        times=times,
    )
