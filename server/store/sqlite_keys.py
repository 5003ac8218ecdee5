"""The SQLite store's write keys: the ``idempotency_keys`` table behind
:meth:`~server.store.interface.ConnectionStore.claim_key` and its siblings (the states are in
:mod:`server.store.interface`).

Each operation is one statement in autocommit mode, so a claim costs one write and finishing
it one more. They run with ``synchronous = NORMAL`` (the connection's FULL is restored after):
in WAL mode that survives a crash of the process but not of the machine, and spares an fsync
per tool call — a key lost in a power cut costs at most one repeated write, while the token
rows keep FULL. A key's times are seconds since the epoch, from the wall clock, since several
processes compare them.
"""

from __future__ import annotations

import functools
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from server.store.interface import KeyClaim, KeyState

#: Expired keys deleted by one prune (the rest wait for the next one).
PRUNE_BATCH = 500
#: How often a claim finds its row gone between its two statements before giving up.
_CLAIM_ATTEMPTS = 3

_TAKEN_WHEN = {
    "pending": "idempotency_keys.state = 'pending'",
    "done": "idempotency_keys.state = 'done'",
    "unknown": "idempotency_keys.state = 'unknown' OR (idempotency_keys.state = 'pending' "
    "AND idempotency_keys.lease_until <= :now)",
}


@functools.cache
def _claim_statement(take: frozenset[str]) -> str:
    """Insert the key as pending, or take over a row that is expired or in a ``take`` state."""
    conditions = ["idempotency_keys.expires_at <= :now"]
    conditions += [f"({_TAKEN_WHEN[state]})" for state in sorted(take) if state in _TAKEN_WHEN]
    # Only the fixed conditions above are joined in; every value is a bound parameter.
    return (
        "INSERT INTO idempotency_keys "  # noqa: S608
        "(key, fingerprint, state, holder, result, lease_until, expires_at) "
        "VALUES (:key, :fingerprint, 'pending', :holder, NULL, :lease_until, :expires_at) "
        "ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'pending', "
        "holder = excluded.holder, result = NULL, lease_until = excluded.lease_until, "
        f"expires_at = excluded.expires_at WHERE {' OR '.join(conditions)}"
    )


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SQLiteWriteKeys:
    """The write keys of one SQLite store: its connection, under its lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self._db = db
        self._lock = lock

    @contextmanager
    def _relaxed(self) -> Iterator[sqlite3.Connection]:
        """The store's connection, locked, without an fsync per commit (see the module doc)."""
        with self._lock:
            self._db.execute("PRAGMA synchronous = NORMAL")
            try:
                yield self._db
            finally:
                self._db.execute("PRAGMA synchronous = FULL")

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
        for _ in range(_CLAIM_ATTEMPTS):
            now = time.time()
            holder = secrets.token_hex(8)
            with self._relaxed() as db:
                taken = db.execute(
                    statement,
                    {
                        "key": key,
                        "fingerprint": fingerprint,
                        "holder": holder,
                        "lease_until": now + lease_seconds,
                        "expires_at": now + keep_seconds,
                        "now": now,
                    },
                ).rowcount
                row = (
                    None
                    if taken
                    else db.execute(
                        "SELECT state, result, fingerprint, lease_until FROM idempotency_keys "
                        "WHERE key = ?",
                        (key,),
                    ).fetchone()
                )
            if taken:
                return KeyClaim("fresh", holder, fingerprint=fingerprint)
            if row is None:  # released by its holder in between: claim again
                continue
            state, result, found, lease_until = row
            if state == "pending" and lease_until <= now:
                state = "unknown"  # its holder is gone without saying how it ended
            return KeyClaim(state, result=json.loads(result) if result else None, fingerprint=found)
        raise RuntimeError("a write key kept changing hands while it was claimed")

    def finish(self, key: str, token: str, result: dict[str, Any]) -> None:
        """See :meth:`~server.store.interface.ConnectionStore.finish_key`."""
        with self._relaxed() as db:
            db.execute(
                "UPDATE idempotency_keys SET state = 'done', holder = NULL, result = ? "
                "WHERE key = ? AND holder = ?",
                (_json(result), key, token),
            )

    def mark_unknown(self, key: str, token: str, note: dict[str, Any]) -> None:
        """See :meth:`~server.store.interface.ConnectionStore.mark_key_unknown`."""
        with self._relaxed() as db:
            db.execute(
                "UPDATE idempotency_keys SET state = 'unknown', holder = NULL, result = ? "
                "WHERE key = ? AND holder = ?",
                (_json(note), key, token),
            )

    def release(self, key: str, token: str) -> None:
        """See :meth:`~server.store.interface.ConnectionStore.release_key`."""
        with self._relaxed() as db:
            db.execute("DELETE FROM idempotency_keys WHERE key = ? AND holder = ?", (key, token))

    def prune(self) -> int:
        """Delete up to :data:`PRUNE_BATCH` expired keys; how many."""
        with self._relaxed() as db:
            return db.execute(
                "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys "
                "WHERE expires_at <= ? LIMIT ?)",
                (time.time(), PRUNE_BATCH),
            ).rowcount
