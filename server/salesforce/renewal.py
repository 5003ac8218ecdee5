"""Renewing a connection's session: once per expiry, across callers and processes.

Salesforce sends no expiry; a 401 is the signal. :meth:`SessionRenewal.renew` is single-flight
per connection: the first caller starts one renewal task (under the connection's
``asyncio.Lock``), every concurrent caller awaits that same task, and a caller whose 401 arrives
after the renewal already happened sees that the stored token differs from the one it used and
just takes the new one. Across processes sharing the store, the task holds the store's renewal
lock (:meth:`~server.store.interface.ConnectionStore.renewal_lock`), so two processes never
refresh at once — with rotation the slower refresh would present a token the faster one just
invalidated. Under the lock the task first re-reads the store row and adopts a token another
process already renewed; otherwise it runs the connection's grant
(:func:`~server.salesforce.grants.reacquire`: refresh token, or client credentials / JWT bearer
for connections without one), then persists the new tokens — a rotated refresh token included —
*before* any caller uses the new access token. The task is shielded from the callers' deadlines
(:class:`~server.salesforce.single_flight.SingleFlight`), so a rotation is never lost half-way.

**When renewal fails.** ``invalid_grant`` (the refresh token is dead, the app revoked), or a
connection that cannot renew by itself, marks the connection ``needs_reconnect`` and raises
:class:`~server.errors.NeedsReconnect`: only a person can help. Anything else — the token
endpoint refusing the client (``invalid_client``), failing (5xx), not answering, or Salesforce
refusing the session right after it was renewed — fails that one call with
:class:`~server.errors.RenewalFailed` and keeps the connection: a hiccup is not a disconnect.
Such failures back off per connection (``CALLFORCE_RENEWAL_BACKOFF_SECONDS``, doubling, at most
5 minutes): meanwhile calls that need a renewal fail at once with the reason instead of asking
the token endpoint again, and the reason is the connection's ``last_error`` (connection_status,
the connect page). After :data:`MAX_FAILURES` failures in a row the connection is marked
``needs_reconnect``. A token request whose bytes were written counts as sent: it is never
repeated within the call, because with rotation Salesforce may already have replaced the refresh
token it carried (see docs/connect.md for what is and is not guaranteed).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx

from server.errors import (
    CallforceError,
    ConnectionNotFound,
    NeedsReconnect,
    OAuthFailure,
    RenewalFailed,
    ServerError,
    Timeout,
    TransportError,
)
from server.salesforce import grants
from server.salesforce.single_flight import SingleFlight
from server.settings import Settings
from server.store.interface import Connection, ConnectionStore

logger = logging.getLogger("callforce.salesforce")

#: How often a renewal waiting for another process's renewal looks again.
_LOCK_POLL_SECONDS = 0.05
#: Failed renewals in a row after which a person must connect the org again.
MAX_FAILURES = 3
#: The longest wait between renewal attempts of a failing connection.
_MAX_BACKOFF_SECONDS = 300.0


@dataclass(slots=True)
class _Failing:
    """A connection whose renewals fail: how often in a row, why, and when to try again."""

    count: int
    reason: str
    retry_at: float


def _token(conn: Connection) -> str | None:
    return conn.access_token.get_secret_value() if conn.access_token else None


class SessionRenewal:
    """Renewals of every connection of one client (see the module docstring).

    ``http()`` is the client's shared HTTP client; ``usable(name)`` reads a connection from the
    store and refuses one that is not connected.
    """

    def __init__(
        self,
        settings: Settings,
        store: ConnectionStore,
        http: Callable[[], httpx.AsyncClient],
        usable: Callable[[str], Connection],
    ) -> None:
        self._settings = settings
        self._store = store
        self._http = http
        self._usable = usable
        self._locks: dict[str, asyncio.Lock] = {}
        self._flights: SingleFlight[tuple[Connection, bool]] = SingleFlight()
        self._failing: dict[str, _Failing] = {}

    async def renew(self, name: str, *, used: str | None) -> tuple[Connection, bool]:
        """A connection with a working token; True when it came from a new grant just now.

        ``used`` is the access token the caller was refused with (None: it had none).
        """
        current = self._usable(name)
        token = _token(current)
        if token is not None and token != used:
            return current, False  # another caller (or process) renewed it already
        failing = self._failing.get(current.name.lower())
        if failing is not None:
            wait = failing.retry_at - time.monotonic()
            if wait > 0:  # backing off: fail fast with the reason, leave the endpoint alone
                raise RenewalFailed(current.name, failing.reason, retry_in=wait)
        work = functools.partial(self._renewal, current.name, used)
        return await self._flights.run(current.name.lower(), work)

    def succeeded(self, name: str) -> None:
        """A request on a renewed session worked: the connection is not failing any more."""
        self._failing.pop(name.lower(), None)

    async def refused_after_renewal(self, name: str) -> CallforceError:
        """Salesforce refused a session it had just issued: the error for this call (the
        failure counts towards :data:`MAX_FAILURES`)."""
        return await self._failed(name, "Salesforce refused the session right after renewing it")

    async def _failed(self, name: str, reason: str) -> CallforceError:
        """Count a failed renewal of ``name``: RenewalFailed with the backoff, or, after
        :data:`MAX_FAILURES` in a row, the connection marked needs_reconnect."""
        key = name.lower()
        previous = self._failing.get(key)
        count = previous.count + 1 if previous else 1
        if count >= MAX_FAILURES:
            self._failing.pop(key, None)
            await self.mark_needs_reconnect(
                name, f"Renewing the session failed {count} times in a row ({reason})."
            )
            return NeedsReconnect(name)
        wait = min(self._settings.renewal_backoff_seconds * 2 ** (count - 1), _MAX_BACKOFF_SECONDS)
        self._failing[key] = _Failing(count, reason, time.monotonic() + wait)
        logger.warning("renewing connection %r failed (%s); next try in %.0fs", name, reason, wait)
        with contextlib.suppress(ConnectionNotFound):
            await asyncio.to_thread(
                self._store.mark,
                name,
                "connected",
                f"Session renewal is failing ({reason}); callforce tries again in {wait:.0f} s.",
            )
        return RenewalFailed(name, reason, retry_in=wait)

    async def wait_pending(self) -> None:
        """Let renewals in flight finish (they may be persisting a rotated token)."""
        pending = self._flights.pending()
        if pending:
            await asyncio.wait(pending, timeout=self._settings.call_deadline_seconds)

    async def mark_needs_reconnect(self, name: str, reason: str) -> None:
        """Record that a person must connect ``name`` again, and why."""
        logger.warning("connection %r needs to be reconnected", name)
        with contextlib.suppress(ConnectionNotFound):  # deleted meanwhile: nothing to mark
            await asyncio.to_thread(self._store.mark, name, "needs_reconnect", reason)

    async def _renewal(self, name: str, used: str | None) -> tuple[Connection, bool]:
        """The renewed connection, and whether its session comes from a grant made here just
        now (False: another process's newer session was adopted, which may itself have expired
        meanwhile — a 401 on it then earns a grant of our own, not a failed call)."""
        lock = self._locks.setdefault(name.lower(), asyncio.Lock())
        async with lock, self._across_processes(name):
            conn = self._usable(name)  # re-read: another process may have renewed already
            stored = _token(conn)
            if stored is not None and stored != used:
                return conn, False
            try:
                tokens = await grants.reacquire(self._http(), conn, self._settings)
            except OAuthFailure as exc:
                if not exc.needs_reconnect:
                    raise await self._failed(name, _reason(exc)) from None
                adopted = self._rotated_elsewhere(conn)
                if adopted is not None:
                    return adopted, False
                await self.mark_needs_reconnect(
                    name, f"Salesforce refused the saved sign-in ({exc.description or exc.error})."
                )
                raise NeedsReconnect(conn.name) from None
            except NeedsReconnect:
                await self.mark_needs_reconnect(
                    name, "The session expired and this connection cannot renew it by itself."
                )
                raise
            except (TransportError, Timeout, ServerError) as exc:
                # Not retried within the call: a token request that went out may have rotated
                # the refresh token it carried (TransportError says whether it went out).
                raise await self._failed(name, _reason(exc)) from None
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
            return self._usable(name), True

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
        latest = self._store.get(tried.name)
        if (
            latest is not None
            and latest.state == "connected"
            and latest.refresh_token is not None
            and tried.refresh_token is not None
            and latest.refresh_token.get_secret_value() != tried.refresh_token.get_secret_value()
        ):
            return latest
        return None


def _reason(exc: CallforceError) -> str:
    """A failed renewal in a few words: Salesforce's error code, or what went wrong."""
    if isinstance(exc, OAuthFailure):
        return f"{exc.error}: {exc.description}" if exc.description else exc.error
    if isinstance(exc, ServerError):
        return f"the token endpoint answered {exc.status} {exc.error_code}"
    if isinstance(exc, TransportError) and exc.request_sent:
        return "the token endpoint took the request but its answer was lost"
    if isinstance(exc, TransportError):
        return "the token endpoint could not be reached"
    return "the token endpoint did not answer in time"
