"""The PostgreSQL store's in-process copy of its connections: :class:`Snapshot`.

Every connection, tokens decrypted, as of one value of ``connections_version`` — the counter a
trigger bumps on every write to ``connections``, by any replica or by hand
(:mod:`server.store.postgres_schema`). A read is a dictionary lookup; the counter is read again
at most every :data:`CHECK_SECONDS`, and the rows only when it moved. So a warm tool call
reads no row, one call in that interval reads one integer, and a change made by another
replica is seen within :data:`CHECK_SECONDS` (SQLite sees it at once: its check is a local
pragma). Three things cannot wait that long, and do not: the store's own writes :meth:`drop
<Snapshot.drop>` the snapshot, and taking a renewal lock makes the next read check
(:meth:`~Snapshot.recheck`) — so a replica that waited for another's renewal reads the tokens
that renewal stored, instead of refreshing again with a rotated-away refresh token — and so
does looking up a name the snapshot lacks (another replica may have just connected it).

If the check cannot reach the database, the snapshot is kept and served (nobody can change the
rows meanwhile) until the database answers again.

Polling a counter rather than LISTEN/NOTIFY: it needs no session held open per replica nor a
thread to wait on it, it works through a transaction-pooling proxy such as PgBouncer (LISTEN
does not; the renewal locks do need a real session), and it cannot miss a change — a
notification sent while the listening session was broken is lost, and a cache relying on it
would be wrong with nothing to say so.

Decrypted tokens are cached per (connection, column, ciphertext), as in the SQLite store, so a
snapshot read again does not decrypt a token that did not change.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

from pydantic import SecretStr

from server.errors import StoreUnavailable
from server.store.crypto import TokenCipher
from server.store.interface import Connection
from server.store.postgres_pool import Session, StorePool
from server.store.postgres_schema import COLUMNS
from server.store.rows import TOKEN_COLUMNS, connection_of

#: How long the snapshot is trusted before the connections' version is read again.
CHECK_SECONDS = 0.25
# The version and every row in one statement, so the snapshot is of one moment.
_SNAPSHOT = (
    f"SELECT v.version, {', '.join(f'c.{column}' for column in COLUMNS.split(', '))} "  # noqa: S608
    'FROM connections_version v LEFT JOIN connections c ON true ORDER BY lower(c.name) COLLATE "C"'
)


def _version(db: Session) -> int:
    row = db.execute("SELECT version FROM connections_version").fetchone()
    return int(row[0]) if row else -1


def _rows(db: Session) -> list[tuple[Any, ...]]:
    return db.execute(_SNAPSHOT).fetchall()


class Snapshot:
    """Every connection of the store by lower-cased name, in name order; thread-safe."""

    def __init__(
        self, pool: StorePool, cipher: TokenCipher, *, check_seconds: float = CHECK_SECONDS
    ) -> None:
        self._pool = pool
        self._cipher = cipher
        self._check_seconds = check_seconds
        self._lock = threading.Lock()
        self._opened: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._connections: dict[str, Connection] | None = None
        self._version = -1
        self._check_at = 0.0

    def current(self) -> dict[str, Connection]:
        """The connections, read again if they changed since (never change the dict)."""
        with self._lock:
            now = time.monotonic()
            if self._connections is not None and now < self._check_at:
                return self._connections
            try:
                if self._connections is not None and self._pool.read(_version) == self._version:
                    self._check_at = now + self._check_seconds
                    return self._connections
                rows = self._pool.read(_rows)
            except StoreUnavailable:
                if self._connections is None:
                    raise
                self._check_at = now + self._check_seconds
                return self._connections
            self._version = int(rows[0][0])
            self._connections = {
                row[1].lower(): self._connection(row[1:]) for row in rows if row[1] is not None
            }
            self._check_at = now + self._check_seconds
            return self._connections

    def recheck(self) -> None:
        """Read the version on the next read (a renewal lock was just taken)."""
        with self._lock:
            self._check_at = 0.0

    def drop(self) -> None:
        """Read the rows on the next read (a write of ours committed)."""
        with self._lock:
            self._connections = None

    def seal(self, name: str, column: str, token: SecretStr | str | None) -> bytes | None:
        """``token`` sealed for (``name``, ``column``), remembered as opened."""
        if token is None:
            return None
        plain = token.get_secret_value() if isinstance(token, SecretStr) else token
        sealed = self._cipher.encrypt(plain, connection=name, column=column)
        self._opened[(name.lower(), column)] = (sealed, plain)
        return sealed

    def forget(self, name: str) -> None:
        """Drop the opened tokens of a deleted connection."""
        for column in TOKEN_COLUMNS:
            self._opened.pop((name.lower(), column), None)

    def _connection(self, row: tuple[Any, ...]) -> Connection:
        values = dict(zip(COLUMNS.split(", "), row, strict=True))
        return connection_of(
            values,
            self._open,
            created_at=values["created_at"].astimezone(dt.UTC),
            updated_at=values["updated_at"].astimezone(dt.UTC),
        )

    def _open(self, name: str, column: str, sealed: bytes | None) -> SecretStr | None:
        if sealed is None:
            return None
        sealed = bytes(sealed)
        key = (name.lower(), column)
        cached = self._opened.get(key)
        if cached is not None and cached[0] == sealed:
            return SecretStr(cached[1])
        plain = self._cipher.decrypt(sealed, connection=name, column=column)
        self._opened[key] = (sealed, plain)
        return SecretStr(plain)
