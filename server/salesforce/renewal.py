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

``invalid_grant``, or a connection that cannot renew by itself, marks the connection
``needs_reconnect`` and raises :class:`~server.errors.NeedsReconnect`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable

import httpx

from server.errors import ConnectionNotFound, NeedsReconnect, OAuthFailure, Timeout
from server.salesforce import grants
from server.salesforce.single_flight import SingleFlight
from server.settings import Settings
from server.store.interface import Connection, ConnectionStore

logger = logging.getLogger("callforce.salesforce")

#: How often a renewal waiting for another process's renewal looks again.
_LOCK_POLL_SECONDS = 0.05


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
        self._flights: SingleFlight[Connection] = SingleFlight()

    async def renew(self, name: str, *, used: str | None) -> tuple[Connection, bool]:
        """A connection with a working token; True when it came from a new grant just now.

        ``used`` is the access token the caller was refused with (None: it had none).
        """
        current = self._usable(name)
        token = _token(current)
        if token is not None and token != used:
            return current, False  # another caller (or process) renewed it already
        work = functools.partial(self._renewal, current.name, used)
        return await self._flights.run(current.name.lower(), work), True

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

    async def _renewal(self, name: str, used: str | None) -> Connection:
        lock = self._locks.setdefault(name.lower(), asyncio.Lock())
        async with lock, self._across_processes(name):
            conn = self._usable(name)  # re-read: another process may have renewed already
            stored = _token(conn)
            if stored is not None and stored != used:
                return conn
            try:
                tokens = await grants.reacquire(self._http(), conn, self._settings)
            except OAuthFailure as exc:
                if not exc.needs_reconnect:
                    raise
                adopted = self._rotated_elsewhere(conn)
                if adopted is not None:
                    return adopted
                await self.mark_needs_reconnect(
                    name, f"Salesforce refused the saved sign-in ({exc.description or exc.error})."
                )
                raise NeedsReconnect(conn.name) from None
            except NeedsReconnect:
                await self.mark_needs_reconnect(
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
