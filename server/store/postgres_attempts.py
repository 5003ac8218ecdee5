"""The PostgreSQL store's connect attempts: the ``connect_attempts`` table behind
:meth:`~server.store.interface.ConnectionStore.put_attempt` and its siblings, with the rows of
:mod:`server.store.sqlite_attempts` (details sealed for their key, ``NULL`` once finished).

Taking an attempt is one ``UPDATE`` of the row joined to itself: it finishes the row only while
it is still waiting and returns the details it had. Two replicas taking one attempt at once
are serialised by the row lock, and the second, re-checking the row after the first committed,
finds it finished: it gets nothing. Pruning runs in one transaction under a transaction-level
advisory lock that it only tries: a replica that finds another pruning skips its turn (the
other's prune serves both) instead of waiting for it, or deadlocking on rows the two would
update in different orders.

Times are the caller's (seconds since the epoch), unlike the write keys' database clock: the
connect flow's clock is what its tests move. An attempt lasts minutes; replicas whose clocks
disagree by seconds shift its expiry by as much.
"""

from __future__ import annotations

from pydantic import SecretStr

from server.store.crypto import TokenCipher, open_attempt, seal_attempt
from server.store.postgres_locks import lock_key
from server.store.postgres_pool import Session, StorePool

#: The advisory lock one pruning replica holds (the others skip their prune meanwhile).
PRUNE_LOCK = lock_key("connect attempts prune")

_TAKE = (
    "UPDATE connect_attempts AS a SET details = NULL, expires_at = %(until)s "
    "FROM connect_attempts AS old "
    "WHERE a.key = %(key)s AND old.key = a.key AND a.details IS NOT NULL "
    "RETURNING old.details"
)
# Ties (a test clock standing still, attempts finished together) are broken by when they
# started, then by key: arbitrary, but stable.
_PRUNE = (
    "UPDATE connect_attempts SET details = NULL, expires_at = %(until)s "
    "WHERE details IS NOT NULL AND expires_at < %(now)s",
    "DELETE FROM connect_attempts WHERE details IS NULL AND expires_at < %(now)s",
    "UPDATE connect_attempts SET details = NULL, expires_at = %(until)s WHERE key IN ("
    "SELECT key FROM connect_attempts WHERE details IS NOT NULL "
    "ORDER BY started_at DESC, key OFFSET %(keep_waiting)s)",
    "DELETE FROM connect_attempts WHERE key IN ("
    "SELECT key FROM connect_attempts WHERE details IS NULL "
    "ORDER BY expires_at DESC, started_at DESC, key OFFSET %(keep_finished)s)",
)


class PostgresAttempts:
    """The connect attempts of one PostgreSQL store, on its pool."""

    def __init__(self, pool: StorePool, cipher: TokenCipher) -> None:
        self._pool = pool
        self._cipher = cipher

    def put(self, key: bytes, details: SecretStr, *, started_at: float, expires_at: float) -> None:
        """See :meth:`~server.store.interface.ConnectionStore.put_attempt`."""
        sealed = seal_attempt(self._cipher, key, details.get_secret_value())
        values = (key, sealed, started_at, expires_at)
        # A second run (the first one's session broke after its commit) finds the row there.
        self._pool.write(
            lambda db: db.execute(
                "INSERT INTO connect_attempts (key, details, started_at, expires_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO NOTHING",
                values,
            ),
            retries=1,
        )

    def get(self, key: bytes) -> tuple[SecretStr | None, bool]:
        """See :meth:`~server.store.interface.ConnectionStore.get_attempt`."""
        row = self._pool.read(
            lambda db: db.execute(
                "SELECT details FROM connect_attempts WHERE key = %s", (key,)
            ).fetchone()
        )
        if row is None:
            return None, False
        if row[0] is None:
            return None, True
        return SecretStr(open_attempt(self._cipher, key, bytes(row[0]))), False

    def take(self, key: bytes, *, remember_until: float) -> SecretStr | None:
        """See :meth:`~server.store.interface.ConnectionStore.take_attempt`."""
        # Not run again after a broken session: a first run that committed would make the
        # second find the attempt finished, and the person be told it was already used.
        row = self._pool.write(
            lambda db: db.execute(_TAKE, {"key": key, "until": remember_until}).fetchone()
        )
        return None if row is None else SecretStr(open_attempt(self._cipher, key, bytes(row[0])))

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

        def prune(db: Session) -> None:
            with db.transaction():
                locked = db.execute("SELECT pg_try_advisory_xact_lock(%s)", (PRUNE_LOCK,))
                row = locked.fetchone()
                if row is None or not row[0]:
                    return
                for statement in _PRUNE:
                    db.execute(statement, values)

        self._pool.write(prune, retries=1)  # pruning twice is pruning once
