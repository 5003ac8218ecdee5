"""The PostgreSQL store's activity record: the ``activity`` table, one row per tool call.

The same records as :mod:`server.store.sqlite_activity`, on the store's pool: a batch from the
recorder's thread takes a pooled session of its own, so it never waits on a tool call's
statement, and commits without waiting for the disk (:mod:`server.store.postgres_pool`): a
crash of the database server may lose the last records, never corrupt the table. Record ids
are a ``text[]``; arguments a ``json`` value, kept as written.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Json

from server.activity.record import ACTIVITY_COLUMNS, ActivityQuery, ToolCallRecord
from server.store.postgres_pool import Session, StorePool

_INSERT = f"INSERT INTO activity ({ACTIVITY_COLUMNS}) VALUES ({', '.join(['%s'] * 12)})"  # noqa: S608
# Values the caller gave may be anything; what JSON cannot say is kept as its text.
_dumps = functools.partial(json.dumps, ensure_ascii=False, default=str)


def _row(record: ToolCallRecord) -> tuple[Any, ...]:
    return (
        record.started_at,
        record.call_id,
        record.connection,
        record.tool,
        record.outcome,
        record.error,
        record.duration_ms,
        record.sf_requests,
        record.sf_ms,
        list(record.record_ids),
        record.replayed,
        None if record.arguments is None else Json(record.arguments, dumps=_dumps),
    )


def _record(row: tuple[Any, ...]) -> ToolCallRecord:
    (started_at, call_id, connection, tool, outcome, error, duration_ms, sf_requests, sf_ms,
     record_ids, replayed, arguments) = row  # fmt: skip
    return ToolCallRecord(
        started_at=started_at,
        call_id=call_id,
        connection=connection,
        tool=tool,
        outcome=outcome,
        error=error,
        duration_ms=duration_ms,
        sf_requests=sf_requests,
        sf_ms=sf_ms,
        record_ids=tuple(record_ids),
        replayed=replayed,
        arguments=arguments,
    )


class PostgresActivityLog:
    """The activity table of a PostgreSQL store (whose schema the store has migrated)."""

    def __init__(self, pool: StorePool) -> None:
        self._pool = pool

    def add(self, records: Sequence[ToolCallRecord]) -> None:
        """Store ``records`` in one transaction."""
        rows = [_row(record) for record in records]
        if not rows:
            return

        def insert(db: Session) -> None:
            with db.transaction():
                db.cursor().executemany(_INSERT, rows)

        self._pool.write(insert)

    def read(self, query: ActivityQuery) -> list[ToolCallRecord]:
        """The records ``query`` asks for, newest first."""
        statement, values = query.select("%s")

        def fetch(db: Session) -> list[tuple[Any, ...]]:
            return db.execute(statement, values).fetchall()

        return [_record(row) for row in self._pool.read(fetch)]

    def prune(self, before: float) -> int:
        """Delete the records started before ``before``; how many went."""
        return self._pool.write(
            lambda db: db.execute("DELETE FROM activity WHERE started_at < %s", (before,)).rowcount
        )

    def close(self) -> None:
        """Nothing to close: the sessions are the store's (closed with it)."""
