"""log_call: one completed Task per phone call, with the call fields; a second log_call in the
same call updates it (one request), and the Task is found by CallObject when the store does not
know it."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from emulator.server import BackgroundEmulator
from server.app import build_server
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import API, CONNECTION, add_fault, clear_log, connect, request_log
from tests.helpers.org_fixtures import TIME_ZONE
from tests.helpers.org_records import read_record, unique
from tests.helpers.tool_calls import Tools, serving, text_of


def _in_call(call_id: str) -> dict[str, Any]:
    return {"meta": {"callforce/call": {"id": call_id}}}


async def _tasks_of(reader: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    fields = (
        "Id, Subject, Description, Status, CallObject, CallType, CallDurationInSeconds, "
        "CallDisposition, ActivityDate"
    )
    soql = f"SELECT {fields} FROM Task WHERE CallObject = '{call_id}'"  # noqa: S608 - test values
    answer = (await reader.get("/query", params={"q": soql})).json()
    records: list[dict[str, Any]] = answer["records"]
    return records


async def test_two_log_calls_in_one_call_leave_one_task(
    tools: Tools, control: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    """The first creates the call's Task, the second updates it with one request."""
    call_id = unique("call-")
    first = await tools.call(
        "log_call",
        {"summary": "Asked about pricing.", "call_type": "inbound", "duration_seconds": 95},
        **_in_call(call_id),
    )
    assert not first.is_error, text_of(first)
    logged = first.structured_content or {}
    assert logged["created"] is True
    assert text_of(first) == f"Logged the call as Task {logged['id']}"
    await clear_log(control)
    second = await tools.call(
        "log_call",
        {"summary": "Asked about pricing; wants a callback.", "disposition": "Callback"},
        **_in_call(call_id),
    )
    assert not second.is_error, text_of(second)
    assert second.structured_content == {**logged, "created": False}
    assert text_of(second) == f"Updated the call's Task {logged['id']}"
    assert [(e["method"], e["path"]) for e in await request_log(control)] == [
        ("PATCH", f"{API}/sobjects/Task/{logged['id']}")
    ]
    (task,) = await _tasks_of(reader, call_id)
    today = dt.datetime.now(ZoneInfo(TIME_ZONE)).date().isoformat()
    assert task["Id"] == logged["id"]
    assert task["Description"] == "Asked about pricing; wants a callback."
    assert (task["Subject"], task["Status"], task["ActivityDate"]) == ("Call", "Completed", today)
    assert (task["CallType"], task["CallDurationInSeconds"]) == ("Inbound", 95)
    assert task["CallDisposition"] == "Callback"


async def test_without_a_call_id_log_call_creates_a_task_without_call_object(
    tools: Tools, reader: httpx.AsyncClient
) -> None:
    """No call id: a new Task each time, CallObject empty."""
    one = await tools.ok("log_call", {"summary": "Wrong number.", "subject": "Missed call"})
    two = await tools.ok("log_call", {"summary": "Wrong number.", "subject": "Missed call"})
    assert one["created"] is two["created"] is True
    assert one["id"] != two["id"]
    task = await read_record(reader, "Task", one["id"])
    assert task["CallObject"] is None
    assert (task["Subject"], task["Status"]) == ("Missed call", "Completed")


async def test_a_task_logged_elsewhere_is_found_by_call_object(
    tmp_path: Path,
    settings: Settings,
    tools: Tools,
    emulator: BackgroundEmulator,
    reader: httpx.AsyncClient,
) -> None:
    """A server on another home (its store knows nothing) updates the call's Task it finds
    by CallObject instead of adding a second one."""
    call_id = unique("call-")
    logged = await tools.ok("log_call", {"summary": "First."}, **_in_call(call_id))
    other = settings.model_copy(update={"home": tmp_path / "other-home"})
    store = SQLiteConnectionStore.from_settings(other)
    await connect(store, emulator, CONNECTION)
    try:
        async with serving(build_server(other, store=store)) as client:
            again = await client.call_tool("log_call", {"summary": "Second."}, **_in_call(call_id))
    finally:
        store.close()
    assert again.structured_content == {**logged, "created": False}
    (task,) = await _tasks_of(reader, call_id)
    assert task["Description"] == "Second."


async def test_log_call_values_are_checked_against_the_task_describe(tools: Tools) -> None:
    """A call type Salesforce does not have is refused by name, and nothing is written."""
    text = await tools.error("log_call", {"summary": "x", "call_type": "Sideways"})
    assert "CallType" in text
    assert "Nothing was" in text


async def test_concurrent_log_calls_of_one_call_make_one_task(
    tools: Tools, control: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    """The second waits for the first (a slow create) and then updates its Task."""
    call_id = unique("call-")
    await add_fault(control, method="POST", path=f"{API}/sobjects/Task", delay_ms=400)
    one, two = await asyncio.gather(
        tools.ok("log_call", {"summary": "One."}, **_in_call(call_id)),
        tools.ok("log_call", {"summary": "Two."}, **_in_call(call_id)),
    )
    assert one["id"] == two["id"]
    assert sorted([one["created"], two["created"]]) == [False, True]
    (task,) = await _tasks_of(reader, call_id)
    assert task["Id"] == one["id"]


async def test_after_a_lost_outcome_log_call_looks_before_it_writes(
    tools: Tools, control: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    """The first create's answer is lost; the retry asks by CallObject before creating."""
    call_id = unique("call-")
    await add_fault(control, method="POST", path=f"{API}/sobjects/Task", drop=True)
    lost = await tools.call("log_call", {"summary": "Lost."}, **_in_call(call_id))
    assert lost.is_error
    await clear_log(control)
    again = await tools.ok("log_call", {"summary": "Again."}, **_in_call(call_id))
    methods = [(e["method"], e["path"]) for e in await request_log(control)]
    assert methods == [("GET", f"{API}/query"), ("POST", f"{API}/sobjects/Task")]
    (task,) = await _tasks_of(reader, call_id)
    assert (task["Id"], task["Description"]) == (again["id"], "Again.")


async def test_another_task_of_the_call_is_not_the_logged_call(
    tools: Tools, reader: httpx.AsyncClient
) -> None:
    """A callback Task an action created with the call's id stays as it is; log_call writes a
    Call Task of its own (TaskSubtype Call, as Salesforce's Log a Call does)."""
    call_id = unique("call-")
    response = await reader.post(
        "/sobjects/Task",
        json={"Subject": "Call back: refund", "CallObject": call_id, "Status": "Not Started"},
    )
    callback = response.json()["id"]
    logged = await tools.ok("log_call", {"summary": "Refund requested."}, **_in_call(call_id))
    assert logged["created"] is True
    assert logged["id"] != callback
    task = await read_record(reader, "Task", logged["id"])
    assert (task["TaskSubtype"], task["CallObject"]) == ("Call", call_id)
    untouched = await read_record(reader, "Task", callback)
    assert (untouched["Subject"], untouched["Status"]) == ("Call back: refund", "Not Started")
