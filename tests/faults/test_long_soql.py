"""Item 5 — long SOQL: run_query's schema takes 100,000 characters, but a query whose URL would
pass Salesforce's 16,384-byte limit on URI + headers must go in the body of a Composite API
request (one API call), not on the URL."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from emulator.ids import to18
from tests.helpers.demo_org import API, clear_log, request_log
from tests.helpers.org_records import insert_many, unique
from tests.helpers.tool_calls import Tools

#: Rows that exist among the ids of the IN list: more than one Salesforce batch (200).
_EXISTING = 260
#: Ids in the IN list, most of them of no record: ~63,000 characters of SOQL.
_IN_LIST = 3000


def _absent_task_ids(count: int) -> list[str]:
    """Well-formed Task ids of no record (a pod no org here uses)."""
    return [to18(f"00T9Z{number:010d}") for number in range(count)]


async def test_a_3000_id_in_list_runs_in_one_request_and_pages(
    tools: Tools, reader: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    """A ~63k-character IN list returns rows in one request; its next page follows the locator."""
    tag = unique("long-soql-")
    existing = await insert_many(
        reader, "Task", [{"Subject": tag, "Status": "Not Started"}] * _EXISTING
    )
    ids = existing + _absent_task_ids(_IN_LIST - _EXISTING)
    in_list = ",".join(f"'{record_id}'" for record_id in ids)
    soql = f"SELECT Id, Subject FROM Task WHERE Id IN ({in_list}) ORDER BY Id"  # noqa: S608 - test SOQL, ids made here
    assert 60_000 < len(soql) <= 100_000

    await clear_log(control)
    first = await tools.ok("run_query", {"soql": soql, "max_records": 200})
    log = await request_log(control)
    assert len(log) == 1, log  # one Salesforce request for the page
    assert log[0]["method"] == "POST"
    assert log[0]["path"] == f"{API}/composite"
    assert first["total_size"] == _EXISTING
    assert len(first["records"]) == 200
    assert first["next_page"] is not None

    await clear_log(control)
    second = await tools.ok(
        "run_query", {"soql": soql, "max_records": 200, "cursor": first["next_page"]}
    )
    log = await request_log(control)
    assert len(log) == 1, log
    assert log[0]["method"] == "GET"
    assert log[0]["path"].startswith(f"{API}/query/")  # the locator, not the query again
    rows = first["records"] + second["records"]
    assert second["done"] is True
    assert sorted(row["Id"] for row in rows) == sorted(existing)


async def test_a_malformed_long_query_reports_salesforces_error(tools: Tools) -> None:
    """A long query Salesforce rejects says why, as a short query would; no internal error."""
    in_list = ",".join(f"'{record_id}'" for record_id in _absent_task_ids(_IN_LIST))
    soql = f"SELECT Id, Nope__c FROM Task WHERE Id IN ({in_list})"  # noqa: S608 - test SOQL, ids made here
    text = await tools.error("run_query", {"soql": soql})
    assert "internal error" not in text
    assert "INVALID_FIELD at row 1, column 12" in text
    assert "No such column 'Nope__c' on entity 'Task'" in text


async def test_the_switch_to_composite_is_at_the_uri_limit_less_room_for_headers(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """A query whose GET target is 12,288 bytes goes as GET; one byte more goes as composite."""
    prefix = f"{API}/query?"
    base = "SELECT Id FROM Task WHERE Subject = '"
    for target_length, method, path in (
        (12_288, "GET", f"{API}/query"),
        (12_289, "POST", f"{API}/composite"),
    ):
        # Letters are encoded as themselves; the rest of base and "'" are counted encoded.
        fixed = len(prefix) + len(urlencode({"q": base + "'"}))
        soql = base + "x" * (target_length - fixed) + "'"
        assert len(prefix) + len(urlencode({"q": soql})) == target_length
        await clear_log(control)
        page = await tools.ok("run_query", {"soql": soql})
        assert page["records"] == []
        assert [(e["method"], e["path"]) for e in await request_log(control)] == [(method, path)]
