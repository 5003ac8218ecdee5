"""The PostgreSQL store's way to its database from the event loop: :class:`AsyncStorePool`, the
asyncio twin of :class:`~server.store.postgres_pool.StorePool` for the statements a tool call
waits on (write keys), so that a round trip to the database never holds the loop.

Its error policy is the sync pool's (:mod:`server.store.postgres_pool`): a database away is
:class:`~server.errors.StoreUnavailable`; after a failure statements are refused at once while
the shared :class:`~server.store.postgres_pool.Backoff` waits, then one caller probes; a
statement whose session broke runs again once — if it may run twice — after a probe found the
database there. Sessions run with ``synchronous_commit = off`` as there.

The pool belongs to an event loop: it is opened on first use on the running loop and closed by
:meth:`AsyncStorePool.close` on that loop (the server's lifespan does it). A use from another
loop (a test's next loop) opens a new pool; the old loop's sessions are then closed by
:meth:`AsyncStorePool.close` only if that loop still runs, so close on the loop that used it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool

from server.errors import StoreUnavailable
from server.store.postgres_pool import (
    POOL_SIZE,
    WAIT_SECONDS,
    Backoff,
    logger,
    lost,
    reason_of,
)

AsyncSession = psycopg.AsyncConnection[Any]
_T = TypeVar("_T")


async def _relaxed(session: AsyncSession) -> None:
    await session.execute("SET synchronous_commit = off")


class AsyncStorePool:
    """The store's pooled async sessions (autocommit), opened lazily on the running loop."""

    def __init__(self, params: dict[str, Any], backoff: Backoff, *, size: int = POOL_SIZE) -> None:
        self._params = params
        self._backoff = backoff
        self._size = size
        self._pool: AsyncConnectionPool[AsyncSession] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None

    async def write(self, work: Callable[[AsyncSession], Awaitable[_T]], *, retries: int = 0) -> _T:
        """``work`` on a pooled session, in autocommit; run again up to ``retries`` times when
        only its session broke — for work that may run twice (it may have been applied)."""
        attempt = 0
        while True:
            if self._backoff.must_probe() and not await self._probe(None):
                raise StoreUnavailable
            pool = await self._opened()
            try:
                async with pool.connection() as session:
                    return await work(session)
            except psycopg.OperationalError as exc:
                error = await self._failed(exc)
                if attempt >= retries:
                    raise error from None
                attempt += 1

    async def open(self) -> None:
        """Open the pool on the running loop now rather than on first use (without waiting for
        its first session)."""
        await self._opened()

    async def _opened(self) -> AsyncConnectionPool[AsyncSession]:
        """The pool of the running loop, opened (without waiting for a session) on first use."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._pool, self._opening = loop, None, asyncio.Lock()
        assert self._opening is not None
        async with self._opening:  # two first calls at once open one pool
            if self._pool is None:
                pool: AsyncConnectionPool[AsyncSession] = AsyncConnectionPool(
                    kwargs={**self._params, "autocommit": True},
                    min_size=1,
                    max_size=self._size,
                    open=False,
                    configure=_relaxed,
                    name="callforce-async",
                    timeout=WAIT_SECONDS,
                    num_workers=1,
                )
                await pool.open(wait=False)
                self._pool = pool
        return self._pool

    async def _failed(self, exc: psycopg.OperationalError) -> StoreUnavailable:
        """The error for a failed statement; after a lost session, probe the database."""
        if lost(exc):
            await self._probe(exc)
        else:  # the database answered: a deadlock, a timeout, a lock not available
            logger.warning("a statement of the connection store failed: %s", reason_of(exc))
        return StoreUnavailable()

    async def _probe(self, cause: psycopg.OperationalError | None) -> bool:
        """Whether a session of its own connects: then the pool drops its dead sessions, else
        statements are refused for a while (see :class:`~server.store.postgres_pool.Backoff`)."""
        try:
            probe = await psycopg.AsyncConnection.connect(**self._params, autocommit=True)
        except psycopg.OperationalError as exc:
            self._backoff.failed(reason_of(exc) or (reason_of(cause) if cause else "unknown"))
            return False
        await probe.close()
        if self._pool is not None and self._loop is asyncio.get_running_loop():
            await self._pool.check()
        self._backoff.healed()
        return True

    async def close(self) -> None:
        """Close the sessions opened on the running loop (the next use opens a new pool)."""
        pool, self._pool = self._pool, None
        if pool is not None and self._loop is asyncio.get_running_loop():
            await pool.close()
