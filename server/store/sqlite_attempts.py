"""The SQLite store's connect attempts: the ``connect_attempts`` table behind
:meth:`~server.store.interface.ConnectionStore.put_attempt` and its siblings (the model is in
:mod:`server.store.interface`).

A row is an attempt's key, its details sealed for that key
(:func:`~server.store.crypto.seal_attempt`) — ``NULL`` once the attempt is finished — when it
started, and when its row's time is up (waiting: it expires; finished: it is forgotten).
Taking an attempt reads its details, then finishes it with an ``UPDATE`` conditioned on its
still waiting: of two processes that read the row, only the one whose update changed it gets
the details. Everything runs on the store's connection, under its lock.
"""

from __future__ import annotations

import sqlite3
import threading

from pydantic import SecretStr

from server.store.crypto import TokenCipher, open_attempt, seal_attempt

# Ties (a test clock standing still, attempts finished together) are broken by when they
# started, then by key: arbitrary, but stable.
_PRUNE = (
    "UPDATE connect_attempts SET details = NULL, expires_at = :until "
    "WHERE details IS NOT NULL AND expires_at < :now",
    "DELETE FROM connect_attempts WHERE details IS NULL AND expires_at < :now",
    "UPDATE connect_attempts SET details = NULL, expires_at = :until WHERE key IN ("
    "SELECT key FROM connect_attempts WHERE details IS NOT NULL "
    "ORDER BY started_at DESC, key LIMIT -1 OFFSET :keep_waiting)",
    "DELETE FROM connect_attempts WHERE key IN ("
    "SELECT key FROM connect_attempts WHERE details IS NULL "
    "ORDER BY expires_at DESC, started_at DESC, key LIMIT -1 OFFSET :keep_finished)",
)


class SQLiteAttempts:
    """The connect attempts of one SQLite store: its connection, under its lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock, cipher: TokenCipher) -> None:
        self._db = db
        self._lock = lock
        self._cipher = cipher

    def put(self, key: bytes, details: SecretStr, *, started_at: float, expires_at: float) -> None:
        """See :meth:`~server.store.interface.ConnectionStore.put_attempt`."""
        sealed = seal_attempt(self._cipher, key, details.get_secret_value())
        with self._lock:
            self._db.execute(
                "INSERT INTO connect_attempts (key, details, started_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (key, sealed, started_at, expires_at),
            )

    def get(self, key: bytes) -> tuple[SecretStr | None, bool]:
        """See :meth:`~server.store.interface.ConnectionStore.get_attempt`."""
        with self._lock:
            row = self._db.execute(
                "SELECT details FROM connect_attempts WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None, False
        if row[0] is None:
            return None, True
        return SecretStr(open_attempt(self._cipher, key, row[0])), False

    def take(self, key: bytes, *, remember_until: float) -> SecretStr | None:
        """See :meth:`~server.store.interface.ConnectionStore.take_attempt`."""
        with self._lock:
            row = self._db.execute(
                "SELECT details FROM connect_attempts WHERE key = ? AND details IS NOT NULL",
                (key,),
            ).fetchone()
            if row is None:
                return None
            # The update decides: another process may have read the row too, and only one
            # update finds it still waiting (a key's details never change while it waits).
            taken = self._db.execute(
                "UPDATE connect_attempts SET details = NULL, expires_at = ? "
                "WHERE key = ? AND details IS NOT NULL",
                (remember_until, key),
            ).rowcount
        return SecretStr(open_attempt(self._cipher, key, row[0])) if taken else None

    def prune(
        self, now: float, *, remember_until: float, keep_waiting: int, keep_finished: int
    ) -> None:
        """See :meth:`~server.store.interface.ConnectionStore.prune_attempts`."""
        values = {
            "now": now,
            "until": remember_until,
            "keep_waiting": keep_waiting,
            "keep_finished": keep_finished,
        }
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _PRUNE:
                    self._db.execute(statement, values)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
