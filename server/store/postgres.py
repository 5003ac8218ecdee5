"""The shared connection store: :class:`PostgresConnectionStore`, in the PostgreSQL database of
``CALLFORCE_DATABASE_URL``, for any number of callforce processes (replicas) at once.

It implements :class:`~server.store.interface.ConnectionStore` with the SQLite store's
semantics: the same rows, tokens sealed by :class:`~server.store.crypto.TokenCipher` bound to
(connection, column) exactly as there, one default connection at most, the same write keys
(:mod:`server.store.postgres_keys`), connect attempts (:mod:`server.store.postgres_attempts`)
and activity record (:mod:`server.store.postgres_activity`).
The schema and its migrations are :mod:`server.store.postgres_schema`; the sessions and what a
database that cannot be reached looks like are :mod:`server.store.postgres_pool`.

**Reads come from an in-process snapshot** (:mod:`server.store.postgres_snapshot`), as in the
SQLite store, so a warm tool call reads no row: it is checked against a counter of changes at
most every :data:`~server.store.postgres_snapshot.CHECK_SECONDS`, dropped after the store's own
writes, and checked at once after a renewal lock is taken or when a name is not found in it.

Writes to ``connections`` lock the counter's row first, so they are serialised across replicas
(a new default never meets another's half-done one), and commit with ``synchronous_commit =
on``: a rotated refresh token is its only copy. The renewal lock is a session advisory lock
(:mod:`server.store.postgres_locks`).
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable, Collection
from typing import Any, TypeVar, get_args

import psycopg
from pydantic import SecretStr

from server.errors import ConnectionNotFound, StoreUnavailable
from server.settings import Settings
from server.store.crypto import TokenCipher
from server.store.file_modes import private_home
from server.store.interface import CONNECTION_NAME, Connection, KeyClaim, KeyState, State
from server.store.postgres_activity import PostgresActivityLog
from server.store.postgres_async_pool import AsyncStorePool
from server.store.postgres_attempts import PostgresAttempts
from server.store.postgres_keys import PostgresWriteKeys
from server.store.postgres_locks import AdvisoryLock, LockSession
from server.store.postgres_pool import (
    POOL_SIZE,
    Session,
    StorePool,
    connect,
    connection_params,
    reason_of,
)
from server.store.postgres_schema import COLUMNS, check_key, migrate, schema_version
from server.store.postgres_snapshot import CHECK_SECONDS, Snapshot

_T = TypeVar("_T")
_NAMES = 'SELECT name FROM connections ORDER BY lower(name) COLLATE "C"'
_UPSERT = (
    f"INSERT INTO connections ({COLUMNS}) VALUES ({', '.join(['%s'] * 14)}, now(), now(), %s) "  # noqa: S608
    "ON CONFLICT ((lower(name))) DO UPDATE SET "
    + ", ".join(
        f"{column} = excluded.{column}"
        for column in COLUMNS.split(", ")
        if column not in ("name", "created_at")
    )
)


class PostgresConnectionStore:
    """The shared store: connections, write keys and activity in one PostgreSQL database."""

    def __init__(
        self,
        url: str,
        cipher: TokenCipher,
        *,
        check_seconds: float = CHECK_SECONDS,
        pool_size: int = POOL_SIZE,
    ) -> None:
        params = connection_params(url)
        self._database = params.get("dbname") or params.get("user") or "postgres"
        setup = connect(params)
        try:
            migrate(setup)
            check_key(setup, cipher)
        except psycopg.OperationalError as exc:  # the database went away while we migrated
            raise StoreUnavailable(reason_of(exc)) from None
        finally:
            setup.close()
        self._lock = threading.Lock()
        self._pool = StorePool(params, size=pool_size)
        self._snapshot = Snapshot(self._pool, cipher, check_seconds=check_seconds)
        self._locks = LockSession(params, on_acquired=self._snapshot.recheck)
        self._async_pool = AsyncStorePool(params, self._pool.backoff, size=pool_size)
        self._keys = PostgresWriteKeys(self._pool, self._async_pool)
        self._attempts = PostgresAttempts(self._pool, cipher)
        self._activity: PostgresActivityLog | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> PostgresConnectionStore:
        """The store in ``settings.database_url`` with the settings' token key."""
        if settings.database_url is None:
            raise ValueError("CALLFORCE_DATABASE_URL is not set")
        if settings.secret_key is None:
            private_home(settings.home)  # the key file is read or written in it
        return cls(settings.database_url.get_secret_value(), TokenCipher.from_settings(settings))

    def __repr__(self) -> str:
        return f"PostgresConnectionStore({self._database})"

    @property
    def schema_version(self) -> int:
        """The applied schema version."""
        return self._pool.read(schema_version)

    # -- reading -------------------------------------------------------------------------------

    def get(self, name: str) -> Connection | None:
        """The connection named ``name`` (any case), or ``None``.

        A name the snapshot lacks is looked for again at once rather than after the check
        interval: another replica may have just created it — a connect finished there, and the
        browser, redirected to the page, reached this one.
        """
        found = self._snapshot.current().get(name.lower())
        if found is None:
            self._snapshot.recheck()
            found = self._snapshot.current().get(name.lower())
        return found

    def default(self) -> Connection | None:
        """The connection marked default, else the only connection, else ``None``."""
        connections = builtins.list(self._snapshot.current().values())
        marked = [conn for conn in connections if conn.is_default]
        if marked:
            return marked[0]
        return connections[0] if len(connections) == 1 else None

    def list(self) -> list[Connection]:
        """Every connection, ordered by name."""
        return builtins.list(self._snapshot.current().values())

    # -- writing -------------------------------------------------------------------------------

    def _write(self, work: Callable[[Session], _T], *, idempotent: bool = True) -> _T:
        """``work`` in a durable transaction, serialised with every other writer of connections
        (the counter's row is locked first); run again after a broken session if idempotent."""

        def locked(db: Session) -> _T:
            db.execute("SELECT version FROM connections_version FOR UPDATE")
            return work(db)

        try:
            return self._pool.durable(locked, retries=1 if idempotent else 0)
        finally:
            self._snapshot.drop()  # after the commit: the next read sees it

    def save(self, conn: Connection) -> None:
        """Insert or replace the row of ``conn``; ``is_default=True`` takes the flag from others."""
        values = (
            conn.name, conn.environment, conn.login_url, conn.instance_url, conn.org_id,
            conn.user_id, conn.username, conn.auth_kind, conn.client_id, conn.key_path,
            self._snapshot.seal(conn.name, "access_token", conn.access_token),
            self._snapshot.seal(conn.name, "refresh_token", conn.refresh_token),
            conn.state, conn.last_error, conn.is_default,
        )  # fmt: skip

        def upsert(db: Session) -> None:
            if conn.is_default:
                db.execute(
                    "UPDATE connections SET is_default = false "
                    "WHERE is_default AND lower(name) <> lower(%s)",
                    (conn.name,),
                )
            db.execute(_UPSERT, values)

        self._write(upsert)

    def update_tokens(
        self,
        name: str,
        access_token: str,
        refresh_token: str | None,
        *,
        instance_url: str | None = None,
    ) -> None:
        """Store new tokens; ``refresh_token=None`` keeps the stored one. State → connected.

        Run again on a fresh session if the first one broke: with rotation the new refresh
        token exists only here, and writing it twice is harmless.
        """
        values = (
            self._snapshot.seal(name, "access_token", access_token),
            self._snapshot.seal(name, "refresh_token", refresh_token),
            instance_url,
            name,
        )
        self._update(
            "UPDATE connections SET access_token = %s, "
            "refresh_token = COALESCE(%s, refresh_token), "
            "instance_url = COALESCE(%s, instance_url), "
            "state = 'connected', last_error = NULL, updated_at = now() "
            "WHERE lower(name) = lower(%s)",
            values,
            name,
        )

    def mark(self, name: str, state: State, last_error: str | None = None) -> None:
        """Set the state and its plain-language reason (ConnectionNotFound if absent)."""
        if state not in get_args(State):
            raise ValueError(f"state must be one of {', '.join(get_args(State))}")
        self._update(
            "UPDATE connections SET state = %s, last_error = %s, updated_at = now() "
            "WHERE lower(name) = lower(%s)",
            (state, last_error, name),
            name,
        )

    def _update(self, statement: str, values: tuple[Any, ...], name: str) -> None:
        """Update the row of ``name`` (ConnectionNotFound if there is none)."""

        def update(db: Session) -> None:
            if db.execute(statement, values).rowcount == 0:
                raise ConnectionNotFound(name, _names(db))

        self._write(update)

    def delete(self, name: str) -> bool:
        """Forget a connection and its tokens; whether it existed."""
        deleted = self._write(
            lambda db: (
                db.execute(
                    "DELETE FROM connections WHERE lower(name) = lower(%s)", (name,)
                ).rowcount
            ),
            idempotent=False,  # a second try would say it did not exist
        )
        self._snapshot.forget(name)
        return deleted > 0

    def set_default(self, name: str) -> None:
        """Make ``name`` the only default connection."""

        def choose(db: Session) -> None:
            db.execute("UPDATE connections SET is_default = false WHERE is_default")
            updated = db.execute(
                "UPDATE connections SET is_default = true WHERE lower(name) = lower(%s)", (name,)
            ).rowcount
            if updated == 0:  # raising rolls the transaction back: the old default stays
                raise ConnectionNotFound(name, _names(db))

        self._write(choose)

    def renewal_lock(self, name: str) -> AdvisoryLock:
        """The cross-process lock for renewing ``name``'s session (any spelling of the name)."""
        if not CONNECTION_NAME.fullmatch(name):
            raise ValueError("not a connection name")
        return self._locks.lock(name)

    # -- write keys (server.store.postgres_keys) -----------------------------------------------

    def claim_key(
        self,
        key: str,
        fingerprint: str,
        *,
        lease_seconds: float,
        keep_seconds: float,
        take: Collection[KeyState] = (),
    ) -> KeyClaim:
        """Claim a write key (see :class:`~server.store.interface.ConnectionStore`)."""
        return self._keys.claim(
            key, fingerprint, lease_seconds=lease_seconds, keep_seconds=keep_seconds, take=take
        )

    def finish_key(self, key: str, token: str, result: dict[str, Any]) -> None:
        """The held key is done, with its result."""
        self._keys.finish(key, token, result)

    def mark_key_unknown(self, key: str, token: str, note: dict[str, Any]) -> None:
        """The held key's write was sent; its outcome is unknown."""
        self._keys.mark_unknown(key, token, note)

    def release_key(self, key: str, token: str) -> None:
        """Forget the held key: nothing was written."""
        self._keys.release(key, token)

    def prune_keys(self) -> int:
        """Forget expired write keys (a batch at a time); how many."""
        return self._keys.prune()

    async def aclaim_key(
        self,
        key: str,
        fingerprint: str,
        *,
        lease_seconds: float,
        keep_seconds: float,
        take: Collection[KeyState] = (),
    ) -> KeyClaim:
        """:meth:`claim_key` without holding the event loop (the async pool)."""
        return await self._keys.aclaim(
            key, fingerprint, lease_seconds=lease_seconds, keep_seconds=keep_seconds, take=take
        )

    async def afinish_key(self, key: str, token: str, result: dict[str, Any]) -> None:
        """:meth:`finish_key` without holding the event loop."""
        await self._keys.afinish(key, token, result)

    async def amark_key_unknown(self, key: str, token: str, note: dict[str, Any]) -> None:
        """:meth:`mark_key_unknown` without holding the event loop."""
        await self._keys.amark_unknown(key, token, note)

    async def arelease_key(self, key: str, token: str) -> None:
        """:meth:`release_key` without holding the event loop."""
        await self._keys.arelease(key, token)

    # -- connect attempts (server.store.postgres_attempts) -------------------------------------

    def put_attempt(
        self, key: bytes, details: SecretStr, *, started_at: float, expires_at: float
    ) -> None:
        """Keep a started connect attempt (see :class:`~server.store.interface.ConnectionStore`)."""
        self._attempts.put(key, details, started_at=started_at, expires_at=expires_at)

    def get_attempt(self, key: bytes) -> tuple[SecretStr | None, bool]:
        """A connect attempt's details while it waits, and whether it is finished."""
        return self._attempts.get(key)

    def take_attempt(self, key: bytes, *, remember_until: float) -> SecretStr | None:
        """Finish a waiting connect attempt; its details to this caller only."""
        return self._attempts.take(key, remember_until=remember_until)

    def prune_attempts(
        self, now: float, *, remember_until: float, keep_waiting: int, keep_finished: int
    ) -> None:
        """Finish expired and surplus connect attempts; forget old finished ones."""
        self._attempts.prune(
            now,
            remember_until=remember_until,
            keep_waiting=keep_waiting,
            keep_finished=keep_finished,
        )

    def activity(self) -> PostgresActivityLog:
        """The activity table, on the store's pool, made once."""
        with self._lock:
            if self._activity is None:
                self._activity = PostgresActivityLog(self._pool)
            return self._activity

    async def aopen(self) -> None:
        """Start the async pool on the running loop (its first session connects meanwhile)."""
        await self._async_pool.open()

    async def aclose(self) -> None:
        """End the async sessions opened on the running loop (the next use opens new ones)."""
        await self._async_pool.close()

    def close(self) -> None:
        """End the store's sessions (and so any renewal lock still held); the async ones are
        :meth:`aclose`'s, on their loop."""
        self._locks.close()
        self._pool.close()


def _names(db: Session) -> builtins.list[str]:
    return [row[0] for row in db.execute(_NAMES)]
