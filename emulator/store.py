"""The org's records: held in memory for speed, written through to SQLite so a ``--db`` org survives
a restart.

Records are plain dicts of field API name → JSON value in Salesforce's wire format (dates
``2026-05-01``, datetimes ``2026-05-01T07:25:37.000+0000``). The store knows nothing of
validation; it only keeps records, ids and atomic batches. All calls are synchronous and
short, and the emulator runs on one event loop, so a batch is never interleaved with another
request.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from emulator.ids import IdFactory, normalize
from emulator.schema import Schema

Record = dict[str, Any]

_SCHEMA_VERSION = 1
_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY, sobject TEXT NOT NULL, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS id_counters (prefix TEXT PRIMARY KEY, next INTEGER NOT NULL);
"""


class Batch:
    """Writes that succeed or fail together (``allOrNone``, bulk chunks, single DML).

    Changes are visible to reads at once (a later record in the same request sees an earlier
    one); leaving :meth:`OrgStore.batch` with an exception undoes them all.
    """

    def __init__(self, store: OrgStore) -> None:
        self._store = store
        self._undo: list[tuple[str, str, Record | None]] = []

    def insert(self, sobject: str, record: Record) -> None:
        """Add ``record`` (which carries its ``Id``) to ``sobject``."""
        self._write(sobject, record["Id"], dict(record))

    def update(self, sobject: str, record_id: str, changes: Record) -> Record:
        """Merge ``changes`` into the record and return the updated record."""
        current = self._store.get(sobject, record_id, include_deleted=True)
        if current is None:
            raise KeyError(record_id)
        updated = {**current, **changes}
        self._write(sobject, record_id, updated)
        return updated

    def _write(self, sobject: str, record_id: str, record: Record) -> None:
        table = self._store._records.setdefault(sobject, {})
        self._undo.append((sobject, record_id, table.get(record_id)))
        table[record_id] = record
        self._store._db.execute(
            "INSERT OR REPLACE INTO records (id, sobject, data) VALUES (?, ?, ?)",
            (record_id, sobject, json.dumps(record)),
        )

    def _rollback(self) -> None:
        for sobject, record_id, previous in reversed(self._undo):
            table = self._store._records[sobject]
            if previous is None:
                table.pop(record_id, None)
            else:
                table[record_id] = previous


class OrgStore:
    """All records of one emulated org, by object and id."""

    def __init__(self, schema: Schema, path: str = ":memory:", *, pod: str = "5g0") -> None:
        self.schema = schema
        self.pod = pod
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_DDL)
        self._db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(_SCHEMA_VERSION),),
        )
        self._records: dict[str, dict[str, Record]] = {name: {} for name in schema}
        for sobject, data in self._db.execute("SELECT sobject, data FROM records ORDER BY rowid"):
            record = json.loads(data)
            self._records.setdefault(sobject, {})[record["Id"]] = record
        self._factories: dict[str, IdFactory] = {}

    @property
    def db(self) -> sqlite3.Connection:
        """The SQLite connection, for other emulator state (tokens, jobs) kept beside records."""
        return self._db

    @property
    def is_empty(self) -> bool:
        """True when the org holds no records at all (a new database)."""
        return not any(self._records.values())

    def new_id(self, sobject: str) -> str:
        """A fresh 18-character id with ``sobject``'s key prefix (or a raw 3-char prefix)."""
        obj = self.schema.get_object(sobject)
        prefix = obj.key_prefix if obj else sobject
        factory = self._factories.get(prefix)
        if factory is None:
            row = self._db.execute(
                "SELECT next FROM id_counters WHERE prefix = ?", (prefix,)
            ).fetchone()
            factory = IdFactory(prefix, pod=self.pod, start=row[0] if row else 1)
            self._factories[prefix] = factory
        # The counter row is written inside any open batch; a rolled-back batch takes the row back
        # but not the factory's in-memory count, so after a restart a counter can repeat.
        # Skipping ids that exist keeps every id unique either way.
        existing = self._records.get(obj.name, {}) if obj else {}
        new = factory.next_id()
        while new in existing:
            new = factory.next_id()
        self._db.execute(
            "INSERT INTO id_counters (prefix, next) VALUES (?, 2) "
            "ON CONFLICT(prefix) DO UPDATE SET next = next + 1",
            (prefix,),
        )
        return new

    def get(self, sobject: str, record_id: str, *, include_deleted: bool = False) -> Record | None:
        """The record of ``sobject`` with this 15- or 18-character id, or ``None``."""
        id18 = normalize(record_id)
        if id18 is None:
            return None
        record = self._records.get(sobject, {}).get(id18)
        if record is None or (record.get("IsDeleted") and not include_deleted):
            return None
        return record

    def find(self, record_id: str, *, include_deleted: bool = False) -> tuple[str, Record] | None:
        """The object name and record for an id of any object, or ``None``."""
        obj = self.schema.by_key_prefix(record_id[:3])
        if obj is None:
            return None
        record = self.get(obj.name, record_id, include_deleted=include_deleted)
        return (obj.name, record) if record is not None else None

    def records(self, sobject: str, *, include_deleted: bool = False) -> Iterator[Record]:
        """Every record of ``sobject`` in creation order."""
        for record in self._records.get(sobject, {}).values():
            if include_deleted or not record.get("IsDeleted"):
                yield record

    def count(self, sobject: str) -> int:
        """How many live records ``sobject`` has."""
        return sum(1 for _ in self.records(sobject))

    def lookup(self, sobject: str, field: str, value: Any) -> list[Record]:
        """Live records whose ``field`` equals ``value`` (text compared case-insensitively unless
        the field is case-sensitive, as Salesforce matches external ids)."""
        schema_field = self.schema[sobject].field(field)
        fold = isinstance(value, str) and not (schema_field and schema_field.case_sensitive)
        wanted = value.casefold() if fold else value
        name = schema_field.name if schema_field else field
        matches = []
        for record in self.records(sobject):
            current = record.get(name)
            if current is None:
                continue
            if (current.casefold() if fold and isinstance(current, str) else current) == wanted:
                matches.append(record)
        return matches

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Group writes into one SQLite transaction; an exception undoes all of them."""
        batch = Batch(self)
        self._db.execute("BEGIN")
        try:
            yield batch
        except BaseException:
            self._db.execute("ROLLBACK")
            batch._rollback()
            raise
        self._db.execute("COMMIT")

    def clear(self) -> None:
        """Drop every record and id counter (before seeding again)."""
        self._db.execute("BEGIN")
        self._db.execute("DELETE FROM records")
        self._db.execute("DELETE FROM id_counters")
        self._db.execute("COMMIT")
        self._records = {name: {} for name in self.schema}
        self._factories.clear()

    def close(self) -> None:
        """Close the database."""
        self._db.close()
