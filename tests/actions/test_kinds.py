"""Each kind of action end to end: through the MCP client, against the emulated org."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import ACTIONS, OrgAccess, served, write_actions
from tests.helpers.demo_org import API, clear_log, request_log
from tests.helpers.org_records import insert_many, read_record, unique
from tests.helpers.tool_calls import Tools


@pytest.fixture
async def kinds(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> AsyncIterator[Tools]:
    """The server serving one action of each kind."""
    path = write_actions(tmp_path, ACTIONS)
    async with served(path, settings, store, org_access) as (tools, _):
        yield tools


async def test_query_types_each_literal_by_its_field(
    kinds: Tools, reader: httpx.AsyncClient
) -> None:
    """Picklist, currency, date, boolean, datetime and LIMIT values make one exact query."""
    prefix = unique("Deal-")
    rows = [
        {"Name": f"{prefix}{n}", "StageName": stage, "Amount": amount, "CloseDate": close}
        for n, (stage, amount, close) in enumerate(
            [
                ("Prospecting", 5000, "2026-03-01"),
                ("Prospecting", 1250.5, "2026-03-05"),
                ("Prospecting", 900, "2026-03-01"),
                ("Qualification", 9000, "2026-03-01"),
                ("Prospecting", 7000, "2026-04-01"),
                ("Prospecting", 8000, "2026-02-01"),
            ]
        )
    ]
    ids = await insert_many(reader, "Opportunity", rows)
    found = await kinds.ok(
        "find_opportunities",
        {
            "prefix": prefix,
            "stage": "Prospecting",
            "minimum": 1000,
            "before": "March 5, 2026",
            "private": False,
            "createdBefore": "2100-01-01T00:00:00Z",
            "most": 2,
        },
    )
    assert [r["Id"] for r in found["records"]] == [ids[5], ids[0]]
    assert found["total_size"] == 2


async def test_create_coerces_like_create_record(kinds: Tools, reader: httpx.AsyncClient) -> None:
    """Typed leaves keep their types; spoken forms are converted as the generic tool does."""
    name = unique("Lead-")
    created = await kinds.ok(
        "new_lead",
        {"lastName": name, "company": "Acme", "rating": "Hot", "employees": 1250, "unread": True},
    )
    lead = await read_record(reader, "Lead", created["id"])
    assert (lead["LastName"], lead["Rating"], lead["NumberOfEmployees"]) == (name, "Hot", 1250)
    assert lead["IsUnreadByOwner"] is True
    assert lead["LeadSource"] == "Phone Inquiry"
    assert created["url"].endswith(created["id"])


async def test_update_changes_only_what_was_given(kinds: Tools, reader: httpx.AsyncClient) -> None:
    """An optional variable left out leaves its field alone; given, it is coerced."""
    [contact_id] = await insert_many(
        reader, "Contact", [{"LastName": unique("U-"), "Birthdate": "1990-03-05"}]
    )
    result = await kinds.ok(
        "set_contact_phone", {"contactId": contact_id, "phone": "+1 (415) 555-0177"}
    )
    assert result == {"id": contact_id, "object": "Contact"}
    contact = await read_record(reader, "Contact", contact_id)
    assert (contact["Phone"], contact["Birthdate"]) == ("+14155550177", "1990-03-05")
    await kinds.ok(
        "set_contact_phone",
        {"contactId": contact_id, "phone": "(415) 555-0178", "birthday": "April 1, 1991"},
    )
    contact = await read_record(reader, "Contact", contact_id)
    assert (contact["Phone"], contact["Birthdate"]) == ("(415) 555-0178", "1991-04-01")


async def test_update_refuses_an_id_of_another_object(kinds: Tools) -> None:
    """An Account id in a Contact update is refused like update_record refuses it."""
    found = await kinds.ok("read_contact", {"key": "C-000001"})
    account_id = found["body"]["AccountId"]
    text = await kinds.error("set_contact_phone", {"contactId": account_id, "phone": "5550100"})
    assert "is not the id of a Contact record" in text


async def test_upsert_creates_then_updates(kinds: Tools, reader: httpx.AsyncClient) -> None:
    """The first call creates, the second finds the same record by its external id."""
    key = unique("K-")
    first = await kinds.ok(
        "upsert_contact", {"key": key, "lastName": "First", "email": "A@Example.com"}
    )
    second = await kinds.ok(
        "upsert_contact", {"key": key, "lastName": "Second", "email": "b@example.com"}
    )
    assert (first["created"], second["created"]) == (True, False)
    assert first["id"] == second["id"]
    contact = await read_record(reader, "Contact", first["id"])
    assert (contact["LastName"], contact["Email"]) == ("Second", "b@example.com")


async def test_bulk_insert_reports_each_record(kinds: Tools, reader: httpx.AsyncClient) -> None:
    """One result per record, in order; a bad email fails its record only."""
    names = [unique("B-") for _ in range(3)]
    result = await kinds.ok(
        "add_leads",
        {
            "records": [
                {"lastName": names[0], "company": "Acme", "email": "a@example.com"},
                {"lastName": names[1], "company": "Acme", "email": "not an email"},
                {"lastName": names[2], "company": "Acme", "email": "c@example.com"},
            ]
        },
    )
    assert [r["success"] for r in result["results"]] == [True, False, True]
    assert result["results"][1]["errors"][0]["fields"] == ["Email"]
    lead = await read_record(reader, "Lead", result["results"][2]["id"])
    assert lead["LastName"] == names[2]


async def test_bulk_upsert_by_external_id(kinds: Tools) -> None:
    """Bulk upsert creates new keys and updates known ones."""
    keys = [unique("S-"), unique("S-")]
    records = [{"key": key, "lastName": "One"} for key in keys]
    first = await kinds.ok("sync_contacts", {"records": records})
    again = await kinds.ok("sync_contacts", {"records": records[:1]})
    assert [r["created"] for r in first["results"]] == [True, True]
    assert again["results"][0]["created"] is False
    assert again["results"][0]["id"] == first["results"][0]["id"]


async def test_bulk_takes_at_most_200_records(kinds: Tools, control: httpx.AsyncClient) -> None:
    """More records than one request holds are refused by the schema; nothing is sent."""
    await clear_log(control)
    records = [{"lastName": "x", "company": "y", "email": "z@example.com"}] * 201
    assert "records" in await kinds.error("add_leads", {"records": records})
    assert await request_log(control) == []


async def test_api_call_get_and_post(kinds: Tools, reader: httpx.AsyncClient) -> None:
    """A GET by external id and a POST with a templated JSON body and header."""
    found = await kinds.ok("read_contact", {"key": "C-000001"})
    assert found["status"] == 200
    assert (found["body"]["FirstName"], found["body"]["LastName"]) == ("Ana", "García")
    subject = unique('Broken "widget" ')
    opened = await kinds.ok("open_case", {"subject": subject, "escalate": True})
    assert opened["status"] == 201
    case = await read_record(reader, "Case", opened["body"]["id"])
    assert (case["Subject"], case["Origin"], case["Priority"]) == (subject, "Phone", "Medium")
    assert case["IsEscalated"] is True


@pytest.mark.parametrize(
    "key", ["../../oauth2/token", "%2e%2e/%2e%2e/oauth2/token", "..", "x/../../../oauth2"]
)
async def test_api_call_path_values_cannot_leave_their_segment(
    kinds: Tools, control: httpx.AsyncClient, key: str
) -> None:
    """A value is one percent-encoded path segment: traversal is refused before sending."""
    await clear_log(control)
    text = await kinds.error("read_contact", {"key": key})
    assert "refused the request, nothing was sent" in text
    assert await request_log(control) == []


async def test_api_call_path_value_with_url_syntax_stays_data(
    kinds: Tools, control: httpx.AsyncClient
) -> None:
    """'?', '#' and '/' in a value are encoded: the request asks for that exact key."""
    await clear_log(control)
    text = await kinds.error("read_contact", {"key": "C-000001?fields=Id#x/y"})
    assert "404" in text or "NOT_FOUND" in text
    [entry] = await request_log(control)
    assert entry["path"] == f"{API}/sobjects/Contact/External_Id__c/C-000001?fields=Id#x/y"
    assert entry["query"] == ""


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("new_lead", {"lastName": "x", "company": "y", "rating": "Hot", "employees": 3}),
        ("find_opportunities", {"prefix": "x", "stage": "Prospecting", "minimum": 1}),
        ("set_contact_phone", {"phone": "5550100"}),
        ("add_leads", {"records": [{"lastName": "x", "company": "y"}]}),
        ("open_case", {}),
    ],
)
async def test_a_missing_variable_is_refused_with_nothing_sent(
    kinds: Tools, control: httpx.AsyncClient, tool: str, arguments: dict[str, Any]
) -> None:
    """Without a required variable the call fails before any request, naming it."""
    await clear_log(control)
    result = await kinds.call(tool, arguments)
    assert result.is_error
    assert "required" in str(result.content).lower()
    assert await request_log(control) == []
