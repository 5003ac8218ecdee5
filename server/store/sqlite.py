"""The embedded connection store: :class:`SQLiteConnectionStore`, in ``<home>/callforce.db``.

It implements :class:`~server.store.interface.ConnectionStore`. Reads are served from an
in-memory snapshot of every connection, re-read only when the database changed: SQLite's
``PRAGMA data_version`` moves whenever another connection (another process) commits, and this
store drops the snapshot itself after each of its own writes. So a tool call costs one pragma
instead of two row reads and decryptions, and a reconnect, disconnect or token rotation done by
another process is still seen on the very next call. Writes on the token-refresh path can wait
on another process's write lock (``busy_timeout``), so the client runs them in a worker thread;
the store is therefore thread-safe.

On disk: the database and its ``-wal``/``-shm`` siblings are mode 0600 (the file is created 0600
before SQLite opens it, SQLite gives the siblings the database's mode, and the modes are checked
again after opening), in a private home (:mod:`server.store.file_modes`): a home open to group
or others is made private first, and when that cannot be done the store refuses to open
(:class:`~server.store.file_modes.HomeNotPrivate` says what to run). The schema and its
migrations are :mod:`server.store.sqlite_schema`.
Tokens are sealed with :class:`~server.store.crypto.TokenCipher` bound to (connection, column);
no plaintext token is ever written. Decrypted tokens are cached in memory per (connection,
column, ciphertext), so a call does not decrypt again until the token changes.

Its :meth:`~SQLiteConnectionStore.renewal_lock` is a :class:`~server.store.locks.FileLock` per
connection in ``<home>/callforce.db.locks/``. Its write keys (``idempotency_keys``) are
:mod:`server.store.sqlite_keys` and its connect attempts :mod:`server.store.sqlite_attempts`;
they leave the connection snapshot alone.
"""

from __future__ import annotations

import builtins
import datetime as dt
import sqlite3
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr

from server.errors import ConnectionNotFound
from server.settings import Settings
from server.store.crypto import TokenCipher
from server.store.file_modes import private_file, private_home
from server.store.interface import CONNECTION_NAME, Connection, KeyClaim, KeyState, State
from server.store.locks import FileLock
from server.store.rows import TOKEN_COLUMNS, connection_of
from server.store.sqlite_activity import SQLiteActivityLog
from server.store.sqlite_attempts import SQLiteAttempts
from server.store.sqlite_keys import SQLiteWriteKeys
from server.store.sqlite_schema import COLUMNS, migrate

DB_FILE = "callforce.db"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class SQLiteConnectionStore:
    """The embedded store: one SQLite file, versioned schema (``PRAGMA user_version``)."""

    def __init__(self, path: Path, cipher: TokenCipher) -> None:
        self.path = path
        self._cipher = cipher
        self._lock = threading.Lock()
        self._opened: dict[tuple[str, str], tuple[bytes, str]] = {}
        #: Every connection by lower-cased name, in name order, as of ``_data_version``.
        self._snapshot: dict[str, Connection] | None = None
        self._data_version = -1
        private_home(path.parent)
        private_file(path)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            # FULL: a rotated refresh token must survive a power cut once update_tokens returns.
            self._db.execute("PRAGMA synchronous = FULL")
            migrate(self._db)
        except BaseException:
            self._db.close()
            raise
        for sibling in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if sibling.exists():
                sibling.chmod(0o600)
        self._keys = SQLiteWriteKeys(self._db, self._lock)
        self._attempts = SQLiteAttempts(self._db, self._lock, cipher)
        self._activity: SQLiteActivityLog | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SQLiteConnectionStore:
        """The store at ``<home>/callforce.db`` with the settings' token key."""
        private_home(settings.home)  # before the key file is read or written in it
        return cls(settings.home / DB_FILE, TokenCipher.from_settings(settings))

    def __repr__(self) -> str:
        return f"SQLiteConnectionStore({self.path.name})"

    @property
    def schema_version(self) -> int:
        """The applied schema version."""
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    # -- reading -------------------------------------------------------------------------------

    def get(self, name: str) -> Connection | None:
        """The connection named ``name`` (any case), or ``None``."""
        with self._lock:
            return self._current().get(name.lower())

    def default(self) -> Connection | None:
        """The connection marked default, else the only connection, else ``None``."""
        with self._lock:
            connections = builtins.list(self._current().values())
        marked = [conn for conn in connections if conn.is_default]
        if marked:
            return marked[0]
        return connections[0] if len(connections) == 1 else None

    def list(self) -> list[Connection]:
        """Every connection, ordered by name."""
        with self._lock:
            return builtins.list(self._current().values())

    def _current(self) -> dict[str, Connection]:
        """The snapshot, read again if anyone committed since it was taken (under the lock)."""
        version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
        if self._snapshot is None or version != self._data_version:
            rows = self._db.execute(
                f"SELECT {COLUMNS} FROM connections ORDER BY name COLLATE NOCASE"  # noqa: S608
            ).fetchall()
            self._snapshot = {row[0].lower(): self._connection(row) for row in rows}
            self._data_version = version
        return self._snapshot

    def _connection(self, row: tuple[Any, ...]) -> Connection:
        values = dict(zip(COLUMNS.split(", "), row, strict=True))
        return connection_of(
            values,
            self._open,
            created_at=dt.datetime.fromisoformat(values["created_at"]),
            updated_at=dt.datetime.fromisoformat(values["updated_at"]),
        )

    def _open(self, name: str, column: str, sealed: bytes | None) -> SecretStr | None:
        if sealed is None:
            return None
        key = (name.lower(), column)
        cached = self._opened.get(key)
        if cached is not None and cached[0] == sealed:
            return SecretStr(cached[1])
        plain = self._cipher.decrypt(sealed, connection=name, column=column)
        self._opened[key] = (sealed, plain)
        return SecretStr(plain)

    def _seal(self, name: str, column: str, token: SecretStr | str | None) -> bytes | None:
        if token is None:
            return None
        plain = token.get_secret_value() if isinstance(token, SecretStr) else token
        sealed = self._cipher.encrypt(plain, connection=name, column=column)
        self._opened[(name.lower(), column)] = (sealed, plain)
        return sealed

    # -- writing -------------------------------------------------------------------------------

    def save(self, conn: Connection) -> None:
        """Insert or replace the row of ``conn``; ``is_default=True`` takes the flag from others."""
        now = _now()
        with self._lock:
            self._snapshot = None  # our own writes do not move data_version
            values = (
                conn.name, conn.environment, conn.login_url, conn.instance_url, conn.org_id,
                conn.user_id, conn.username, conn.auth_kind, conn.client_id, conn.key_path,
                self._seal(conn.name, "access_token", conn.access_token),
                self._seal(conn.name, "refresh_token", conn.refresh_token),
                conn.state, conn.last_error, now, now, int(conn.is_default),
            )  # fmt: skip
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if conn.is_default:
                    self._db.execute(
                        "UPDATE connections SET is_default = 0 WHERE is_default = 1 AND name != ?",
                        (conn.name,),
                    )
                assignments = ", ".join(
                    f"{column} = excluded.{column}"
                    for column in COLUMNS.split(", ")
                    if column not in ("name", "created_at")
                )
                self._db.execute(
                    f"INSERT INTO connections ({COLUMNS}) VALUES ({', '.join('?' * 17)}) "  # noqa: S608
                    f"ON CONFLICT (name) DO UPDATE SET {assignments}",
                    values,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def update_tokens(
        self,
        name: str,
        access_token: str,
        refresh_token: str | None,
        *,
        instance_url: str | None = None,
    ) -> None:
        """Store new tokens; ``refresh_token=None`` keeps the stored one. State → connected."""
        with self._lock:
            self._snapshot = None  # our own writes do not move data_version
            cursor = self._db.execute(
                "UPDATE connections SET access_token = ?, "
                "refresh_token = COALESCE(?, refresh_token), "
                "instance_url = COALESCE(?, instance_url), "
                "state = 'connected', last_error = NULL, updated_at = ? WHERE name = ?",
                (
                    self._seal(name, "access_token", access_token),
                    self._seal(name, "refresh_token", refresh_token),
                    instance_url,
                    _now(),
                    name,
                ),
            )
            if cursor.rowcount == 0:
                raise ConnectionNotFound(name, self._names())

    def mark(self, name: str, state: State, last_error: str | None = None) -> None:
        """Set the state and its plain-language reason (ConnectionNotFound if absent)."""
        if state not in get_args(State):
            raise ValueError(f"state must be one of {', '.join(get_args(State))}")
        with self._lock:
            self._snapshot = None  # our own writes do not move data_version
            cursor = self._db.execute(
                "UPDATE connections SET state = ?, last_error = ?, updated_at = ? WHERE name = ?",
                (state, last_error, _now(), name),
            )
            if cursor.rowcount == 0:
                raise ConnectionNotFound(name, self._names())

    def delete(self, name: str) -> bool:
        """Forget a connection and its tokens; whether it existed."""
        with self._lock:
            self._snapshot = None  # our own writes do not move data_version
            cursor = self._db.execute("DELETE FROM connections WHERE name = ?", (name,))
            for column in TOKEN_COLUMNS:
                self._opened.pop((name.lower(), column), None)
            return cursor.rowcount > 0

    def set_default(self, name: str) -> None:
        """Make ``name`` the only default connection."""
        with self._lock:
            self._snapshot = None  # our own writes do not move data_version
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("UPDATE connections SET is_default = 0 WHERE is_default = 1")
                cursor = self._db.execute(
                    "UPDATE connections SET is_default = 1 WHERE name = ?", (name,)
                )
                if cursor.rowcount == 0:
                    raise ConnectionNotFound(name, self._names())
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def renewal_lock(self, name: str) -> FileLock:
        """The cross-process lock for renewing ``name``'s session (any spelling of the name)."""
        if not CONNECTION_NAME.fullmatch(name):
            raise ValueError("not a connection name")
        folder = self.path.with_name(f"{self.path.name}.locks")
        folder.mkdir(mode=0o700, exist_ok=True)
        # Names are letters, digits, '.', '_' and '-', starting with a letter or digit: a safe
        # file name; lower-cased because names are case-insensitive.
        return FileLock(folder / f"{name.lower()}.lock")

    # -- write keys (server.store.sqlite_keys) -------------------------------------------------

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

    # The async twins answer inline: a key statement takes ~0.1 ms, less than a hop to a
    # worker thread and back costs.

    async def aclaim_key(
        self,
        key: str,
        fingerprint: str,
        *,
        lease_seconds: float,
        keep_seconds: float,
        take: Collection[KeyState] = (),
    ) -> KeyClaim:
        """:meth:`claim_key`, inline."""
        return self.claim_key(
            key, fingerprint, lease_seconds=lease_seconds, keep_seconds=keep_seconds, take=take
        )

    async def afinish_key(self, key: str, token: str, result: dict[str, Any]) -> None:
        """:meth:`finish_key`, inline."""
        self.finish_key(key, token, result)

    async def amark_key_unknown(self, key: str, token: str, note: dict[str, Any]) -> None:
        """:meth:`mark_key_unknown`, inline."""
        self.mark_key_unknown(key, token, note)

    async def arelease_key(self, key: str, token: str) -> None:
        """:meth:`release_key`, inline."""
        self.release_key(key, token)

    # -- connect attempts (server.store.sqlite_attempts) ---------------------------------------

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

    def _names(self) -> builtins.list[str]:
        rows = self._db.execute("SELECT name FROM connections ORDER BY name COLLATE NOCASE")
        return [row[0] for row in rows]

    def activity(self) -> SQLiteActivityLog:
        """The activity table, on a connection of its own (see its module), opened once."""
        with self._lock:
            if self._activity is None:
                self._activity = SQLiteActivityLog(self.path)
            return self._activity

    async def aopen(self) -> None:
        """Nothing to do: the async twins use the store's one connection."""

    async def aclose(self) -> None:
        """Nothing to do: the async twins use the store's one connection."""

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
            if self._activity is not None:
                self._activity.close()
