"""The shared, authenticated Salesforce client: one pooled ``httpx.AsyncClient`` per process.

One call (:meth:`SalesforceClient.request`) goes:

1. resolve the connection (the named one, ``Settings.default_connection``, or the store's
   default) and refuse it at once if it ``needs_reconnect``;
2. send with ``Authorization: Bearer <access token>`` to ``instance_url + path``; ``path`` must
   stay under ``/services/`` and out of ``/services/oauth2/``; redirects are never followed, so
   the token never reaches another host;
3. on 401 ``INVALID_SESSION_ID``, renew the session once and replay once (below);
4. map an answer >= 400 to the typed error of :mod:`server.errors`; 2xx and 3xx (300 = upsert
   matched several records) are returned.

**Renewal.** Salesforce sends no expiry; a 401 is the signal. Renewal is single-flight per
connection: the first caller starts one renewal task (under the connection's ``asyncio.Lock``),
every concurrent caller awaits that same task, and a caller whose 401 arrives after the renewal
already happened sees that the stored token differs from the one it used and just takes the new
one. Across processes sharing the store, the task holds the store's renewal lock
(:meth:`~server.store.ConnectionStore.renewal_lock`), so two processes never refresh at once —
with rotation the slower refresh would present a token the faster one just invalidated. Under
the lock the task first re-reads the store row and adopts a token another process already renewed;
otherwise it runs the connection's grant (:func:`server.auth.reacquire`: refresh token, or
client credentials / JWT bearer for connections without one), then persists the new tokens —
a rotated refresh token included — *before* any caller uses the new access token. The task is
shielded from the callers' deadlines, so a rotation is never lost half-way. ``invalid_grant``,
a connection that cannot renew, or a 401 right after a renewal mark the connection
``needs_reconnect`` and raise :class:`~server.errors.NeedsReconnect`.

**Deadline.** Everything — renewal and retries included — runs inside
``asyncio.timeout(Settings.call_deadline_seconds)``; running out raises
:class:`~server.errors.Timeout`. The pool stays usable afterwards.

**Retries** (stamina, at most 2 attempts, 0.1–0.5 s jittered backoff, inside the deadline):
idempotent requests (GET/HEAD/OPTIONS, or ``idempotent=True``) on 5xx / ``SERVER_UNAVAILABLE``,
``UNABLE_TO_LOCK_ROW``, the concurrent-request limit and connection errors. A non-idempotent
request is retried only when the connection failed before anything was sent; if it dropped
after sending, the outcome is unknown (:class:`~server.errors.OutcomeUnknown`) and it is never
replayed. The daily ``REQUEST_LIMIT_EXCEEDED`` is not retried.

Logging goes to ``callforce.salesforce``: method and path at DEBUG, never a token, a query
string or a body.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import certifi
import httpx
import stamina

from server import auth
from server.errors import (
    ConnectionNotFound,
    InvalidRequest,
    NeedsReconnect,
    OAuthFailure,
    OutcomeUnknown,
    RequestLimitExceeded,
    RequestRefused,
    ServerError,
    Timeout,
    TransportError,
    error_from_response,
)
from server.settings import Settings
from server.store import Connection, ConnectionStore

logger = logging.getLogger("callforce.salesforce")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPERATIONS = {"POST": "create", "PATCH": "update", "PUT": "write", "DELETE": "delete"}
_RETRY_ATTEMPTS = 2
#: How often a renewal waiting for another process's renewal looks again.
_LOCK_POLL_SECONDS = 0.05
_NEXT_RECORDS = re.compile(r"/services/data/v\d{2,3}\.\d/(?:query|queryAll)/[A-Za-z0-9_-]{1,100}")
_FORBIDDEN_PATH_CHARS = re.compile(r"[\\\x00-\x20\x7f#]")
_FORBIDDEN_QUERY_CHARS = re.compile(r"[\x00-\x1f\x7f#]")


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    """certifi's CA bundle (as httpx's default), plus ``settings.ca_bundle`` when set."""
    ca_bundle = settings.ca_bundle
    stamp = ca_bundle.stat().st_mtime_ns if ca_bundle is not None and ca_bundle.exists() else 0
    return _load_ssl_context(str(ca_bundle) if ca_bundle is not None else None, stamp)


@functools.lru_cache(maxsize=8)
def _load_ssl_context(ca_bundle: str | None, _stamp: int) -> ssl.SSLContext:
    # Parsing certifi's ~150 certificates costs tens of milliseconds (much more on a busy
    # machine); a context is immutable once built and safe to share, so one per bundle (and
    # bundle version: ``_stamp`` is its mtime) serves every client in the process.
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle is not None:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def _retryable(safe: bool, exc: Exception) -> bool:
    """Whether stamina may run the request again after ``exc``."""
    if isinstance(exc, TransportError):
        return safe or not exc.request_sent
    if not safe:
        return False
    if isinstance(exc, ServerError):
        return True
    if isinstance(exc, InvalidRequest):
        return exc.error_code == "UNABLE_TO_LOCK_ROW"
    if isinstance(exc, RequestLimitExceeded):
        # The concurrent long-request limit clears in seconds; the daily total does not.
        return "Concurrent" in exc.salesforce_message
    return False


def _check_path(path: str) -> None:
    """Refuse a path that could leave the instance's API or smuggle something into the URL.

    The path part must be under ``/services/`` and outside ``/services/oauth2/``. Raw, it may
    hold no backslash, whitespace, control character or ``#`` (none is legal unencoded in a
    URL path). Decoded once and twice, no segment may be ``.`` or ``..``. Percent-encoded data
    inside a segment is otherwise fine: an external id such as ``two words`` or ``#1/2`` travels
    as one encoded segment. A query string may follow ``?``; it may not hold control characters
    or ``#``.
    """
    raw_path, _, query = path.partition("?")
    once = unquote(raw_path)
    twice = unquote(once)
    if (
        not raw_path.startswith("/services/")
        or twice.lower().startswith("/services/oauth2/")
        or _FORBIDDEN_PATH_CHARS.search(raw_path)
        or any(segment in (".", "..") for segment in (*once.split("/"), *twice.split("/")))
        or _FORBIDDEN_QUERY_CHARS.search(query)
    ):
        raise RequestRefused(
            "callforce only sends requests to paths under /services/ on the connection's own "
            "instance (not /services/oauth2/), without '..', backslashes or control characters."
        )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ServerError(response.status_code, "INVALID_RESPONSE", "the answer is not JSON")
    return data


class SalesforceClient:
    """Authenticated calls to the connected orgs (see the module docstring).

    Build one per process (in the app's lifespan) and close it with :meth:`aclose` or
    ``async with``. ``transport`` is for tests that fake the network below httpx.
    """

    def __init__(
        self,
        settings: Settings,
        store: ConnectionStore,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        deadline = settings.call_deadline_seconds
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=settings.connect_timeout_seconds,
                read=deadline,
                write=deadline,
                pool=deadline,
            ),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            # A given transport brings its own TLS setup; building a CA store costs ~0.5 s.
            verify=_ssl_context(settings) if transport is None else True,
            follow_redirects=False,
            http2=False,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "callforce"},
        )
        self._locks: dict[str, asyncio.Lock] = {}
        self._renewals: dict[str, asyncio.Task[Connection]] = {}

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared HTTP client, for the OAuth flows of :mod:`server.auth`."""
        return self._http

    @property
    def settings(self) -> Settings:
        """The settings this client was built with."""
        return self._settings

    @property
    def api_version(self) -> str:
        """The REST API version in use, e.g. ``"62.0"``."""
        return self._settings.api_version

    def api_path(self, suffix: str) -> str:
        """``/services/data/vNN.N/<suffix>``."""
        return f"/services/data/v{self.api_version}/{suffix.lstrip('/')}"

    async def aclose(self) -> None:
        """Let in-flight renewals finish (they may be persisting a rotated token), then close."""
        pending = [task for task in self._renewals.values() if not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=self._settings.call_deadline_seconds)
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
        _check_path(path)
        safe = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        deadline = self._settings.call_deadline_seconds

        async def attempt() -> httpx.Response:
            return await self._authorized(
                method, path, connection, safe, params=params, json=json, headers=headers
            )

        try:
            async with asyncio.timeout(deadline):
                return await self._with_retries(safe, attempt)
        except TimeoutError:
            logger.info("%s %s: no answer within %gs", method, path, deadline)
            raise Timeout(deadline, operation=None if safe else _operation(method)) from None

    async def _with_retries(
        self, safe: bool, attempt: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        retrying = stamina.retry_context(
            on=functools.partial(_retryable, safe),
            attempts=_RETRY_ATTEMPTS,
            timeout=None,  # the call deadline bounds the retries
            wait_initial=0.1,
            wait_max=0.5,
            wait_jitter=0.25,
        )
        async for retry in retrying:
            with retry:
                if retry.num > 1:
                    logger.info("retrying a Salesforce call (attempt %d)", retry.num)
                return await attempt()
        raise AssertionError("unreachable: stamina re-raises the last error")

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
            conn, renewed_by_grant = await self._renew(conn.name, used=None)
            renewals += 1
        response = await self._send(conn, method, path, safe, **send)
        while response.status_code == 401:
            if renewed_by_grant or renewals >= 2:
                await self._mark_needs_reconnect(
                    conn.name, "Salesforce refused the session right after it was renewed."
                )
                raise NeedsReconnect(conn.name)
            used = conn.access_token.get_secret_value() if conn.access_token else None
            conn, renewed_by_grant = await self._renew(conn.name, used=used)
            renewals += 1
            response = await self._send(conn, method, path, safe, **send)
        if response.status_code >= 400:
            raise error_from_response(response.status_code, response.content)
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
        request_headers = httpx.Headers(headers)
        if conn.access_token is not None:
            request_headers["Authorization"] = f"Bearer {conn.access_token.get_secret_value()}"
        try:
            response = await self._http.request(
                method,
                conn.instance_url + path,
                params=params,
                json=json,
                headers=request_headers,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
            # Nothing was sent: safe to try again whatever the method.
            raise TransportError("could not open a connection", request_sent=False) from None
        except httpx.TimeoutException:
            raise Timeout(
                self._settings.call_deadline_seconds,
                operation=None if safe else _operation(method),
            ) from None
        except httpx.TransportError:
            if not safe:
                raise OutcomeUnknown(_operation(method)) from None
            raise TransportError("the connection dropped", request_sent=True) from None
        logger.debug("%s %s -> %d", method, path, response.status_code)
        return response

    # -- session renewal -----------------------------------------------------------------------

    async def _renew(self, name: str, *, used: str | None) -> tuple[Connection, bool]:
        """A connection with a working token; True when it came from a new grant just now."""
        current = self._usable(name)
        token = current.access_token.get_secret_value() if current.access_token else None
        if token is not None and token != used:
            return current, False  # another caller (or process) renewed it already
        key = current.name.lower()
        task = self._renewals.get(key)
        if task is None:
            task = asyncio.create_task(self._renewal(current.name, used))
            self._renewals[key] = task
            task.add_done_callback(functools.partial(self._renewal_done, key))
        # Shielded: a caller running out of time must not cancel a rotation half-way.
        return await asyncio.shield(task), True

    def _renewal_done(self, key: str, task: asyncio.Task[Connection]) -> None:
        if self._renewals.get(key) is task:
            del self._renewals[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so a renewal nobody awaited does not warn

    async def _renewal(self, name: str, used: str | None) -> Connection:
        lock = self._locks.setdefault(name.lower(), asyncio.Lock())
        async with lock, self._across_processes(name):
            conn = self._usable(name)  # re-read: another process may have renewed already
            stored = conn.access_token.get_secret_value() if conn.access_token else None
            if stored is not None and stored != used:
                return conn
            try:
                tokens = await auth.reacquire(self._http, conn, self._settings)
            except OAuthFailure as exc:
                if not exc.needs_reconnect:
                    raise
                adopted = self._rotated_elsewhere(conn)
                if adopted is not None:
                    return adopted
                await self._mark_needs_reconnect(
                    name, f"Salesforce refused the saved sign-in ({exc.description or exc.error})."
                )
                raise NeedsReconnect(conn.name) from None
            except NeedsReconnect:
                await self._mark_needs_reconnect(
                    name, "The session expired and this connection cannot renew it by itself."
                )
                raise
            # Persist first: with rotation the old refresh token is already dead, and a crash
            # after using the new access token must not lose the new refresh token.
            await asyncio.to_thread(
                self._store.update_tokens,
                conn.name,
                tokens.access_token,
                tokens.refresh_token,
                instance_url=tokens.instance_url,
            )
            logger.info("renewed the Salesforce session of connection %r", conn.name)
            return self._usable(name)

    @contextlib.asynccontextmanager
    async def _across_processes(self, name: str) -> AsyncIterator[None]:
        """Hold the store's renewal lock of ``name``: one renewal at a time across processes.

        Polled rather than blocked on, so waiting never holds up the event loop; a holder that
        keeps it past the call deadline (a hung process) ends the wait in :class:`Timeout`
        rather than in a second refresh that rotation would turn into a lost connection.
        """
        lock = self._store.renewal_lock(name)
        waited = 0.0
        while not lock.acquire():
            if waited >= self._settings.call_deadline_seconds:
                raise Timeout(self._settings.call_deadline_seconds)
            await asyncio.sleep(_LOCK_POLL_SECONDS)
            waited += _LOCK_POLL_SECONDS
        try:
            yield
        finally:
            lock.release()

    def _rotated_elsewhere(self, tried: Connection) -> Connection | None:
        """The row's newer tokens if another process rotated the refresh token we just used."""
        latest = self.connection_for(tried.name)
        if (
            latest.state == "connected"
            and latest.refresh_token is not None
            and tried.refresh_token is not None
            and latest.refresh_token.get_secret_value() != tried.refresh_token.get_secret_value()
        ):
            return latest
        return None

    async def _mark_needs_reconnect(self, name: str, reason: str) -> None:
        logger.warning("connection %r needs to be reconnected", name)
        with contextlib.suppress(ConnectionNotFound):  # deleted meanwhile: nothing to mark
            await asyncio.to_thread(self._store.mark, name, "needs_reconnect", reason)

    # -- queries -------------------------------------------------------------------------------

    async def query(
        self, soql: str, *, connection: str | None = None, batch_size: int | None = None
    ) -> dict[str, Any]:
        """Run SOQL; the first page ``{totalSize, done, nextRecordsUrl?, records}``.

        ``batch_size`` is clamped to Salesforce's 200–2000 (it may answer other sizes).
        """
        headers = {}
        if batch_size is not None:
            headers["Sforce-Query-Options"] = f"batchSize={max(200, min(2000, batch_size))}"
        response = await self.request(
            "GET",
            self.api_path("query"),
            connection=connection,
            params={"q": soql},
            headers=headers,
        )
        return _json_object(response)

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
        return _json_object(response)


def _operation(method: str) -> str:
    return _OPERATIONS.get(method, "request")
