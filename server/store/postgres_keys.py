"""The PostgreSQL store's write keys: the ``idempotency_keys`` table behind
:meth:`~server.store.interface.ConnectionStore.claim_key` and its siblings, with the state
machine of :mod:`server.store.sqlite_keys` (the states are in :mod:`server.store.interface`).

A claim is one ``INSERT … ON CONFLICT (key) DO UPDATE … WHERE`` (the row is taken over only
when it is expired or in a state the caller may take), so two replicas claiming one key at
once get one ``fresh`` and one of the other answers; only a claim that did not take the key
reads the row. Finishing, marking and releasing are one statement each, and only the holder's
token moves the key. Each may run twice (after a broken session the pool runs it again): a
claim that finds the key pending with its own holder token holds it. Each runs in autocommit
without waiting for the disk (:mod:`server.store.postgres_pool`), like SQLite's keys with
``synchronous = NORMAL``. Each has an async twin (``aclaim`` …), with the same statements on
the store's async pool (:mod:`server.store.postgres_async_pool`): a tool call awaits those, and
the event loop goes on while the database answers.

Times are the database's clock (``now()``), not the replica's: several machines compare them,
and theirs may disagree.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Collection
from typing import Any

from server.store.interface import KeyClaim, KeyState
from server.store.postgres_async_pool import AsyncSession, AsyncStorePool
from server.store.postgres_pool import Session, StorePool

#: Expired keys deleted by one prune (the rest wait for the next one).
PRUNE_BATCH = 500
#: How often a claim finds its row gone between its two statements before giving up.
_CLAIM_ATTEMPTS = 3
_NOW = "extract(epoch FROM now())::double precision"
_TAKEN_WHEN = {
    "pending": "k.state = 'pending'",
    "done": "k.state = 'done'",
    "unknown": f"k.state = 'unknown' OR (k.state = 'pending' AND k.lease_until <= {_NOW})",
}

# The key's row, whether it is pending past its lease (its holder is gone), and its holder.
_READ_STATEMENT = (
    "SELECT state, result, fingerprint, "  # noqa: S608 - fixed SQL, the key is a parameter
    f"state = 'pending' AND lease_until <= {_NOW}, holder FROM idempotency_keys WHERE key = %s"
)

_PRUNE_STATEMENT = (
    "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys "  # noqa: S608
    f"WHERE expires_at <= {_NOW} LIMIT %s FOR UPDATE SKIP LOCKED)"
)


@functools.cache
def _claim_statement(take: frozenset[str]) -> str:
    """Insert the key as pending, or take over a row that is expired or in a ``take`` state."""
    conditions = [f"k.expires_at <= {_NOW}"]
    conditions += [f"({_TAKEN_WHEN[state]})" for state in sorted(take) if state in _TAKEN_WHEN]
    # Only the fixed conditions above are joined in; every value is a bound parameter.
    return (
        "INSERT INTO idempotency_keys AS k "  # noqa: S608
        "(key, fingerprint, state, holder, result, lease_until, expires_at) "
        f"VALUES (%(key)s, %(fingerprint)s, 'pending', %(holder)s, NULL, "
        f"{_NOW} + %(lease)s, {_NOW} + %(keep)s) "
        "ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'pending', "
        "holder = excluded.holder, result = NULL, lease_until = excluded.lease_until, "
        f"expires_at = excluded.expires_at WHERE {' OR '.join(conditions)} "
        "RETURNING k.holder"
    )


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _claim_values(
    key: str, fingerprint: str, lease_seconds: float, keep_seconds: float
) -> dict[str, Any]:
    """A claim's parameters, with a new holder token."""
    return {
        "key": key,
        "fingerprint": fingerprint,
        "holder": secrets.token_hex(8),
        "lease": lease_seconds,
        "keep": keep_seconds,
    }


def _answer(values: dict[str, Any], taken: Any, row: Any) -> KeyClaim | None:
    """What one claim attempt found (``None``: the row went away in between, claim again)."""
    holder = values["holder"]
    if taken or (row is not None and row[4] == holder):
        return KeyClaim("fresh", holder, fingerprint=values["fingerprint"])
    if row is None:  # released by its holder in between
        return None
    state, result, found, abandoned, _ = row
    if abandoned:
        state = "unknown"  # its holder is gone without saying how it ended
    return KeyClaim(state, result=json.loads(result) if result else None, fingerprint=found)


_FINISH = (
    "UPDATE idempotency_keys SET state = 'done', holder = NULL, result = %s "
    "WHERE key = %s AND holder = %s"
)
_MARK_UNKNOWN = (
    "UPDATE idempotency_keys SET state = 'unknown', holder = NULL, result = %s "
    "WHERE key = %s AND holder = %s"
)
_RELEASE = "DELETE FROM idempotency_keys WHERE key = %s AND holder = %s"


class PostgresWriteKeys:
    """The write keys of one PostgreSQL store: on its sync pool, and (the ``a…`` methods, which
    a tool call awaits) on its async pool, with the same statements."""

    def __init__(self, pool: StorePool, async_pool: AsyncStorePool) -> None:
        self._pool = pool
        self._async_pool = async_pool

    def claim(
        self,
        key: str,
        fingerprint: str,
        *,
        lease_seconds: float,
        keep_seconds: float,
        take: Collection[KeyState] = (),
    ) -> KeyClaim:
        """See :meth:`~server.store.interface.ConnectionStore.claim_key`."""
        statement = _claim_statement(frozenset(take))

        def attempt(db: Session, values: dict[str, Any]) -> tuple[Any, Any]:
            taken = db.execute(statement, values).fetchone()
            return taken, None if taken else db.execute(_READ_STATEMENT, (key,)).fetchone()

        for _ in range(_CLAIM_ATTEMPTS):
            values = _claim_values(key, fingerprint, lease_seconds, keep_seconds)
            # Run again on a fresh session if this one broke: a first run that was applied left
            # the key pending with this holder token, which the second run finds and keeps.
            taken, row = self._pool.write(functools.partial(attempt, values=values), retries=1)
            found = _answer(values, taken, row)
            if found is not None:
                return found
        raise RuntimeError("a write key kept changing hands while it was claimed")

    async def aclaim(
        self,
        key: str,
        fingerprint: str,
        *,
        lease_seconds: float,
        keep_seconds: float,
        take: Collection[KeyState] = (),
    ) -> KeyClaim:
        """:meth:`claim` on the async pool: the event loop goes on while the database answers."""
        statement = _claim_statement(frozenset(take))

        async def attempt(db: AsyncSession, values: dict[str, Any]) -> tuple[Any, Any]:
            taken = await (await db.execute(statement, values)).fetchone()
            if taken:
                return taken, None
            return None, await (await db.execute(_READ_STATEMENT, (key,))).fetchone()

        for _ in range(_CLAIM_ATTEMPTS):
            values = _claim_values(key, fingerprint, lease_seconds, keep_seconds)
            # Safe to run twice, as in claim().
            taken, row = await self._async_pool.write(
                functools.partial(attempt, values=values), retries=1
            )
            found = _answer(values, taken, row)
            if found is not None:
                return found
        raise RuntimeError("a write key kept changing hands while it was claimed")

    def finish(self, key: str, token: str, result: dict[str, Any]) -> None:
        """See :meth:`~server.store.interface.ConnectionStore.finish_key`."""
        self._settle(_FINISH, (_json(result), key, token))

    def mark_unknown(self, key: str, token: str, note: dict[str, Any]) -> None:
        """See :meth:`~server.store.interface.ConnectionStore.mark_key_unknown`."""
        self._settle(_MARK_UNKNOWN, (_json(note), key, token))

    def release(self, key: str, token: str) -> None:
        """See :meth:`~server.store.interface.ConnectionStore.release_key`."""
        self._settle(_RELEASE, (key, token))

    async def afinish(self, key: str, token: str, result: dict[str, Any]) -> None:
        """:meth:`finish` on the async pool."""
        await self._asettle(_FINISH, (_json(result), key, token))

    async def amark_unknown(self, key: str, token: str, note: dict[str, Any]) -> None:
        """:meth:`mark_unknown` on the async pool."""
        await self._asettle(_MARK_UNKNOWN, (_json(note), key, token))

    async def arelease(self, key: str, token: str) -> None:
        """:meth:`release` on the async pool."""
        await self._asettle(_RELEASE, (key, token))

    def _settle(self, statement: str, values: tuple[str, ...]) -> None:
        # Only the holder's token moves the key, and to the same place twice: safe to run again.
        self._pool.write(lambda db: db.execute(statement, values), retries=1)

    async def _asettle(self, statement: str, values: tuple[str, ...]) -> None:
        async def settle(db: AsyncSession) -> None:
            await db.execute(statement, values)

        await self._async_pool.write(settle, retries=1)  # safe to run again, as in _settle

    def prune(self) -> int:
        """Delete up to :data:`PRUNE_BATCH` expired keys; how many."""
        # SKIP LOCKED: replicas pruning at once take different rows instead of waiting.
        return self._pool.write(lambda db: db.execute(_PRUNE_STATEMENT, (PRUNE_BATCH,)).rowcount)
