"""The PostgreSQL store's renewal locks: session advisory locks, one key per connection name.

:class:`LockSession` is one session of the store's own, opened at the first renewal and kept
for the next, on which every :class:`AdvisoryLock` of the store is taken with
``pg_try_advisory_lock`` (never waiting: the renewal polls) and given back with
``pg_advisory_unlock``. PostgreSQL ends a session whose process died — a crash, a ``kill -9``
at once (the OS closes the socket), a lost machine within about :data:`DEAD_PEER_SECONDS` (the
session asks the server for TCP keepalives: its default is the OS's, often two hours) — and
every lock the session held with it, so a dead replica never leaves a connection locked. The
session is apart from the pool so that a lock is held exactly for a renewal, and never by a
pooled session that goes on to serve other statements.

Advisory locks of one session are re-entrant in PostgreSQL; a store is not (two renewals of
one connection in one process must exclude each other as two processes do), so the session
also keeps the keys it holds and refuses a second holder. A lock's key is :func:`lock_key`:
64 bits of BLAKE2b of the lower-cased name — the same in every process and every version of
Python and PostgreSQL, unlike ``hash()`` or ``hashtext``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

import psycopg

from server.errors import StoreUnavailable
from server.store.postgres_pool import Session, connect

#: Keepalives the server sends the lock session: idle seconds, interval, count.
_KEEPALIVES = (10, 5, 3)
#: About how long the server takes to end the lock session of a machine that vanished.
DEAD_PEER_SECONDS = _KEEPALIVES[0] + _KEEPALIVES[1] * _KEEPALIVES[2]


def lock_key(purpose: str) -> int:
    """The signed 64-bit advisory lock key of ``purpose`` (e.g. ``"renewal prod"``)."""
    digest = hashlib.blake2b(f"callforce {purpose}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class LockSession:
    """The store's session for renewal locks (see the module doc); thread-safe."""

    def __init__(self, params: dict[str, Any], on_acquired: Callable[[], None]) -> None:
        self._params = params
        self._on_acquired = on_acquired
        self._guard = threading.Lock()
        self._session: Session | None = None
        self._held: set[int] = set()

    def lock(self, name: str) -> AdvisoryLock:
        """The renewal lock of the connection ``name`` (any spelling)."""
        return AdvisoryLock(self, lock_key(f"renewal {name.lower()}"))

    def try_lock(self, key: int) -> bool:
        """Take ``key`` if no session (and no other holder here) has it."""
        with self._guard:
            if key in self._held:
                return False
            row = None
            for fresh in (False, True):
                try:
                    if self._session is None or self._session.closed:
                        fresh = True
                        self._session = self._open()
                    row = self._session.execute(
                        "SELECT pg_try_advisory_lock(%s)", (key,)
                    ).fetchone()
                    break
                except psycopg.OperationalError:
                    # A session kept since the last renewal may have died with a restart: its
                    # locks went with it, so asking again on a new one is safe.
                    self._lost()
                    if fresh:
                        raise StoreUnavailable from None
            if not (row and row[0]):
                return False
            self._held.add(key)
        self._on_acquired()
        return True

    def _open(self) -> Session:
        session = connect(self._params)
        # Ignored on a Unix socket; over TCP they bound how long a vanished holder keeps a lock.
        session.execute(
            "SELECT set_config('tcp_keepalives_idle', %s, false), "
            "set_config('tcp_keepalives_interval', %s, false), "
            "set_config('tcp_keepalives_count', %s, false)",
            [str(value) for value in _KEEPALIVES],
        )
        return session

    def unlock(self, key: int) -> None:
        """Give ``key`` back (a session that broke has given it back already)."""
        with self._guard:
            if key not in self._held:
                return
            self._held.discard(key)
            if self._session is None:
                return
            try:
                self._session.execute("SELECT pg_advisory_unlock(%s)", (key,))
            except psycopg.OperationalError:
                self._lost()

    def _lost(self) -> None:
        """The session broke: PostgreSQL has released its locks; start afresh (under the guard)."""
        if self._session is not None:
            self._session.close()
        self._session = None
        self._held.clear()

    def close(self) -> None:
        """End the session (and so every lock it holds)."""
        with self._guard:
            if self._session is not None:
                self._session.close()
            self._session = None
            self._held.clear()


class AdvisoryLock:
    """A :class:`~server.store.interface.RenewalLock` held on the store's :class:`LockSession`."""

    def __init__(self, session: LockSession, key: int) -> None:
        self._session = session
        self._key = key
        self._held = False

    def __repr__(self) -> str:
        return f"AdvisoryLock({self._key})"

    def acquire(self) -> bool:
        """Take the lock if it is free, without waiting; whether it is held now."""
        if self._held:
            raise RuntimeError("the renewal lock is not re-entrant")
        self._held = self._session.try_lock(self._key)
        return self._held

    def release(self) -> None:
        """Give the lock back."""
        if self._held:
            self._held = False
            self._session.unlock(self._key)
