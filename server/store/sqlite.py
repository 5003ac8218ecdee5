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
again after opening), in a home directory created 0700. A home that already exists and that
group or others may use is made private before anything is read or written in it
(:func:`private_home`): the folder 0700, and everything directly in it loses its group and other
permissions (callforce's files become 0600, its folders 0700). When that cannot be done (another
owner, a read-only mount) the store refuses to open: :class:`HomeNotPrivate` says what to run.
Tokens are sealed with :class:`~server.store.crypto.TokenCipher` bound to (connection, column);
no plaintext token is ever written. Decrypted tokens are cached in memory per (connection,
column, ciphertext), so a call does not decrypt again until the token changes.

Its :meth:`~SQLiteConnectionStore.renewal_lock` is a :class:`~server.store.locks.FileLock` per
connection in ``<home>/callforce.db.locks/``.
"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
import os
import shlex
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr

from server.errors import ConnectionNotFound, StoredTokenUnreadable
from server.settings import Settings
from server.store.crypto import TokenCipher
from server.store.interface import CONNECTION_NAME, Connection, State
from server.store.locks import FileLock

DB_FILE = "callforce.db"
logger = logging.getLogger("callforce.store")


_MIGRATIONS: tuple[str, ...] = (
    # 1: one row per named connection.
    """
    CREATE TABLE connections (
        name          TEXT PRIMARY KEY COLLATE NOCASE,
        environment   TEXT NOT NULL CHECK (environment IN ('production', 'sandbox', 'custom')),
        login_url     TEXT NOT NULL,
        instance_url  TEXT NOT NULL,
        org_id        TEXT,
        user_id       TEXT,
        username      TEXT,
        auth_kind     TEXT NOT NULL
                      CHECK (auth_kind IN ('oauth', 'client_credentials', 'jwt', 'token')),
        client_id     TEXT,
        key_path      TEXT,
        access_token  BLOB,
        refresh_token BLOB,
        state         TEXT NOT NULL DEFAULT 'connected'
                      CHECK (state IN ('connected', 'needs_reconnect', 'disconnected')),
        last_error    TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        is_default    INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1))
    );
    CREATE UNIQUE INDEX connections_one_default ON connections (is_default) WHERE is_default = 1;
    """,
)
_COLUMNS = (
    "name, environment, login_url, instance_url, org_id, user_id, username, auth_kind, "
    "client_id, key_path, access_token, refresh_token, state, last_error, created_at, "
    "updated_at, is_default"
)
_TOKEN_COLUMNS = ("access_token", "refresh_token")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class HomeNotPrivate(PermissionError):  # noqa: N818 - names what is refused, as the errors tree
    """``CALLFORCE_HOME`` is open to group or others and its mode cannot be changed."""


def private_home(home: Path) -> None:
    """Create ``home`` 0700, or make an existing one private (module docstring)."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(home.stat().st_mode)
    if not mode & 0o077:
        return
    try:
        os.chmod(home, 0o700)
        for entry in home.iterdir():
            # lstat: a symbolic link is left alone, not followed out of the home.
            entry_mode = stat.S_IMODE(entry.lstat().st_mode)
            if not entry.is_symlink() and entry_mode & 0o077:
                os.chmod(entry, entry_mode & 0o700)
    except OSError as exc:
        quoted = shlex.quote(str(home))
        raise HomeNotPrivate(
            f"CALLFORCE_HOME {home} is open to other users (mode {mode:04o}), and callforce "
            f"cannot make it private ({exc.strerror or exc}). It holds the Salesforce tokens "
            f"and their key: run  chmod 700 {quoted} && chmod -R go-rwx {quoted}  as its "
            "owner, or choose another CALLFORCE_HOME."
        ) from None
    logger.warning(
        "%s was open to other users (mode %04o): made it 0700, and its contents private", home, mode
    )


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if absent; tighten it to 0600 if present."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    path.chmod(0o600)


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
        _private_file(path)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            # FULL: a rotated refresh token must survive a power cut once update_tokens returns.
            self._db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except BaseException:
            self._db.close()
            raise
        for sibling in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if sibling.exists():
                sibling.chmod(0o600)

    @classmethod
    def from_settings(cls, settings: Settings) -> SQLiteConnectionStore:
        """The store at ``<home>/callforce.db`` with the settings' token key."""
        private_home(settings.home)  # before the key file is read or written in it
        return cls(settings.home / DB_FILE, TokenCipher.from_settings(settings))

    def __repr__(self) -> str:
        return f"SQLiteConnectionStore({self.path.name})"

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(_MIGRATIONS):
            raise RuntimeError(
                "the connection store was written by a newer callforce; upgrade callforce"
            )
        for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

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
                f"SELECT {_COLUMNS} FROM connections ORDER BY name COLLATE NOCASE"  # noqa: S608
            ).fetchall()
            self._snapshot = {row[0].lower(): self._connection(row) for row in rows}
            self._data_version = version
        return self._snapshot

    def _connection(self, row: tuple[Any, ...]) -> Connection:
        values = dict(zip(_COLUMNS.split(", "), row, strict=True))
        name: str = values["name"]
        tokens: dict[str, SecretStr | None] = {}
        try:
            for column in _TOKEN_COLUMNS:
                tokens[column] = self._open(name, column, values[column])
        except StoredTokenUnreadable as exc:
            # The row is unusable, not the store: say so through the state, keep listing.
            logger.warning("stored tokens of connection %r do not decrypt", name)
            tokens = dict.fromkeys(_TOKEN_COLUMNS)
            values["state"] = "needs_reconnect"
            values["last_error"] = exc.message
        return Connection(
            name=name,
            environment=values["environment"],
            login_url=values["login_url"],
            instance_url=values["instance_url"],
            auth_kind=values["auth_kind"],
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            org_id=values["org_id"],
            user_id=values["user_id"],
            username=values["username"],
            client_id=values["client_id"],
            key_path=values["key_path"],
            state=values["state"],
            last_error=values["last_error"],
            is_default=bool(values["is_default"]),
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
                    for column in _COLUMNS.split(", ")
                    if column not in ("name", "created_at")
                )
                self._db.execute(
                    f"INSERT INTO connections ({_COLUMNS}) VALUES ({', '.join('?' * 17)}) "  # noqa: S608
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
            for column in _TOKEN_COLUMNS:
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

    def _names(self) -> builtins.list[str]:
        rows = self._db.execute("SELECT name FROM connections ORDER BY name COLLATE NOCASE")
        return [row[0] for row in rows]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
