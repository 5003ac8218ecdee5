"""Issue 12 item 3: writes that survive retries. A write repeated with the same call id (or the
same idempotency_key) returns its first result, marked replayed, instead of writing again —
retried, concurrent, across processes sharing a home — and a first attempt whose outcome was
lost is reported, never written twice; one that wrote nothing frees its key."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import httpx
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from emulator.server import BackgroundEmulator
from server import web
from server.app import build_server
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import API, CLIENT_ID, CLIENT_SECRET, add_fault, clear_log, request_log
from tests.helpers.org_records import unique
from tests.helpers.tool_calls import Tools, serving, text_of

ROOT = Path(__file__).resolve().parents[2]
CONTACTS = f"{API}/sobjects/Contact"
REPLAYED = "(already done: a repeated request; nothing was written again)"


def _in_call(call_id: str) -> dict[str, Any]:
    """What a stdio client sends to say which phone call a request belongs to."""
    return {"meta": {"callforce/call": {"id": call_id}}}


def _contact() -> dict[str, Any]:
    return {"object": "Contact", "data": {"LastName": unique("Retry-"), "Birthdate": "May 2 1990"}}


async def _posts(control: httpx.AsyncClient, path: str = CONTACTS) -> int:
    """How many creates reached the org since the log was cleared."""
    return sum(e["method"] == "POST" and e["path"] == path for e in await request_log(control))


async def _count(reader: httpx.AsyncClient, last_name: str) -> int:
    soql = f"SELECT Id FROM Contact WHERE LastName = '{last_name}'"  # noqa: S608 - a test's own value
    answer = (await reader.get("/query", params={"q": soql})).json()
    total: int = answer["totalSize"]
    return total


async def test_a_create_retried_three_times_in_one_call_writes_once(
    settings: Settings,
    store: SQLiteConnectionStore,
    control: httpx.AsyncClient,
    reader: httpx.AsyncClient,
) -> None:
    """Over HTTP with X-Call-Id, as Retell retries: one record; the 2nd and 3rd say replayed
    and carry the first result."""
    args = _contact()
    app = web.build_app(settings, store)
    transport = httpx2.ASGITransport(app=app)
    await clear_log(control)
    results = []
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=transport,
            base_url="http://127.0.0.1:8000",
            headers={"X-Call-Id": unique("call-")},
        ) as http,
    ):
        for _ in range(3):
            async with Client(
                streamable_http_client("http://127.0.0.1:8000/mcp", http_client=http)
            ) as client:
                results.append(await client.call_tool("create_record", args))
    assert not any(result.is_error for result in results)
    first, *again = [result.structured_content or {} for result in results]
    assert "replayed" not in first
    assert all(repeat == {**first, "replayed": True} for repeat in again)
    assert text_of(results[0]) == f"Created Contact {first['id']}"
    assert all(text_of(r) == f"Created Contact {first['id']} {REPLAYED}" for r in results[1:])
    assert await _posts(control) == 1
    assert await _count(reader, args["data"]["LastName"]) == 1


async def test_two_concurrent_identical_calls_write_once(
    tools: Tools, control: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    """The second arrives while the first is in flight: it waits for it and gets its result."""
    args, call = _contact(), _in_call(unique("call-"))
    await clear_log(control)
    await add_fault(control, method="POST", path=CONTACTS, delay_ms=400)
    one, two = await asyncio.gather(
        tools.ok("create_record", args, **call), tools.ok("create_record", args, **call)
    )
    assert one["id"] == two["id"]
    assert sorted(result.get("replayed", False) for result in (one, two)) == [False, True]
    assert await _posts(control) == 1
    assert await _count(reader, args["data"]["LastName"]) == 1


async def test_two_processes_sharing_a_home_write_once(
    settings: Settings,
    store: SQLiteConnectionStore,
    emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
    reader: httpx.AsyncClient,
) -> None:
    """A `callforce serve` subprocess on the same home gets the same retry while this process's
    write is in flight: it waits on the pending key and replays the result."""
    args, call = _contact(), _in_call(unique("call-"))
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "server.cli", "serve"],
        env={
            "CALLFORCE_HOME": str(settings.home),
            "CALLFORCE_PRODUCTION_LOGIN_URL": emulator.base_url,
            "CALLFORCE_CLIENT_ID": CLIENT_ID,
            "CALLFORCE_CLIENT_SECRET": CLIENT_SECRET,
        },
        cwd=ROOT,
    )
    async with Client(params) as other, serving(build_server(settings, store=store)) as here:
        warm = {"soql": "SELECT Id FROM Contact LIMIT 1"}
        await asyncio.gather(other.call_tool("run_query", warm), here.call_tool("run_query", warm))
        await clear_log(control)
        await add_fault(control, method="POST", path=CONTACTS, delay_ms=800)
        first = asyncio.create_task(here.call_tool("create_record", args, **call))
        await asyncio.sleep(0.3)  # the key is pending when the other process asks
        second = await other.call_tool("create_record", args, **call)
        done = await first
    assert not done.is_error, text_of(done)
    assert not second.is_error, text_of(second)
    assert second.structured_content == {**(done.structured_content or {}), "replayed": True}
    assert await _posts(control) == 1
    assert await _count(reader, args["data"]["LastName"]) == 1


async def test_a_write_still_running_elsewhere_is_said_to_be_in_progress(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> None:
    """Another server on the same home holds the key past this call's deadline: the agent
    hears that the same write is still in progress, and nothing is sent; once it ends, the
    retry gets its result."""
    args, call = _contact(), _in_call(unique("call-"))
    hurried = settings.model_copy(update={"call_deadline_seconds": 0.5})
    second_store = SQLiteConnectionStore.from_settings(settings)
    await add_fault(control, method="POST", path=CONTACTS, delay_ms=1000)
    try:
        async with (
            serving(build_server(settings, store=store)) as slow,
            serving(build_server(hurried, store=second_store)) as quick,
        ):
            first = asyncio.create_task(slow.call_tool("create_record", args, **call))
            await asyncio.sleep(0.2)
            await clear_log(control)
            waited = await quick.call_tool("create_record", args, **call)
            assert not (await first).is_error
            after = await quick.call_tool("create_record", args, **call)
    finally:
        second_store.close()
    assert waited.is_error
    assert text_of(waited).endswith(
        "The same write, from an identical earlier request, is still in progress. Nothing was "
        "sent again; call again in a moment to get its result."
    )
    assert not after.is_error
    assert (after.structured_content or {}).get("replayed") is True
    assert await _posts(control) == 0


async def test_writes_advertise_the_replayed_flag(tools: Tools) -> None:
    """The output schema of a keyed write says what "replayed" means; log_call has none."""
    schemas = {
        tool.name: tool.output_schema or {} for tool in (await tools.client.list_tools()).tools
    }
    assert "replayed" in schemas["create_record"]["properties"]
    assert "replayed" in schemas["custom_api_call"]["properties"]
    assert "replayed" not in schemas["log_call"]["properties"]
    assert "replayed" not in schemas["run_query"]["properties"]


async def test_a_lost_outcome_is_reported_on_the_retry_not_written_again(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """The connection drops after the POST was sent: the retry says the create may have
    happened and what to check, and sends nothing."""
    args, call = _contact(), _in_call(unique("call-"))
    await clear_log(control)
    await add_fault(control, method="POST", path=CONTACTS, drop=True)
    first = await tools.call("create_record", args, **call)
    retry = await tools.call("create_record", args, **call)
    assert first.is_error
    assert "may or may not have happened" in text_of(first)
    assert retry.is_error
    assert text_of(retry).endswith(
        "An identical earlier request sent this create, then lost Salesforce's answer: the "
        "create may or may not have happened. Nothing was sent again. Check with run_query "
        "whether it happened; if not, call again with a new idempotency_key."
    )
    tools.assert_safe(text_of(retry))
    assert await _posts(control) == 1
    fresh = await tools.ok("create_record", {**args, "idempotency_key": "after-check"}, **call)
    assert "replayed" not in fresh
    assert await _posts(control) == 2


async def test_a_write_cut_off_by_the_deadline_is_not_sent_again(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> None:
    """The POST went out and the deadline passed before the answer: the retry reports the
    unknown outcome instead of sending the create again."""
    args, call = _contact(), _in_call(unique("call-"))
    hurried = settings.model_copy(update={"call_deadline_seconds": 0.6})
    async with serving(build_server(hurried, store=store)) as client:
        await client.call_tool("describe_object", {"object": "Contact"})  # warm
        await clear_log(control)
        await add_fault(control, method="POST", path=CONTACTS, delay_ms=900)
        first = await client.call_tool("create_record", args, **call)
        retry = await client.call_tool("create_record", args, **call)
    assert "The create may or may not have happened" in text_of(first)
    assert retry.is_error
    assert "An identical earlier request sent this create" in text_of(retry)
    assert await _posts(control) == 1


async def test_the_same_arguments_in_another_call_write_again(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """A key is the call's: another call saying the same thing is a new write."""
    args = _contact()
    await clear_log(control)
    one = await tools.ok("create_record", args, **_in_call(unique("call-")))
    two = await tools.ok("create_record", args, **_in_call(unique("call-")))
    assert one["id"] != two["id"]
    assert "replayed" not in two
    assert await _posts(control) == 2


async def test_without_a_key_every_call_writes(tools: Tools, control: httpx.AsyncClient) -> None:
    """No call id and no idempotency_key: behaviour as before, each call is a write."""
    args = _contact()
    await clear_log(control)
    one = await tools.ok("create_record", args)
    two = await tools.ok("create_record", args)
    assert one["id"] != two["id"]
    assert await _posts(control) == 2


async def test_an_explicit_key_works_without_a_call_id(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """idempotency_key alone: the repeat is replayed; the key used for another write is
    refused before anything is sent."""
    args = {**_contact(), "idempotency_key": unique("key-")}
    await clear_log(control)
    one = await tools.ok("create_record", args)
    two = await tools.ok("create_record", args)
    assert two == {**one, "replayed": True}
    other = {**_contact(), "idempotency_key": args["idempotency_key"]}
    text = await tools.error("create_record", other)
    assert text.endswith(
        "This idempotency_key was already used for a different write. Nothing was sent; use a "
        "new idempotency_key for a new write."
    )
    assert await _posts(control) == 1


async def test_the_explicit_key_wins_over_the_call(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """In one call, two identical creates with different keys are two writes."""
    args, call = _contact(), _in_call(unique("call-"))
    await clear_log(control)
    await tools.ok("create_record", {**args, "idempotency_key": "a"}, **call)
    await tools.ok("create_record", {**args, "idempotency_key": "b"}, **call)
    assert await _posts(control) == 2


async def test_a_failed_coercion_releases_the_key(tools: Tools, control: httpx.AsyncClient) -> None:
    """Nothing was written, so the corrected retry under the same key runs."""
    key = unique("key-")
    bad = {"object": "Contact", "data": {"LastName": unique(), "Birthdate": "someday"}}
    await clear_log(control)
    text = await tools.error("create_record", {**bad, "idempotency_key": key})
    assert "Birthdate" in text
    fixed = {**bad, "data": {**bad["data"], "Birthdate": "May 2 1990"}, "idempotency_key": key}
    created = await tools.ok("create_record", fixed)
    assert "replayed" not in created
    assert await _posts(control) == 1


async def test_a_salesforce_refusal_releases_the_key(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """A 4xx wrote nothing: the same request in the same call is sent again, and succeeds."""
    args, call = _contact(), _in_call(unique("call-"))
    refusal = [{"errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "Not today"}]
    await clear_log(control)
    await add_fault(control, method="POST", path=CONTACTS, status=400, body=refusal)
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in text_of(
        await tools.call("create_record", args, **call)
    )
    created = await tools.ok("create_record", args, **call)
    assert "replayed" not in created
    assert await _posts(control) == 2


async def test_other_writes_are_kept_too(tools: Tools, control: httpx.AsyncClient) -> None:
    """update_record, bulk_write and a custom_api_call POST replay; a GET is asked afresh."""
    call = _in_call(unique("call-"))
    created = await tools.ok("create_record", _contact(), **call)
    update = {"object": "Contact", "id": created["id"], "data": {"Title": "CEO"}}
    bulk = {"object": "Contact", "operation": "insert", "records": [{"LastName": unique()}]}
    post = {"method": "POST", "endpoint": f"{API}/sobjects/Contact", "body": {"LastName": unique()}}
    get = {"method": "GET", "endpoint": f"{API}/limits"}
    await clear_log(control)
    for name, args in (
        ("update_record", update),
        ("bulk_write", bulk),
        ("custom_api_call", post),
        ("custom_api_call", get),
    ):
        first = await tools.ok(name, args, **call)
        again = await tools.ok(name, args, **call)
        assert again.get("replayed", False) is (args is not get), name
        assert "replayed" not in first
    methods = [e["method"] for e in await request_log(control) if e["path"].startswith(API)]
    assert methods.count("PATCH") == 1
    assert methods.count("POST") == 2  # the collection insert and the custom POST
    assert methods.count("GET") == 2
