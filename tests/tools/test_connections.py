"""Connections and reliability through the tools: expiry, revocation, deadlines, naming."""

from __future__ import annotations

from pathlib import Path

import httpx

from emulator.server import BackgroundEmulator
from server.app import build_server
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import (
    API,
    CLIENT_ID,
    CLIENT_SECRET,
    add_fault,
    clear_log,
    connect,
    make_settings,
    request_log,
)
from tests.helpers.tool_calls import Tools, serving, text_of


async def test_an_expired_session_is_renewed_mid_call(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """After every session expires the call still succeeds, with exactly one refresh."""
    await tools.ok("run_query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    await control.post("/_emulator/expire-sessions")
    await clear_log(control)
    page = await tools.ok("run_query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    assert len(page["records"]) == 1
    log = await request_log(control)
    assert [(e["path"], e["status"], e["grant_type"]) for e in log] == [
        (f"{API}/query", 401, None),
        ("/services/oauth2/token", 200, "refresh_token"),
        (f"{API}/query", 200, None),
    ]


async def test_a_revoked_refresh_token_asks_for_a_reconnect(
    tools: Tools, control: httpx.AsyncClient, emulator: BackgroundEmulator
) -> None:
    """With the refresh token revoked, the agent is told to reconnect, and the state says so."""
    conn = tools.store.get("demo")
    assert conn is not None
    assert conn.refresh_token is not None
    revoked = await control.post(
        "/services/oauth2/revoke", data={"token": conn.refresh_token.get_secret_value()}
    )
    assert revoked.status_code == 200
    await control.post("/_emulator/expire-sessions")
    text = await tools.error("run_query", {"soql": "SELECT Id FROM Account"})
    assert "needs to be reconnected" in text
    assert "callforce connect --name demo" in text
    status = await tools.ok("connection_status", {})
    assert status["connections"][0]["state"] == "needs_reconnect"
    assert status["connections"][0]["last_error"]
    await clear_log(control)
    again = await tools.error("run_query", {"soql": "SELECT Id FROM Account"})
    assert "needs to be reconnected" in again
    assert await request_log(control) == []  # no more refresh attempts


async def test_a_slow_salesforce_times_out_and_the_next_call_works(
    tmp_path: Path,
    emulator: BackgroundEmulator,
    control: httpx.AsyncClient,
) -> None:
    """A call past the deadline fails with a timeout; the server keeps serving."""
    settings = make_settings(tmp_path / "slow", emulator, call_deadline_seconds=0.5)
    store = SQLiteConnectionStore.from_settings(settings)
    await connect(store, emulator, "demo")
    soql = {"soql": "SELECT Id FROM Account LIMIT 1"}
    try:
        async with serving(build_server(settings, store=store)) as client:
            for _ in range(3):  # warm up: a loaded machine may need a try or two at 0.5 s
                warm = await client.call_tool("run_query", soql)
                if not warm.is_error:
                    break
            assert not warm.is_error, text_of(warm)
            await add_fault(control, path=f"{API}/query", delay_ms=3000, times=2)
            slow = await client.call_tool("run_query", soql)
            assert slow.is_error
            assert "did not answer within 0.5 s" in text_of(slow)
            await control.delete("/_emulator/faults")
            after = await client.call_tool("run_query", soql)
            assert not after.is_error, text_of(after)
    finally:
        store.close()


async def test_an_unknown_connection_names_the_known_ones(tools: Tools) -> None:
    """A connection name that does not exist is an error listing the real ones."""
    text = await tools.error("describe_object", {"object": "Account", "connection": "prod"})
    assert "no Salesforce connection named 'prod'" in text
    assert "demo" in text


async def test_a_second_connection_can_be_named(tools: Tools, emulator: BackgroundEmulator) -> None:
    """Tools use the named connection; connection_status lists both, one default."""
    await connect(tools.store, emulator, "sandbox-1")
    page = await tools.ok("run_query", {"soql": "SELECT Id FROM User", "connection": "sandbox-1"})
    assert page["total_size"] > 0
    status = await tools.ok("connection_status", {})
    assert [c["name"] for c in status["connections"]] == ["demo", "sandbox-1"]
    assert [c["is_default"] for c in status["connections"]] == [True, False]
    assert status["default"] == "demo"


async def test_connection_status_describes_the_connection(tools: Tools) -> None:
    """connection_status gives name, environment, state, instance and user, with no request."""
    status = await tools.ok("connection_status", {})
    [demo] = status["connections"]
    assert demo["name"] == "demo"
    assert demo["environment"] == "production"
    assert demo["state"] == "connected"
    assert demo["instance"].startswith("http://127.0.0.1:")
    assert demo["user"] == "demo@callforce.dev"
    assert demo["last_error"] is None
    assert CLIENT_SECRET not in str(status)
    assert CLIENT_ID not in str(status)


async def test_describe_object_lists_fields_compactly(tools: Tools) -> None:
    """describe_object gives each field's type, requirement, picklist values and ids."""
    lead = await tools.ok("describe_object", {"object": "lead"})
    assert (lead["name"], lead["key_prefix"]) == ("Lead", "00Q")
    fields = {field["name"]: field for field in lead["fields"]}
    assert fields["LastName"]["required"] is True
    assert fields["Company"]["required"] is True
    assert fields["Email"]["type"] == "email"
    assert fields["External_Id__c"]["external_id"] is True
    assert fields["LastName"]["external_id"] is False
    assert "Hot" in fields["Rating"]["picklist_values"]
    assert fields["OwnerId"]["reference_to"]
    assert "CreatedDate" in lead["read_only_fields"]  # read-only fields are listed by name


async def test_describe_is_cached_between_calls(tools: Tools, control: httpx.AsyncClient) -> None:
    """The second describe_object of an object sends nothing."""
    await tools.ok("describe_object", {"object": "Case"})
    await clear_log(control)
    await tools.ok("describe_object", {"object": "Case"})
    assert await request_log(control) == []


async def test_an_unknown_object_to_describe_suggests_names(tools: Tools) -> None:
    """describe_object of a misspelt object suggests the closest."""
    text = await tools.error("describe_object", {"object": "Opportunty"})
    assert "did you mean Opportunity" in text
