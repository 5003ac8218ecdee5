"""The SQLite store's activity record: the ``activity`` table, one row per tool call.

It has a connection of its own to the store's file, so writing a batch of records (from the
recorder's thread, :mod:`server.activity.recorder`) never waits on, or holds, the lock the tool
calls use for tokens and write keys; and a short busy timeout, so a locked database fails the
write quickly instead of stalling the recorder. Writes run with ``synchronous = NORMAL``: a
power cut may lose the last records, never corrupt the file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from server.activity.record import ACTIVITY_COLUMNS, ActivityQuery, ToolCallRecord

#: How long a write waits for another process's lock before it fails (and is dropped).
BUSY_TIMEOUT_SECONDS = 0.5
_INSERT = f"INSERT INTO activity ({ACTIVITY_COLUMNS}) VALUES ({', '.join('?' * 12)})"  # noqa: S608


def _row(record: ToolCallRecord) -> tuple[Any, ...]:
    arguments = None
    if record.arguments is not None:
        arguments = json.dumps(record.arguments, ensure_ascii=False, default=str)
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
        json.dumps(list(record.record_ids)),
        int(record.replayed),
        arguments,
    )


def _record(row: sqlite3.Row) -> ToolCallRecord:
    return ToolCallRecord(
        started_at=row["started_at"],
        call_id=row["call_id"],
        connection=row["connection"],
        tool=row["tool"],
        outcome=row["outcome"],
        error=row["error"],
        duration_ms=row["duration_ms"],
        sf_requests=row["sf_requests"],
        sf_ms=row["sf_ms"],
        record_ids=tuple(json.loads(row["record_ids"])),
        replayed=bool(row["replayed"]),
        arguments=json.loads(row["arguments"]) if row["arguments"] is not None else None,
    )


class SQLiteActivityLog:
    """The activity table of the store at ``path`` (whose schema the store has migrated)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._lock = threading.Lock()

    def add(self, records: Sequence[ToolCallRecord]) -> None:
        """Store ``records`` in one transaction."""
        rows = [_row(record) for record in records]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(_INSERT, rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def read(self, query: ActivityQuery) -> list[ToolCallRecord]:
        """The records ``query`` asks for, newest first."""
        statement, values = query.select("?")
        with self._lock:
            rows = self._db.execute(statement, values).fetchall()
        return [_record(row) for row in rows]

    def prune(self, before: float) -> int:
        """Delete the records started before ``before``; how many went."""
        with self._lock:
            return self._db.execute("DELETE FROM activity WHERE started_at < ?", (before,)).rowcount

    def close(self) -> None:
        """Close the log's connection."""
        with self._lock:
            self._db.close()
