"""What an agent reads of a result: short text, never a dump of the structured content, which
stays whole (the SDK client checks it against each tool's output schema on every call here)."""

from __future__ import annotations

import json
import re

import httpx

from tests.helpers.demo_org import clear_log, request_log
from tests.helpers.org_records import unique
from tests.helpers.tool_calls import Tools, text_of

FIVE_CONTACTS = (
    "SELECT Id, FirstName, LastName, Email, Phone FROM Contact ORDER BY LastName LIMIT 5"
)
#: Five-row queries: the first's text measured 503 characters as indented JSON; the second is
#: the one bench/transport.py measures.
FIVE_ACCOUNTS = (
    "SELECT Id, Name FROM Account LIMIT 5",
    "SELECT Id, Name, Industry, Phone FROM Account ORDER BY Name LIMIT 5",
)


def assert_compact(text: str) -> None:
    """No indentation, no Salesforce attributes, no nulls, no links."""
    assert "\n " not in text
    assert "attributes" not in text
    assert "null" not in text
    assert "http" not in text


async def test_query_rows_read_as_a_table(tools: Tools) -> None:
    """A header of field names, then one line per record, | between values."""
    result = await tools.call("run_query", {"soql": FIVE_CONTACTS})
    text = text_of(result)
    lines = text.splitlines()
    assert lines[0] == "Id|FirstName|LastName|Email|Phone"
    records = result.structured_content["records"]  # type: ignore[index]
    assert len(lines) == 1 + len(records) == 6
    for line, record in zip(lines[1:], records, strict=True):
        assert line == "|".join(record[name] or "" for name in lines[0].split("|"))
    assert_compact(text)


async def test_five_rows_are_few_characters(tools: Tools) -> None:
    """Five accounts take at most 450 characters (503 as indented JSON); five contacts with
    five fields little more than their values themselves."""
    for soql in FIVE_ACCOUNTS:
        accounts = await tools.call("run_query", {"soql": soql})
        assert len(text_of(accounts)) <= 450, soql
    contacts = await tools.call("run_query", {"soql": FIVE_CONTACTS})
    records = contacts.structured_content["records"]  # type: ignore[index]
    values = sum(len(str(value)) for record in records for value in record.values())
    assert len(text_of(contacts)) <= values + 60  # the header, separators and line breaks


async def test_parents_children_and_odd_text_stay_readable(tools: Tools) -> None:
    """A parent's fields are Account.Name columns, a child subquery one JSON cell, and text
    holding the separator is quoted; the structured content keeps the nesting."""
    result = await tools.call(
        "run_query",
        {
            "soql": "SELECT Id, Name, Account.Name, (SELECT Subject FROM Cases) FROM Contact "
            "WHERE Email = 'ana@example.com'"
        },
    )
    header, row = text_of(result).splitlines()[:2]
    assert header == "Id|Name|Account.Name|Cases"
    [record] = result.structured_content["records"]  # type: ignore[index]
    assert record["Account"]["Name"] in row
    assert "attributes" not in json.dumps(record)
    name = unique('Pipe | and quote "')
    created = await tools.ok("create_record", {"object": "Account", "data": {"Name": name}})
    soql = f"SELECT Id, Name FROM Account WHERE Id = '{created['id']}'"  # noqa: S608 - an id
    found = await tools.call("run_query", {"soql": soql})
    assert text_of(found).splitlines()[1] == f"{created['id']}|{json.dumps(name)}"


async def test_more_rows_say_how_to_go_on(tools: Tools) -> None:
    """A page with rows left gives the count and the cursor; the next page follows it."""
    first = await tools.call("run_query", {"soql": "SELECT Id FROM Contact", "max_records": 3})
    structured = first.structured_content
    assert structured is not None
    last = text_of(first).splitlines()[-1]
    assert last.startswith(f"3 of {structured['total_size']} rows.")
    assert last.endswith(f"cursor {structured['next_page']}")
    counted = await tools.call("run_query", {"soql": "SELECT COUNT() FROM Contact"})
    assert text_of(counted) == f"Count: {counted.structured_content['total_size']}"  # type: ignore[index]
    none = await tools.call("run_query", {"soql": "SELECT Id FROM Contact WHERE Name = 'x'"})
    assert text_of(none) == "No rows."


async def test_describe_object_lists_writable_fields_briefly(tools: Tools) -> None:
    """Account: a line per writable field (name, * when required, type, length, picklist
    values, lookup target), read-only ones by name; at most 4,000 characters."""
    result = await tools.call("describe_object", {"object": "Account"})
    text = text_of(result)
    assert len(text) <= 4_000
    lines = text.splitlines()
    assert lines[0].startswith("Account, ids start 001.")
    assert "Name*: string(255)" in lines
    assert "ParentId: id of Account" in lines
    assert any(line.startswith("Type: picklist Prospect|Customer - Direct|") for line in lines)
    industry = next(line for line in lines if line.startswith("Industry: "))
    assert industry.endswith("|+22 more")
    assert lines[-1].startswith("Read-only: Id, IsDeleted,")
    assert "CreatedDate" in lines[-1]
    structured = result.structured_content
    assert structured is not None
    fields = {field["name"]: field for field in structured["fields"]}
    assert "CreatedDate" not in fields
    assert "CreatedDate" in structured["read_only_fields"]
    assert len(fields["Industry"]["picklist_values"]) == 32
    assert_compact(text)


async def test_describe_object_gives_named_fields_in_full(tools: Tools) -> None:
    """fields names fields (any case, read-only ones too): label, permissions, every value."""
    result = await tools.call(
        "describe_object", {"object": "Account", "fields": ["industry", "CreatedDate"]}
    )
    heading, industry, created = text_of(result).splitlines()
    assert heading == "Account, ids start 001."
    assert industry.startswith("Industry: picklist Agriculture|Apparel|")
    assert industry.endswith('label "Industry"; optional; create and update')
    assert "+" not in industry.split(";")[0]  # all 32 values
    assert created == 'CreatedDate: datetime; label "Created Date"; read-only'
    structured = result.structured_content
    assert structured is not None
    assert [field["name"] for field in structured["fields"]] == ["Industry", "CreatedDate"]
    assert structured["read_only_fields"] == []


async def test_describe_object_names_a_field_it_does_not_have(tools: Tools) -> None:
    """A misspelt field is an error with the close names; nothing else is described."""
    text = await tools.error("describe_object", {"object": "Contact", "fields": ["Emial"]})
    assert "Contact has no field 'Emial' (did you mean Email" in text


async def test_a_warm_describe_answers_the_same_without_a_request(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """The second describe of an object sends nothing and says exactly the same."""
    first = await tools.call("describe_object", {"object": "Lead"})
    await clear_log(control)
    second = await tools.call("describe_object", {"object": "Lead"})
    assert await request_log(control) == []
    assert text_of(second) == text_of(first)
    assert second.structured_content == first.structured_content


async def test_every_generic_tool_answers_in_short_text(tools: Tools) -> None:
    """Each tool's text is a line or a table, not its structured content: writes say what
    they did with the id, a bulk write a line per record, a REST call its status and body."""
    name = unique("Text")
    created = await tools.call(
        "create_record", {"object": "Lead", "data": {"LastName": name, "Company": "Acme"}}
    )
    lead = created.structured_content["id"]  # type: ignore[index]
    assert text_of(created) == f"Created Lead {lead}"
    updated = await tools.call(
        "update_record", {"object": "Lead", "id": lead, "data": {"Title": "CEO"}}
    )
    assert text_of(updated) == f"Updated Lead {lead}"
    key = unique("T-")
    upserted = await tools.call(
        "upsert_record",
        {
            "object": "Lead",
            "external_id_field": "External_Id__c",
            "data": {"External_Id__c": key, "LastName": name, "Company": "Acme"},
        },
    )
    assert text_of(upserted).startswith("Created Lead 00Q")
    bulk = await tools.call(
        "bulk_write",
        {
            "object": "Lead",
            "operation": "insert",
            "records": [{"LastName": name, "Company": "Acme"}, {"LastName": name, "Email": "x"}],
        },
    )
    lines = text_of(bulk).splitlines()
    assert lines[0] == "1 saved, 1 failed."
    assert lines[1].startswith("1: failed: Email: ")
    assert lines[2].startswith("0: created 00Q")
    api = await tools.call(
        "custom_api_call",
        {"method": "GET", "endpoint": f"/services/data/v62.0/sobjects/Lead/{lead}"},
    )
    status, body = text_of(api).split("\n", 1)
    assert status == "HTTP 200"
    assert json.loads(body)["LastName"] == name
    connections = await tools.call("connection_status", {})
    assert re.fullmatch(
        r"demo: connected, production, default, user demo@callforce\.dev, "
        r"API \d{1,3}(,\d{3})* of 15,000 daily requests used",
        text_of(connections),
    )
    for result in (created, updated, upserted, bulk, api, connections):
        assert not result.is_error
        assert_compact(text_of(result))
