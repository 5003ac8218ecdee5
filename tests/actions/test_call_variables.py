"""Call variables served: the platform's headers (Streamable HTTP) and ``_meta["callforce/call"]``
(stdio) reach the templates; the model never sees them and cannot override them; a missing one
is refused with nothing sent; a phone is E.164 in the record."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from pydantic import BaseModel, ConfigDict

from emulator.server import BackgroundEmulator
from server.actions.serving import load_action_specs
from server.app import build_server
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from server.toolkit import LOCAL_READ, ToolContext, ToolSpec, register
from tests.helpers.action_files import http_served, write_actions
from tests.helpers.demo_org import CLIENT_ID, CLIENT_SECRET, clear_log, request_log
from tests.helpers.org_records import read_record, unique
from tests.helpers.tool_calls import Tools, serving, text_of

ROOT = Path(__file__).resolve().parents[2]
CALL_ACTIONS = """
[call]
agent = { header = "X-Agent-Name", required = false }

[[action]]
name = "log_inbound"
kind = "create"
object = "Task"
description = "Log this call."
data.Subject = "{{ subject }}"
data.CallObject = "{{ call.id }}"
data.Status = "Completed"
data.Description = "{{ call.caller_number }}{% if call.agent %} via {{ call.agent }}{% endif %}"

[[action]]
name = "lead_from_caller"
kind = "create"
object = "Lead"
description = "Create a lead for the caller, with the number they call from."
data.LastName = "{{ lastName }}"
data.Company = "{{ company }}"
data.Phone = "{{ call.caller_number }}"

[[action]]
name = "call_tasks"
kind = "query"
description = "The tasks logged for this call."
soql = "SELECT Id, Subject, CallObject FROM Task WHERE CallObject = '{{ call.id }}'"

[[action]]
name = "caller_contact"
kind = "query"
description = "The caller's contact, by the number they call from."
soql = '''
SELECT Id, LastName, Phone FROM Contact
WHERE Phone LIKE '%{{ call.caller_number | digits_pattern(10) }}'
'''

[[action]]
name = "contact_of_call"
kind = "api_call"
method = "GET"
endpoint = "/services/data/v62.0/sobjects/Contact/External_Id__c/{{ call.id }}"
description = "The contact whose external id is this call's id."
"""

ACTION_NAMES = (
    "log_inbound",
    "lead_from_caller",
    "call_tasks",
    "caller_contact",
    "contact_of_call",
)


@pytest.fixture
def actions_file(tmp_path: Path) -> Path:
    """The action file whose templates read call variables."""
    return write_actions(tmp_path, CALL_ACTIONS)


async def test_headers_reach_every_template_kind(
    settings: Settings,
    store: SQLiteConnectionStore,
    actions_file: Path,
    reader: httpx.AsyncClient,
    control: httpx.AsyncClient,
) -> None:
    """Over HTTP the headers fill JSON leaves (kept whole), text, SOQL literals and endpoints."""
    call_id = unique("call-'")  # a quote: the SOQL literal must stay closed
    headers = {"X-Call-Id": call_id, "X-Caller-Number": "+1 (415) 555-0100", "X-Agent-Name": "Bo"}
    async with http_served(settings, store, actions_file, headers) as tools:
        logged = await tools.ok("log_inbound", {"subject": "Refund"})
        found = await tools.ok("call_tasks", {})
        caller = await tools.ok("caller_contact", {})
    task = await read_record(reader, "Task", logged["id"])
    assert (task["CallObject"], task["Description"]) == (call_id, "+14155550100 via Bo")
    assert [(r["Id"], r["CallObject"]) for r in found["records"]] == [(logged["id"], call_id)]
    assert [r["LastName"] for r in caller["records"]] == ["García"]
    await clear_log(control)
    async with http_served(settings, store, actions_file, {"X-Call-Id": "C-000001"}) as tools:
        contact = await tools.ok("contact_of_call", {})
    assert contact["body"]["LastName"] == "García"
    [entry] = [e for e in await request_log(control) if "/External_Id__c/" in e["path"]]
    assert entry["path"].endswith("/sobjects/Contact/External_Id__c/C-000001")


async def test_an_optional_call_variable_may_be_missing(
    settings: Settings, store: SQLiteConnectionStore, actions_file: Path, reader: httpx.AsyncClient
) -> None:
    """`required = false`: without its header it renders as an omitted variable ("")."""
    headers = {"X-Call-Id": unique("call-"), "X-Caller-Number": "+44 20 7946 0958"}
    async with http_served(settings, store, actions_file, headers) as tools:
        logged = await tools.ok("log_inbound", {"subject": "Hello"})
    task = await read_record(reader, "Task", logged["id"])
    assert task["Description"] == "+442079460958"


async def test_a_phone_call_variable_is_e164_in_the_record(
    settings: Settings, store: SQLiteConnectionStore, actions_file: Path, reader: httpx.AsyncClient
) -> None:
    """The caller's number as the platform formats it is written as E.164."""
    headers = {"X-Call-Id": unique("call-"), "X-Caller-Number": "+1 (512) 555-0177"}
    async with http_served(settings, store, actions_file, headers) as tools:
        created = await tools.ok(
            "lead_from_caller", {"lastName": "Okafor", "company": "Okafor Ltd"}
        )
    lead = await read_record(reader, "Lead", created["id"])
    assert lead["Phone"] == "+15125550177"


async def test_the_schema_never_shows_call_variables(
    settings: Settings, store: SQLiteConnectionStore, actions_file: Path
) -> None:
    """tools/list: only the model's arguments; a tool reading only call variables takes none."""
    async with http_served(settings, store, actions_file, {}) as tools:
        listed = {tool.name: tool.input_schema for tool in (await tools.client.list_tools()).tools}
    assert set(listed["log_inbound"]["properties"]) == {"subject"}
    assert set(listed["lead_from_caller"]["properties"]) == {"lastName", "company"}
    for name in ACTION_NAMES[2:]:
        assert listed[name].get("properties", {}) == {}, name
    for name in ACTION_NAMES:
        said = json.dumps(listed[name])
        assert "caller_number" not in said
        assert "X-Call-Id" not in said


@pytest.mark.parametrize(
    "extra",
    [
        {"call": {"id": "forged", "caller_number": "+19995550000"}},
        {"call.id": "forged"},
        {"id": "forged", "caller_number": "+19995550000"},
    ],
)
async def test_the_model_cannot_override_a_call_variable(
    settings: Settings,
    store: SQLiteConnectionStore,
    actions_file: Path,
    reader: httpx.AsyncClient,
    extra: dict[str, Any],
) -> None:
    """Arguments named like call variables (or `call` itself) are not the tool's: dropped like
    any unknown argument; the record holds what the platform sent."""
    call_id = unique("call-")
    headers = {"X-Call-Id": call_id, "X-Caller-Number": "+1 415 555 0100"}
    async with http_served(settings, store, actions_file, headers) as tools:
        created = await tools.ok("log_inbound", {"subject": "Refund", **extra})
    task = await read_record(reader, "Task", created["id"])
    assert task["CallObject"] == call_id
    assert task["Description"] == "+14155550100"


async def test_a_missing_header_is_refused_and_nothing_is_sent(
    settings: Settings, store: SQLiteConnectionStore, actions_file: Path, control: httpx.AsyncClient
) -> None:
    """A required call variable the request lacks: an error naming the header; no request."""
    async with http_served(
        settings, store, actions_file, {"X-Caller-Number": "+14155550100"}
    ) as tools:
        await tools.ok("caller_contact", {})  # reads only caller_number: no id needed
        await clear_log(control)
        for name, arguments in [
            ("log_inbound", {"subject": "Refund"}),
            ("call_tasks", {}),
            ("contact_of_call", {}),
        ]:
            text = await tools.error(name, arguments)
            assert "X-Call-Id" in text, text
            assert "Nothing was sent" in text
    assert await request_log(control) == []


async def test_a_malformed_phone_is_refused_and_nothing_is_sent(
    settings: Settings, store: SQLiteConnectionStore, actions_file: Path, control: httpx.AsyncClient
) -> None:
    """A caller number that is no phone number is refused before anything is sent."""
    headers = {"X-Call-Id": unique("call-"), "X-Caller-Number": "anonymous"}
    async with http_served(settings, store, actions_file, headers) as tools:
        await clear_log(control)
        text = await tools.error("lead_from_caller", {"lastName": "X", "company": "Y"})
    assert "caller_number" in text
    assert "Nothing was sent" in text
    assert await request_log(control) == []


async def test_stdio_meta_reaches_the_templates(
    settings: Settings,
    store: SQLiteConnectionStore,
    emulator: BackgroundEmulator,
    actions_file: Path,
    reader: httpx.AsyncClient,
) -> None:
    """`serve --actions` over stdio: the call variables come from the request's _meta."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "server.cli", "serve", "--actions", str(actions_file)],
        env={
            "CALLFORCE_HOME": str(settings.home),
            "CALLFORCE_PRODUCTION_LOGIN_URL": emulator.base_url,
            "CALLFORCE_CLIENT_ID": CLIENT_ID,
            "CALLFORCE_CLIENT_SECRET": CLIENT_SECRET,
        },
        cwd=ROOT,
    )
    call_id = unique("stdio-")
    meta = {"callforce/call": {"id": call_id, "caller_number": "+1 415 555 0100", "agent": "Al"}}
    async with Client(params) as client:
        logged = await client.call_tool("log_inbound", {"subject": "Refund"}, meta=meta)
        missing = await client.call_tool("log_inbound", {"subject": "Refund"})
    assert not logged.is_error, text_of(logged)
    assert isinstance(logged.structured_content, dict)
    task = await read_record(reader, "Task", logged.structured_content["id"])
    assert (task["CallObject"], task["Description"]) == (call_id, "+14155550100 via Al")
    assert missing.is_error
    assert "X-Call-Id" in text_of(missing)
    assert '_meta "callforce/call".id' in text_of(missing)


class _NoArguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Bindings(BaseModel):
    headers: dict[str, str | None]


async def _bindings(ctx: ToolContext, _: _NoArguments) -> _Bindings:
    return _Bindings(headers={n: v.header for n, v in ctx.call.bindings.variables.items()})


#: A tool that is not an action, saying where its context reads the call variables from.
PROBE = ToolSpec(
    name="call_probe",
    title="Call probe",
    description="The call variables' headers.",
    annotations=LOCAL_READ,
    arguments=_NoArguments,
    result=_Bindings,
    handler=_bindings,
)


async def test_every_tool_reads_the_file_bindings_and_a_reload_replaces_them(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, actions_file: Path
) -> None:
    """The [call] table is the server's (any tool's context reads it); a reload with another
    table swaps the bindings with the tools."""
    watched = settings.model_copy(update={"actions": actions_file, "actions_reload_seconds": 0.05})
    specs = await load_action_specs(watched, store, actions_file)
    server = build_server(watched, store=store, actions=specs)
    register(server, PROBE)
    async with serving(server) as client:
        tools = Tools(client, store, settings)
        first = await tools.ok("call_probe", {})
        assert first["headers"] == {
            "id": "X-Call-Id",
            "caller_number": "X-Caller-Number",
            "agent": "X-Agent-Name",
        }
        edited = CALL_ACTIONS.replace('"X-Agent-Name"', '"X-Operator"').replace(
            'name = "caller_contact"', 'name = "caller_contact_again"'
        )
        write_actions(tmp_path, edited)
        for _ in range(600):
            names = {tool.name for tool in (await client.list_tools()).tools}
            if "caller_contact_again" in names:
                break
            await asyncio.sleep(0.1)
        register(server, PROBE)  # not a generic tool: the reload took it away with the actions
        after = await tools.ok("call_probe", {})
    assert after["headers"]["agent"] == "X-Operator"
