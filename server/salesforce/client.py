"""The shared, authenticated Salesforce client: one connection pool per process.

One call (:meth:`SalesforceClient.request`) goes:

1. resolve the connection (the named one, ``Settings.default_connection``, or the store's
   default) and refuse it at once if it ``needs_reconnect``;
2. send with ``Authorization: Bearer <access token>`` to ``instance_url + path``; ``path`` must
   pass :func:`~server.salesforce.endpoints.check_endpoint` (under ``/services/``, out of
   ``/services/oauth2/``, one meaning only); redirects are never followed, so the token never
   reaches another host;
3. on 401 ``INVALID_SESSION_ID``, renew the session once and replay once;
4. map an answer >= 400 to the typed error of :mod:`server.errors`; 2xx and 3xx (300 = upsert
   matched several records) are returned.

**Renewal** (:mod:`server.salesforce.renewal`): once per expiry across concurrent callers and
processes sharing the store, the new tokens persisted before use; a failed renewal, or a 401
right after one, fails the call with :class:`~server.errors.RenewalFailed` and keeps the
connection (backing off), and only a refused grant needs a person to reconnect.

**Deadline** (:mod:`server.salesforce.budget`): inside a tool call the call's budget governs
everything — renewal and retries included — and each request's socket timeouts are what is
left of it; a client used outside a tool call gives each request
``Settings.call_deadline_seconds``. Running out raises :class:`~server.errors.Timeout`, saying
whether a write may have happened. The pool stays usable afterwards.

**Retries** (:mod:`server.salesforce.retries`): idempotent requests on a server error, the
concurrent-request limit or a connection error, any request on ``UNABLE_TO_LOCK_ROW``, a
non-idempotent one only when nothing was sent; at most 2 attempts, inside the deadline.

Logging goes to ``callforce.salesforce``: method and path at DEBUG, never a token, a query
string or a body.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from server.activity.observe import salesforce_request
from server.errors import (
    ConnectionNotFound,
    InvalidRequest,
    NeedsReconnect,
    RequestRefused,
    Timeout,
    error_from_response,
)
from server.salesforce.answers import json_object
from server.salesforce.budget import current as current_budget
from server.salesforce.budget import opened
from server.salesforce.endpoints import check_endpoint
from server.salesforce.long_query import composite_body, fits_in_url, subrequest_answer
from server.salesforce.renewal import SessionRenewal
from server.salesforce.retries import IDEMPOTENT_METHODS, with_retries
from server.salesforce.trust import ssl_context
from server.salesforce.usage import ApiUsage
from server.salesforce.wire import Wire, target
from server.settings import Settings
from server.store.interface import Connection, ConnectionStore

logger = logging.getLogger("callforce.salesforce")

#: The fewest rows Salesforce returns per query batch (and the most: 2,000).
MIN_QUERY_BATCH = 200
MAX_QUERY_BATCH = 2000
_NEXT_RECORDS = re.compile(r"/services/data/v\d{2,3}\.\d/(?:query|queryAll)/[A-Za-z0-9_-]{1,100}")


class SalesforceClient:
    """Authenticated calls to the connected orgs (see the module docstring).

    Build one per process (in the app's lifespan) and close it with :meth:`aclose` or
    ``async with``. API requests go through a :class:`~server.salesforce.wire.Wire`; the OAuth
    flows get an ``httpx.AsyncClient`` (:attr:`http`). Both are made on first use — their TLS
    setup (certifi's roots) costs tens of milliseconds that a stdio server would otherwise spend
    before it can answer tools/list — or by :meth:`warm_up`. ``oauth_transport`` is for tests
    that fake a login host below httpx; ``api_usage`` is where the orgs' daily API usage is kept
    (:mod:`~server.salesforce.usage`; the HTTP app shares one with the connect page).
    """

    def __init__(
        self,
        settings: Settings,
        store: ConnectionStore,
        *,
        oauth_transport: httpx.AsyncBaseTransport | None = None,
        api_usage: ApiUsage | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._oauth_transport = oauth_transport
        self._wire: Wire | None = None
        self._http: httpx.AsyncClient | None = None
        self._renewal = SessionRenewal(settings, store, self._oauth_client, self._usable)
        #: The latest daily API usage each connection's answers reported (shared with the
        #: connect page when the HTTP app passes its own).
        self.api_usage = api_usage if api_usage is not None else ApiUsage()

    def _api(self) -> Wire:
        if self._wire is None:
            self._wire = Wire(
                ssl_context(self._settings), connect_timeout=self._settings.connect_timeout_seconds
            )
        return self._wire

    def _oauth_client(self) -> httpx.AsyncClient:
        if self._http is None:
            deadline = self._settings.call_deadline_seconds
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(deadline, connect=self._settings.connect_timeout_seconds),
                # A given transport (a test's fake login host) brings its own TLS setup.
                verify=ssl_context(self._settings) if self._oauth_transport is None else True,
                transport=self._oauth_transport,
                follow_redirects=False,
                headers={"Accept": "application/json", "User-Agent": "callforce"},
            )
        return self._http

    def warm_up(self) -> None:
        """Make the API connection pool now, while nothing waits (else the first call does)."""
        self._api()

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared HTTP client, for the OAuth flows of :mod:`server.salesforce.grants`."""
        return self._oauth_client()

    @property
    def api_version(self) -> str:
        """The REST API version in use, e.g. ``"62.0"``."""
        return self._settings.api_version

    def api_path(self, suffix: str) -> str:
        """``/services/data/vNN.N/<suffix>``."""
        return f"/services/data/v{self.api_version}/{suffix.lstrip('/')}"

    async def aclose(self) -> None:
        """Let in-flight renewals finish (they may be persisting a rotated token), then close."""
        await self._renewal.wait_pending()
        if self._wire is not None:
            await self._wire.aclose()
        if self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> SalesforceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- connections ---------------------------------------------------------------------------

    def connection_for(self, name: str | None = None) -> Connection:
        """The named connection, or the default one when ``name`` is ``None``.

        The default is ``Settings.default_connection``, else the store's default (the one marked
        default, or the only one). Raises :class:`ConnectionNotFound` naming the known ones.
        """
        name = name or self._settings.default_connection
        conn = self._store.get(name) if name else self._store.default()
        if conn is None:
            raise ConnectionNotFound(name, [known.name for known in self._store.list()])
        return conn

    def _usable(self, name: str | None) -> Connection:
        conn = self.connection_for(name)
        if conn.state != "connected":
            raise NeedsReconnect(conn.name)
        return conn

    # -- requests ------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        connection: str | None = None,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send ``method path`` to the connection's instance; the response if below 400.

        ``idempotent`` defaults to True for GET/HEAD/OPTIONS; pass True for a POST that is
        safe to repeat (a query sent as POST), False to forbid retries of a GET.
        """
        method = method.upper()
        check_endpoint(path)
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent

        async def attempt() -> httpx.Response:
            return await self._authorized(
                method, path, connection, safe, params=params, json=json, headers=headers
            )

        try:
            if current_budget() is not None:  # inside a tool call: its deadline governs
                return await with_retries(safe, attempt)
            with opened(self._settings.call_deadline_seconds) as budget:
                try:
                    async with asyncio.timeout(budget.seconds):
                        return await with_retries(safe, attempt)
                except TimeoutError:
                    logger.info("%s %s: no answer within %gs", method, path, budget.seconds)
                    raise budget.expired(writes=not safe) from None
        except InvalidRequest as exc:
            if exc.error_code == "UNABLE_TO_LOCK_ROW":  # retried once already, see retryable
                raise exc.with_message(
                    "Salesforce could not lock the record just now (UNABLE_TO_LOCK_ROW: another "
                    "process was changing it). Nothing was written; it is safe to call again."
                ) from None
            raise

    async def _authorized(
        self,
        method: str,
        path: str,
        connection: str | None,
        safe: bool,
        **send: Any,
    ) -> httpx.Response:
        conn = self._usable(connection)
        renewed_by_grant = False
        renewals = 0
        if conn.access_token is None:
            conn, renewed_by_grant = await self._renewal.renew(conn.name, used=None)
            renewals += 1
        response = await self._send(conn, method, path, safe, **send)
        while response.status_code == 401:
            if renewed_by_grant or renewals >= 2:
                # Fail this call, keep the connection: a refresh token that still works must
                # not need a person to sign in again (the renewal counts the failure).
                raise await self._renewal.refused_after_renewal(conn.name)
            used = conn.access_token.get_secret_value() if conn.access_token else None
            conn, renewed_by_grant = await self._renewal.renew(conn.name, used=used)
            renewals += 1
            response = await self._send(conn, method, path, safe, **send)
        if renewals:
            self._renewal.succeeded(conn.name)
        if response.status_code >= 400:
            error = error_from_response(response.status_code, response.content)
            raise self.api_usage.explain(conn.name, error)
        return response

    async def _send(
        self,
        conn: Connection,
        method: str,
        path: str,
        safe: bool,
        *,
        params: Mapping[str, str | int] | None,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        bearer = conn.access_token.get_secret_value() if conn.access_token else None
        budget = current_budget()
        within = budget.remaining() if budget is not None else self._settings.call_deadline_seconds
        if within <= 0:
            raise (budget.expired(writes=not safe) if budget else Timeout(0))
        with salesforce_request(method, path, conn.name) as seen:
            response = await self._api().send(
                method,
                target(conn.instance_url, path, params),
                bearer=bearer,
                safe=safe,
                within=within,
                json=json,
                headers=headers,
            )
            seen.status = response.status_code
        self.api_usage.note(conn.name, response.headers)
        logger.debug("%s %s -> %d", method, path, response.status_code)
        return response

    # -- queries -------------------------------------------------------------------------------

    async def query(
        self, soql: str, *, connection: str | None = None, batch_size: int | None = None
    ) -> dict[str, Any]:
        """Run SOQL; the first page ``{totalSize, done, nextRecordsUrl?, records}``.

        ``batch_size`` is clamped to Salesforce's 200–2000 (it may answer other sizes). A
        statement too long for a URL is sent as a Composite subrequest
        (:mod:`~server.salesforce.long_query`): still one request, the same answer and errors.
        """
        headers = {}
        if batch_size is not None:
            size = max(MIN_QUERY_BATCH, min(MAX_QUERY_BATCH, batch_size))
            headers["Sforce-Query-Options"] = f"batchSize={size}"
        path = self.api_path("query")
        if fits_in_url(path, soql):
            response = await self.request(
                "GET", path, connection=connection, params={"q": soql}, headers=headers
            )
            return json_object(response)
        response = await self.request(
            "POST",
            self.api_path("composite"),
            connection=connection,
            json=composite_body(path, soql, headers),
            idempotent=True,  # a query: safe to send again
        )
        return subrequest_answer(json_object(response))

    async def query_more(
        self, next_records_url: str, *, connection: str | None = None
    ) -> dict[str, Any]:
        """The next page of a query, from the previous page's ``nextRecordsUrl``.

        Only a ``/services/data/vNN.N/query/<locator>`` (or ``queryAll``) path is accepted, or
        the same as an absolute URL on the connection's own instance.
        """
        conn = self.connection_for(connection)
        parts = urlsplit(next_records_url)
        if parts.scheme or parts.netloc:
            same_instance = f"{parts.scheme}://{parts.netloc}".lower() == conn.instance_url.lower()
            if not same_instance:
                raise RequestRefused("nextRecordsUrl must point at the connection's own instance.")
        if parts.query or parts.fragment or not _NEXT_RECORDS.fullmatch(parts.path):
            raise RequestRefused(
                "nextRecordsUrl must be a /services/data/vNN.N/query/<locator> path."
            )
        response = await self.request("GET", parts.path, connection=conn.name)
        return json_object(response)
