"""The PostgreSQL store's activity record: records come back as written, newest first, filtered
and limited; old ones are pruned; a replica reads what another wrote."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.activity.record import ActivityQuery, ToolCallRecord
from server.settings import Settings
from server.store.postgres import PostgresConnectionStore

KEY = base64.b64encode(b"a" * 32).decode()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """A fresh database."""
    return Settings(home=tmp_path / "home", database_url=database_url, secret_key=KEY)


@pytest.fixture
def store(settings: Settings) -> Iterator[PostgresConnectionStore]:
    """The PostgreSQL store of ``settings``."""
    opened = PostgresConnectionStore.from_settings(settings)
    yield opened
    opened.close()


def _record(started_at: float, **changes: object) -> ToolCallRecord:
    values: dict[str, object] = {
        "started_at": started_at,
        "tool": "run_query",
        "outcome": "ok",
        "duration_ms": 12.5,
        "call_id": "call-1",
        "connection": "prod",
    }
    values.update(changes)
    return ToolCallRecord(**values)  # type: ignore[arg-type]  # a test-only bag of overrides


def test_a_record_comes_back_as_written(store: PostgresConnectionStore) -> None:
    """Every field survives the round trip: ids, the replay flag, arguments kept as given."""
    written = _record(
        1000.0,
        tool="create_record",
        outcome="error",
        error="REQUIRED_FIELD_MISSING: [redacted]",
        sf_requests=2,
        sf_ms=40.25,
        record_ids=("001000000000001AAA", "003000000000002AAA"),
        replayed=True,
        arguments={"object": "Contact", "fields": {"LastName": "[redacted]", "Age": 3}},
    )
    store.activity().add([written, _record(1001.0, arguments=None)])
    found = store.activity().read(ActivityQuery(tool="create_record"))
    assert found == [written]
    assert store.activity().read(ActivityQuery(tool="run_query"))[0].arguments is None


def test_reads_are_newest_first_filtered_and_limited(store: PostgresConnectionStore) -> None:
    """since, call, connection, tool and outcome filter; the newest come first; limit cuts."""
    log = store.activity()
    log.add([_record(float(second)) for second in range(10)])
    log.add([_record(20.0, call_id="call-2", connection="uat", outcome="error", error="x")])
    assert [r.started_at for r in log.read(ActivityQuery(limit=3))] == [20.0, 9.0, 8.0]
    assert [r.started_at for r in log.read(ActivityQuery(since=8.0))] == [20.0, 9.0, 8.0]
    assert [r.started_at for r in log.read(ActivityQuery(call_id="call-2"))] == [20.0]
    assert [r.started_at for r in log.read(ActivityQuery(connection="uat"))] == [20.0]
    assert [r.started_at for r in log.read(ActivityQuery(outcome="error"))] == [20.0]
    assert len(log.read(ActivityQuery(call_id="call-1", outcome="ok"))) == 10


def test_old_records_are_pruned(store: PostgresConnectionStore) -> None:
    """prune deletes the records started before the cut, and says how many."""
    log = store.activity()
    log.add([_record(1000.0), _record(9e9)])
    assert log.prune(before=5_000.0) == 1
    assert [r.started_at for r in log.read(ActivityQuery())] == [9e9]


def test_another_replica_reads_the_records(
    settings: Settings, store: PostgresConnectionStore
) -> None:
    """Activity is shared: a record written by one store is read by another."""
    store.activity().add([_record(1.0, call_id="shared")])
    other = PostgresConnectionStore.from_settings(settings)
    try:
        assert len(other.activity().read(ActivityQuery(call_id="shared"))) == 1
    finally:
        other.close()
