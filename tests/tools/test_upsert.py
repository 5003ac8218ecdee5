"""upsert_record: created vs updated, the external id as one path segment, several matches."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.demo_org import API, clear_log, request_log
from tests.helpers.org_records import read_record, unique
from tests.helpers.tool_calls import Tools


async def test_upsert_creates_then_updates(tools: Tools, reader: httpx.AsyncClient) -> None:
    """The first upsert creates the record, the second updates the same one."""
    key = unique("L-")
    data = {"External_Id__c": key, "LastName": "Ito", "Company": "Acme", "Rating": "cold"}
    first = await tools.ok(
        "upsert_record", {"object": "Lead", "external_id_field": "External_Id__c", "data": data}
    )
    assert first["created"] is True
    second = await tools.ok(
        "upsert_record",
        {
            "object": "Lead",
            "external_id_field": "external_id__c",
            "data": {"external_id__c": key, "Rating": "Warm"},
        },
    )
    assert second["created"] is False
    assert second["id"] == first["id"]
    lead = await read_record(reader, "Lead", first["id"])
    assert (lead["External_Id__c"], lead["Rating"], lead["LastName"]) == (key, "Warm", "Ito")


async def test_upsert_updates_the_seeded_lead(tools: Tools) -> None:
    """The demo org's L-000001 is found and updated, not duplicated."""
    result = await tools.ok(
        "upsert_record",
        {
            "object": "Lead",
            "external_id_field": "External_Id__c",
            "data": {"External_Id__c": "L-000001", "Title": "Buyer"},
        },
    )
    assert result["created"] is False
    found = await tools.ok(
        "run_query", {"soql": "SELECT Id, Title FROM Lead WHERE External_Id__c = 'L-000001'"}
    )
    assert found["records"] == [{"Id": result["id"], "Title": "Buyer"}]


@pytest.mark.parametrize(
    "raw",
    ["a/b", "what?x=1", "#hash", "100%", "50%2F", "two words", "..", ".", "../limits", "a/../b"],
)
async def test_external_id_values_stay_one_value(
    tools: Tools, reader: httpx.AsyncClient, control: httpx.AsyncClient, raw: str
) -> None:
    """Slashes, '?', '#', '%', spaces and dots are data: the record holds exactly the value."""
    key = f"{raw}-{unique()}" if raw not in (".", "..") else raw
    data = {"External_Id__c": key, "LastName": "Path", "Company": "Encoding"}
    arguments = {"object": "Lead", "external_id_field": "External_Id__c", "data": data}
    await tools.ok("describe_object", {"object": "Lead"})
    await clear_log(control)
    first = await tools.ok("upsert_record", arguments)
    again = await tools.ok("upsert_record", arguments)
    assert again["id"] == first["id"]
    assert again["created"] is False
    lead = await read_record(reader, "Lead", first["id"])
    assert lead["External_Id__c"] == key
    writes = [e for e in await request_log(control) if e["method"] == "PATCH"]
    assert len(writes) == 2
    for entry in writes:  # never a request anywhere but an upsert of Lead
        assert entry["path"].startswith(
            (
                f"{API}/sobjects/Lead/External_Id__c/",
                f"{API}/composite/sobjects/Lead/External_Id__c",
            )
        )


async def test_several_matches_list_their_ids(tools: Tools, reader: httpx.AsyncClient) -> None:
    """An Email shared by two contacts is a clear error naming both ids; nothing is written."""
    email = f"{unique('twin')}@example.com"
    ids = []
    for name in ("One", "Two"):
        created = await tools.ok(
            "create_record", {"object": "Contact", "data": {"LastName": name, "Email": email}}
        )
        ids.append(created["id"])
    text = await tools.error(
        "upsert_record",
        {"object": "Contact", "external_id_field": "Email", "data": {"Email": email, "Title": "x"}},
    )
    assert "Several Contact records" in text
    for record_id in ids:
        assert record_id in text
        assert (await read_record(reader, "Contact", record_id))["Title"] is None


async def test_a_field_that_is_not_an_external_id_is_refused(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """Upserting by an ordinary field is refused before any write, naming the usable ones."""
    await tools.ok("describe_object", {"object": "Lead"})
    await clear_log(control)
    text = await tools.error(
        "upsert_record",
        {
            "object": "Lead",
            "external_id_field": "LastName",
            "data": {"LastName": "x", "Company": "y"},
        },
    )
    assert "LastName" in text
    assert "External_Id__c" in text
    assert await request_log(control) == []


async def test_the_external_id_value_is_required(tools: Tools) -> None:
    """data without the external id field's value is refused."""
    text = await tools.error(
        "upsert_record",
        {"object": "Lead", "external_id_field": "External_Id__c", "data": {"LastName": "x"}},
    )
    assert "External_Id__c" in text
    assert "must have a value" in text
