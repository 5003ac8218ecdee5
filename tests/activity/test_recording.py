"""The activity record: each tool call kept with its tool, outcome, Salesforce requests and the
record ids it wrote — and none of the values sent; a store that cannot be written fails no
call; with OpenTelemetry configured, the SDK's tool span carries callforce's attributes and each
Salesforce request is a child span."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from server.activity import tracing
from server.activity.record import ActivityQuery, ToolCallRecord
from server.app import build_server
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import CONNECTION
from tests.helpers.org_fixtures import (  # noqa: F401 - fixtures, registered by being imported
    fixture_control,
    fixture_emulator,
    fixture_reader,
    fixture_settings,
    fixture_store,
)
from tests.helpers.tool_calls import Tools, serving, text_of


def _in_call(call_id: str) -> dict[str, Any]:
    return {"meta": {"callforce/call": {"id": call_id}}}


async def _recorded(store: SQLiteConnectionStore, call_id: str, count: int) -> list[ToolCallRecord]:
    """The call's records, oldest first, once ``count`` are written (the recorder's thread
    writes a batch every quarter second)."""
    for _ in range(100):
        found = store.activity().read(ActivityQuery(call_id=call_id))
        if len(found) >= count:
            return list(reversed(found))
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(found)} of {count} records written")


def _store_bytes(store: SQLiteConnectionStore) -> bytes:
    files = [store.path, Path(f"{store.path}-wal")]
    return b"".join(path.read_bytes() for path in files if path.exists())


@pytest.fixture
async def tools(settings: Settings, store: SQLiteConnectionStore) -> AsyncIterator[Tools]:
    async with serving(build_server(settings, store=store)) as client:
        yield Tools(client, store, settings)


async def test_a_call_is_recorded_tool_by_tool_without_its_values(
    tools: Tools, store: SQLiteConnectionStore
) -> None:
    """Tools, outcomes, request counts, record ids — and no value that was sent, anywhere in
    the store's file."""
    call_id = f"call-{secrets.token_hex(6)}"
    secret = secrets.token_hex(8)
    last_name, email = f"Zyqx{secret}", f"ana.{secret}@example.org"
    meta = _in_call(call_id)
    await tools.ok("find_caller", {"phone": "+1 415 555 0100"}, **meta)
    created = await tools.ok(
        "create_record",
        {"object": "Contact", "data": {"LastName": last_name, "Email": email}},
        **meta,
    )
    refused = await tools.call(
        "update_record",
        {"object": "Contact", "id": created["id"], "data": {"Email": f"not-an-email-{secret}"}},
        **meta,
    )
    assert refused.is_error
    logged = await tools.ok("log_call", {"summary": f"Wants a refund {secret}"}, **meta)
    soql = f"SELECT Id FROM Contact WHERE LastName = '{last_name}'"  # noqa: S608 - test value
    await tools.ok("run_query", {"soql": soql}, **meta)

    records = await _recorded(store, call_id, 5)
    assert [(r.tool, r.outcome, r.sf_requests) for r in records] == [
        ("find_caller", "ok", 4),  # three describes (cold) and the search
        ("create_record", "ok", 1),  # Contact's describe is cached
        ("update_record", "error", 0),  # refused before anything was sent
        ("log_call", "ok", 3),  # Task's describe, the look-up by CallObject, the create
        ("run_query", "ok", 1),
    ]
    assert [r.record_ids for r in records] == [(), (created["id"],), (), (logged["id"],), ()]
    assert {r.connection for r in records} == {CONNECTION}
    assert all((r.sf_ms > 0) == (r.sf_requests > 0) for r in records)
    assert records[2].error is not None
    assert "Email" in records[2].error
    assert secret not in records[2].error
    assert text_of(refused).count(secret) == 1  # the agent was told the value; the record not
    assert all(r.arguments is None and not r.replayed for r in records)
    stored = _store_bytes(store)
    for value in (secret, last_name, email, "Wants a refund", soql):
        assert value.encode() not in stored, value


async def test_a_replayed_write_is_recorded_as_one(
    tools: Tools, store: SQLiteConnectionStore
) -> None:
    """A platform's retry of the same write in the same call is recorded, marked replayed."""
    call_id = f"call-{secrets.token_hex(6)}"
    data = {"object": "Contact", "data": {"LastName": f"Retry{secrets.token_hex(4)}"}}
    first = await tools.ok("create_record", data, **_in_call(call_id))
    again = await tools.ok("create_record", data, **_in_call(call_id))
    assert again["replayed"] is True
    records = await _recorded(store, call_id, 2)
    assert [(r.replayed, r.sf_requests, r.record_ids) for r in records] == [
        (False, 2, (first["id"],)),  # Contact's describe, then the create
        (True, 0, (first["id"],)),
    ]


async def test_with_activity_values_the_arguments_are_kept_and_sensitive_ones_redacted(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """CALLFORCE_ACTIVITY_VALUES=1: arguments kept; Birthdate (a "birth" name) redacted."""
    keeping = settings.model_copy(update={"activity_values": True})
    call_id = f"call-{secrets.token_hex(6)}"
    data = {"LastName": f"Kept{secrets.token_hex(4)}", "Birthdate": "1990-03-05"}
    async with serving(build_server(keeping, store=store)) as client:
        result = await client.call_tool(
            "create_record", {"object": "Contact", "data": data}, **_in_call(call_id)
        )
    assert not result.is_error, text_of(result)
    (record,) = await _recorded(store, call_id, 1)
    assert record.arguments == {
        "object": "Contact",
        "data": {"LastName": data["LastName"], "Birthdate": "[redacted]"},
    }
    assert b"1990-03-05" not in _store_bytes(store)


@pytest.fixture
def locked_store(store: SQLiteConnectionStore) -> Iterator[sqlite3.Connection]:
    """Another process's write lock on the store's file, held until the test lets go."""
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


async def test_a_store_that_cannot_be_written_fails_no_call(
    tools: Tools,
    store: SQLiteConnectionStore,
    locked_store: sqlite3.Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While the store is locked, calls go on and the records that cannot wait are dropped
    (and said so in the log); once it is free, calls are recorded again."""
    lost = f"call-{secrets.token_hex(6)}"
    for _ in range(3):
        await tools.ok("run_query", {"soql": "SELECT Id FROM Account LIMIT 1"}, **_in_call(lost))
    for _ in range(60):  # the recorder's write gives up on the lock: the records are dropped
        if "could not write" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert "activity records (OperationalError)" in caplog.text
    locked_store.execute("ROLLBACK")
    kept = f"call-{secrets.token_hex(6)}"
    await tools.ok("run_query", {"soql": "SELECT Id FROM Account LIMIT 1"}, **_in_call(kept))
    assert len(await _recorded(store, kept, 1)) == 1
    assert len(store.activity().read(ActivityQuery(call_id=lost))) < 3


def test_old_records_are_pruned(store: SQLiteConnectionStore) -> None:
    """Records older than the window go; the others stay."""
    log = store.activity()
    old = ToolCallRecord(started_at=1_000.0, tool="run_query", outcome="ok", duration_ms=1.0)
    new = ToolCallRecord(started_at=9e9, tool="run_query", outcome="ok", duration_ms=1.0)
    log.add([old, new])
    assert log.prune(before=5_000.0) == 1
    assert [r.started_at for r in log.read(ActivityQuery(tool="run_query"))] == [9e9]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """callforce's tracing on, into memory (the process's tracer provider is set once)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    yield exporter
    tracing.disable()
    provider.shutdown()


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def test_each_tool_call_is_a_span_with_a_child_per_salesforce_request(
    tools: Tools, spans: InMemorySpanExporter
) -> None:
    """The SDK's tools/call span carries tool, connection, outcome, call id and request count;
    the requests are its children; no value sent appears in any span."""
    call_id = f"call-{secrets.token_hex(6)}"
    last_name = f"Span{secrets.token_hex(6)}"
    await tools.ok(
        "create_record", {"object": "Contact", "data": {"LastName": last_name}}, **_in_call(call_id)
    )
    finished = spans.get_finished_spans()
    (tool_span,) = [s for s in finished if s.name == "tools/call create_record"]
    assert (
        _attributes(tool_span).items()
        >= {
            "callforce.tool": "create_record",
            "callforce.connection": CONNECTION,
            "callforce.outcome": "ok",
            "callforce.call_id": call_id,
            "callforce.salesforce_requests": 2,
        }.items()
    )
    children = [s for s in finished if s.parent and s.parent.span_id == tool_span.context.span_id]
    assert [s.name for s in children] == [
        "Salesforce GET /services/data/v62.0/sobjects/Contact/describe",
        "Salesforce POST /services/data/v62.0/sobjects/Contact",
    ]
    assert _attributes(children[1])["http.response.status_code"] == 201
    for span in finished:
        assert last_name not in repr(span.to_json())
