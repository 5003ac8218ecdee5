"""The PostgreSQL store's way to its database: :class:`StorePool`, one small pool of sessions
and the one door every statement goes through.

- **Errors.** A database that cannot be reached, or a session that broke (a restart, a failover,
  a dropped network) is :class:`~server.errors.StoreUnavailable`, whose message names neither
  the host nor the URL. After one, statements fail at once for :data:`RETRY_SECONDS`
  (doubling while it lasts) instead of each waiting for a connection that will not come: the
  store's reads are called inline from the event loop, so a dead database must not hold every
  call. The write keys go through the async twin of this pool
  (:mod:`server.store.postgres_async_pool`), which shares its :class:`Backoff`.
  Then one caller probes with a session of its own — refused at once by a database that is
  restarting — and when it connects, the pool drops its dead sessions and fills again.
- **Retries.** A restart leaves every pooled session dead; the statement that meets one is run
  again on a fresh session, once a probe found the database there — if it may run twice: reads,
  and writes made idempotent (a token write, a write key claimed with the same holder token);
  not an activity batch, nor a deletion that must say whether the row existed.
- **Durability.** Sessions run with ``synchronous_commit = off``, as SQLite's write keys run
  with ``synchronous = NORMAL``: a commit does not wait for the WAL to reach the disk, so a
  crash of the database server (never of callforce) may lose the last few hundred
  milliseconds of write keys and activity — at most one repeated write — and never corrupts
  anything. A write that must survive (tokens: a rotated refresh token is the only copy) asks
  for ``synchronous_commit = on`` in its own transaction (:meth:`StorePool.durable`).
- **Sizes.** :data:`POOL_SIZE` sessions at most, one kept open: the event loop asks one
  statement at a time, and token writes (worker threads) and the activity recorder are few.
  The renewal locks have a session of their own (:mod:`server.store.postgres_locks`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from server.errors import StoreUnavailable

#: Sessions in the pool at most (one is kept open).
POOL_SIZE = 4
#: libpq's connect timeout, unless the URL sets one (whole seconds; libpq's least is 2).
CONNECT_TIMEOUT_SECONDS = 3
#: How long a statement waits for a free session before the database counts as unreachable.
WAIT_SECONDS = 2.0
#: After a failure, how long statements fail at once before the database is tried again
#: (doubling with each failure in a row, at most MAX_RETRY_SECONDS).
RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 5.0

Session = psycopg.Connection[Any]
_T = TypeVar("_T")
logger = logging.getLogger("callforce.store")


def connection_params(url: str) -> dict[str, Any]:
    """libpq's parameters of ``url`` plus callforce's defaults (the URL's own win)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        # psycopg's message quotes the URL, which may hold a password.
        raise ValueError("CALLFORCE_DATABASE_URL is not a PostgreSQL URL libpq can read") from None
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    params.setdefault("application_name", "callforce")
    return params


def connect(params: dict[str, Any]) -> Session:
    """A session of its own (migrations, renewal locks), in autocommit mode; StoreUnavailable
    (with libpq's first line as ``detail``) when the database cannot be reached."""
    try:
        return psycopg.connect(**params, autocommit=True)
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(reason_of(exc)) from None


def reason_of(exc: BaseException) -> str:
    """libpq's first line about ``exc``: what went wrong, never the URL's password."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def lost(exc: psycopg.OperationalError) -> bool:
    """Whether ``exc`` says the session (or the way to the database) is gone: no SQLSTATE (a
    client-side failure), a connection exception (08…), a shutdown (57P01-3), a pool timeout."""
    state = exc.sqlstate
    return (
        isinstance(exc, PoolTimeout)
        or state is None
        or state.startswith("08")
        or state in {"57P01", "57P02", "57P03"}
    )


def relaxed(session: Session) -> None:
    session.execute("SET synchronous_commit = off")


class Backoff:
    """Whether the database may be tried, after failures in a row (shared by the store's sync
    and async pools, so that one that found the database away spares the other the wait)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        #: Failures in a row, and when (monotonic) the database may be tried again (0: now).
        self._failures = 0
        self._retry_at = 0.0

    def must_probe(self) -> bool:
        """False: go ahead; True: the wait is over, probe first (the others are refused
        meanwhile). StoreUnavailable while the wait lasts."""
        with self._guard:
            if not self._retry_at:
                return False
            if time.monotonic() < self._retry_at:
                raise StoreUnavailable
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return True

    def failed(self, reason: str) -> None:
        """A probe failed: refuse for a while (doubling, at most :data:`MAX_RETRY_SECONDS`)."""
        with self._guard:
            self._failures += 1
            wait = min(RETRY_SECONDS * 2 ** (self._failures - 1), MAX_RETRY_SECONDS)
            self._retry_at = time.monotonic() + wait
        logger.warning("the connection database is out of reach (%s); next try in %.1fs",
                       reason, wait)  # fmt: skip

    def healed(self) -> None:
        """A probe connected: statements go ahead again."""
        with self._guard:
            self._failures = 0
            self._retry_at = 0.0


class StorePool:
    """The store's pooled sessions (autocommit), with the error policy of the module doc."""

    def __init__(self, params: dict[str, Any], *, size: int = POOL_SIZE) -> None:
        self._params = params
        self._pool: ConnectionPool[Session] = ConnectionPool(
            kwargs={**params, "autocommit": True},
            min_size=1,
            max_size=size,
            open=False,
            configure=relaxed,
            name="callforce",
            timeout=WAIT_SECONDS,
            num_workers=1,
        )
        self._pool.open(wait=False)
        self.backoff = Backoff()

    def read(self, work: Callable[[Session], _T]) -> _T:
        """``work`` (reads only) on a pooled session; again on a fresh one if that one broke."""
        return self._run(work, retries=1)

    def write(self, work: Callable[[Session], _T], *, retries: int = 0) -> _T:
        """``work`` on a pooled session, in autocommit; run again up to ``retries`` times when
        only its session broke — for work that may run twice (it may have been applied)."""
        return self._run(work, retries=retries)

    def durable(self, work: Callable[[Session], _T], *, retries: int = 0) -> _T:
        """``work`` in one transaction whose commit waits for the disk (``synchronous_commit =
        on``); run again up to ``retries`` times when only its session broke (idempotent work)."""

        def transaction(session: Session) -> _T:
            with session.transaction():
                session.execute("SET LOCAL synchronous_commit = on")
                return work(session)

        return self._run(transaction, retries=retries)

    def _run(self, work: Callable[[Session], _T], *, retries: int) -> _T:
        attempt = 0
        while True:
            self._usable()
            try:
                with self._pool.connection() as session:
                    return work(session)
            except psycopg.OperationalError as exc:
                error = self._failed(exc)
                if attempt >= retries:
                    raise error from None
                attempt += 1

    def _usable(self) -> None:
        """Refuse at once while the database is away; once the wait is over, probe it."""
        if self.backoff.must_probe() and not self._probe(None):
            raise StoreUnavailable

    def _failed(self, exc: psycopg.OperationalError) -> StoreUnavailable:
        """The error for a failed statement; after a lost session, probe the database (a retry
        may go ahead only when it answered)."""
        if lost(exc):
            self._probe(exc)
        else:  # the database answered: a deadlock, a timeout, a lock not available
            logger.warning("a statement of the connection store failed: %s", reason_of(exc))
        return StoreUnavailable()

    def _probe(self, cause: psycopg.OperationalError | None) -> bool:
        """Whether a session of its own connects: then the pool drops its dead sessions and
        fills again, else statements are refused for a while (doubling, at most
        :data:`MAX_RETRY_SECONDS`).

        A probe fails as fast as the database refuses (a restart: at once), where a pooled
        request would wait :data:`WAIT_SECONDS` for the pool's own reconnection, which backs
        off for minutes.
        """
        try:
            connect(self._params).close()
        except StoreUnavailable as exc:
            self.backoff.failed(exc.detail or (reason_of(cause) if cause else "unknown"))
            return False
        self._pool.check()
        self.backoff.healed()
        return True

    def close(self) -> None:
        """Close every session."""
        self._pool.close()
