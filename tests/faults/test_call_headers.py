"""Hostile call headers: whatever a platform (or whoever reaches the endpoint) puts in a call
variable's header stays one value — an escaped SOQL literal, one percent-encoded path segment,
text in its own field — or is refused before anything is sent."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import http_served, write_actions
from tests.helpers.demo_org import API, clear_log, request_log
from tests.helpers.org_records import read_record
from tests.helpers.tool_calls import text_of

ACTIONS = """
[[action]]
name = "call_tasks"
kind = "query"
description = "The tasks logged for this call."
soql = "SELECT Id FROM Task WHERE CallObject = '{{ call.id }}'"

[[action]]
name = "contact_of_call"
kind = "api_call"
method = "GET"
endpoint = "/services/data/v62.0/sobjects/Contact/External_Id__c/{{ call.id }}"
description = "The contact whose external id is this call's id."

[[action]]
name = "note_call"
kind = "create"
object = "Task"
description = "Note this call."
data = { Subject = "Call {{ call.id }}", CallObject = "{{ call.id }}", Status = "Completed" }
"""
HOSTILE = [
    "x' OR Id != null OR CallObject = '",
    "x\\' OR Id != null --",
    "{{ 7*7 }}",
    "{% for i in range(9) %}{% endfor %}",
    "../../oauth2/token",
    "%2e%2e/%2e%2e/oauth2/token",
    "C-000001?fields=Id#x/y",
]


@pytest.fixture
def actions_file(tmp_path: Path) -> Path:
    """Actions reading call.id in SOQL, an endpoint and a record."""
    return write_actions(tmp_path, ACTIONS)


@pytest.mark.parametrize("call_id", HOSTILE)
async def test_a_hostile_call_id_stays_one_value(
    settings: Settings,
    store: SQLiteConnectionStore,
    actions_file: Path,
    control: httpx.AsyncClient,
    reader: httpx.AsyncClient,
    call_id: str,
) -> None:
    """In SOQL it matches nothing (no task has that id); in a path it is one segment; in a
    record it is written as it came."""
    async with http_served(settings, store, actions_file, {"X-Call-Id": call_id}) as tools:
        await clear_log(control)
        found = await tools.ok("call_tasks", {})
        assert found["records"] == []
        [query] = [e for e in await request_log(control) if e["path"].endswith("/query")]
        soql = parse_qs(query["query"])["q"][0]
        assert soql.startswith("SELECT Id FROM Task WHERE CallObject = '")
        assert soql.count("'") - soql.count("\\'") == 2, soql  # one literal, still closed
        await clear_log(control)
        looked = await tools.call("contact_of_call", {})
        sent = [entry["path"] for entry in await request_log(control)]
        if "nothing was sent" in text_of(looked):  # a traversal: refused before sending
            assert sent == []
        else:  # one segment: the emulator's log shows the path decoded
            assert sent == [f"{API}/sobjects/Contact/External_Id__c/{call_id}"]
        noted = await tools.ok("note_call", {})
    task = await read_record(reader, "Task", noted["id"])
    assert (task["CallObject"], task["Subject"]) == (call_id, f"Call {call_id}")


async def test_an_overlong_or_control_character_header_is_refused(
    settings: Settings, store: SQLiteConnectionStore, actions_file: Path, control: httpx.AsyncClient
) -> None:
    """A value longer than a call variable may be: refused, nothing sent."""
    async with http_served(settings, store, actions_file, {"X-Call-Id": "x" * 513}) as tools:
        await clear_log(control)
        text = await tools.error("call_tasks", {})
    assert "longer than 512 characters" in text
    assert "Nothing was sent" in text
    assert await request_log(control) == []
