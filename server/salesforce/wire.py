"""One request on the wire to a Salesforce instance: the pooled connections and what one request
costs, kept small because every tool call pays it.

:class:`Wire` sends through httpcore's connection pool — the layer httpx itself sends through —
and skips httpx's client layer (its URL model and merging, cookies, auth and redirect machinery),
which costs ~40% more CPU per request than the request itself; callers still get an
``httpx.Response``. Redirects are never followed (the bearer token must never reach another
host), and the URL is built here:

- ``path`` (already checked by :func:`~server.salesforce.endpoints.check_endpoint`) keeps its
  percent-encoding; anything a URL cannot carry raw (non-ASCII, spaces in a query) is encoded;
- ``params`` are form-encoded (``q=SELECT+Id%2C+Name…``), as httpx encodes them.

Errors come back as callforce's, by whether the request may have reached Salesforce:

==================================================  =======================================
httpcore                                            callforce
==================================================  =======================================
ConnectError, ConnectTimeout, PoolTimeout,          :class:`TransportError`, not sent
LocalProtocolError, UnsupportedProtocol
ReadTimeout, WriteTimeout                           :class:`Timeout` (a write: may have
                                                    happened)
ReadError, WriteError, RemoteProtocolError          sent: :class:`TransportError` for a safe
                                                    request, :class:`OutcomeUnknown` for a write
==================================================  =======================================
"""

from __future__ import annotations

import json as jsonlib
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpcore
import httpx

from server.errors import OutcomeUnknown, RequestRefused, Timeout, TransportError
from server.salesforce.budget import CallBudget
from server.salesforce.budget import current as current_budget

#: What a path or query may hold raw; everything else is percent-encoded (``%`` kept as is).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_OPERATIONS = {"POST": "create", "PATCH": "update", "PUT": "write", "DELETE": "delete"}
_FIXED_HEADERS = ((b"Accept", b"application/json"), (b"User-Agent", b"callforce"))


def operation(method: str) -> str:
    """How a message names what a write of ``method`` was doing."""
    return _OPERATIONS.get(method, "request")


def target(base: str, path: str, params: Mapping[str, str | int] | None = None) -> str:
    """``base`` + ``path`` (+ its query) + ``params``, encoded for the wire."""
    raw_path, sep, query = path.partition("?")
    url = base + quote(raw_path, safe=_PATH_SAFE)
    if sep:
        url += "?" + quote(query, safe=_QUERY_SAFE)
    if params:
        url += ("&" if sep else "?") + urlencode(params)
    return url


class Wire:
    """A pool of keep-alive connections to the orgs' instances; one per client, closed with it.

    Every connection a burst opened stays for the next burst (50 concurrent calls would
    otherwise pay 30 new TLS handshakes each time), and for 30 s, not httpx's 5: tool calls in
    one phone call are often seconds apart, and a handshake with Salesforce costs round trips.
    """

    def __init__(self, tls: ssl.SSLContext, *, connect_timeout: float) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=100,
            max_keepalive_connections=100,
            keepalive_expiry=30,
            http1=True,
            http2=False,
        )
        self._connect_timeout = connect_timeout

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._pool.aclose()

    async def send(
        self,
        method: str,
        url: str,
        *,
        bearer: str | None,
        safe: bool,
        within: float,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request within ``within`` seconds (its socket timeouts); its answer, whatever
        the status (see the module doc for errors). A write's first byte on the socket is
        recorded in the call's budget (:mod:`server.salesforce.budget`)."""
        sent_headers, content = _encoded(headers, bearer, json)
        extensions: dict[str, Any] = {
            "timeout": {
                "connect": min(self._connect_timeout, within),
                "read": within,
                "write": within,
                "pool": within,
            }
        }
        budget = current_budget()
        if not safe and budget is not None:
            extensions["trace"] = _write_tracer(budget, operation(method))
        try:
            answer = await self._pool.request(
                method, url, headers=sent_headers, content=content, extensions=extensions
            )
        except (
            httpcore.ConnectError,
            httpcore.ConnectTimeout,
            httpcore.PoolTimeout,
            httpcore.LocalProtocolError,
            httpcore.UnsupportedProtocol,
        ):
            # Nothing was sent: safe to try again whatever the method.
            raise TransportError("could not open a connection", request_sent=False) from None
        except httpcore.TimeoutException:
            if budget is not None:
                raise budget.expired(writes=not safe) from None
            raise Timeout(within, operation=None if safe else operation(method)) from None
        except (httpcore.NetworkError, httpcore.ProtocolError):
            if not safe:
                raise OutcomeUnknown(operation(method)) from None
            raise TransportError("the connection dropped", request_sent=True) from None
        return httpx.Response(answer.status, headers=answer.headers, content=answer.content)


def _encoded(
    headers: Mapping[str, str] | None, bearer: str | None, json: Any
) -> tuple[list[tuple[bytes, bytes]], bytes | None]:
    """The request's headers and body as bytes; RequestRefused (nothing sent) for a header that
    is not ASCII or a body that is not JSON (NaN, infinity, lone surrogates)."""
    sent_headers = list(_FIXED_HEADERS)
    try:
        for name, value in (headers or {}).items():
            if name.lower() != "authorization":  # nobody but the client sets it
                sent_headers.append((name.encode("ascii"), value.encode("ascii")))
    except UnicodeEncodeError:
        raise RequestRefused(
            "a header holds characters a header cannot carry (only ASCII)."
        ) from None
    if bearer is not None:
        sent_headers.append((b"Authorization", f"Bearer {bearer}".encode("ascii")))
    if json is None:
        return sent_headers, None
    try:
        # As httpx encodes JSON: compact, UTF-8, and no NaN or Infinity (not JSON).
        text = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        content = text.encode("utf-8")
    except (ValueError, UnicodeEncodeError):  # also what a circular structure raises
        raise RequestRefused(
            "the body holds a value JSON cannot carry (infinity, NaN or broken text)."
        ) from None
    sent_headers.append((b"Content-Type", b"application/json"))
    return sent_headers, content


def _write_tracer(
    budget: CallBudget, what: str
) -> Callable[[str, Mapping[str, Any]], Awaitable[None]]:
    """httpcore's trace hook that records in ``budget`` when a write's headers start out."""

    async def trace(event: str, info: Mapping[str, Any]) -> None:
        if event == "http11.send_request_headers.started":
            budget.wrote(what)

    return trace
