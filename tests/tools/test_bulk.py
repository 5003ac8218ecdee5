"""bulk_write: one result per record in order, nothing dropped, all_or_none kept honest."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.demo_org import API, add_fault, clear_log, request_log
from tests.helpers.org_records import read_record, unique
from tests.helpers.tool_calls import Tools

BAD = {
    7: {"NumberOfEmployees": "lots"},
    205: {"Email": "not-an-email"},
    433: {"IsUnreadByOwner": "maybe"},
}


def _leads(
    tag: str, count: int, bad: dict[int, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Leads named after ``tag``; those at the indexes of ``bad`` get its invalid values."""
    records = []
    for index in range(count):
        record: dict[str, Any] = {
            "LastName": f"{tag}-{index}",
            "Company": tag,
            "NumberOfEmployees": f"{index:,}",
        }
        record.update((bad or {}).get(index, {}))
        records.append(record)
    return records


def _collection_writes(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in log if e["path"].startswith(f"{API}/composite/sobjects")]


async def test_450_records_with_a_few_bad_ones(
    tools: Tools, control: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    """Bad records are reported and not sent; the rest are saved; results follow the input."""
    tag = unique("bulk-")
    await tools.ok("describe_object", {"object": "Lead"})
    await clear_log(control)
    result = await tools.ok(
        "bulk_write", {"object": "Lead", "operation": "insert", "records": _leads(tag, 450, BAD)}
    )
    results = result["results"]
    assert [entry["index"] for entry in results] == list(range(450))
    assert (result["succeeded"], result["failed"]) == (447, 3)
    for index, entry in enumerate(results):
        if index in BAD:
            assert entry["success"] is False
            assert entry["id"] is None
            assert entry["errors"][0]["code"] == "INVALID_VALUE"
            assert entry["errors"][0]["fields"] == list(BAD[index])
        else:
            assert entry["success"] is True, entry
            assert entry["created"] is True, entry
            assert entry["errors"] == []
    writes = _collection_writes(await request_log(control))
    assert len(writes) == 3  # 447 valid records: 200 + 200 + 47
    saved = await tools.ok(
        "run_query",
        {"soql": f"SELECT COUNT() FROM Lead WHERE Company = '{tag}'"},  # noqa: S608 - test SOQL, the value is a hex tag
    )
    assert saved["total_size"] == 447
    record = await read_record(reader, "Lead", results[321]["id"])
    assert (record["LastName"], record["NumberOfEmployees"]) == (f"{tag}-321", 321)


async def test_salesforce_rejections_are_reported_per_record(tools: Tools) -> None:
    """A record Salesforce refuses keeps its own error; its neighbours are saved."""
    tag = unique("dup-")
    records = [
        {"LastName": "a", "Company": tag, "External_Id__c": tag},
        {"LastName": "b", "Company": tag, "External_Id__c": tag},
        {"LastName": "c", "Company": tag},
    ]
    result = await tools.ok(
        "bulk_write", {"object": "Lead", "operation": "insert", "records": records}
    )
    assert [entry["success"] for entry in result["results"]] == [True, False, True]
    assert result["results"][1]["errors"][0]["code"] == "DUPLICATE_VALUE"


async def test_all_or_none_over_200_records_is_refused(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """all_or_none with more than one request's worth of records is refused; nothing is sent."""
    await clear_log(control)
    text = await tools.error(
        "bulk_write",
        {
            "object": "Lead",
            "operation": "insert",
            "records": _leads(unique(), 201),
            "all_or_none": True,
        },
    )
    assert "all_or_none works for at most 200 records" in text
    assert "Nothing was sent" in text
    assert await request_log(control) == []


async def test_all_or_none_with_an_invalid_record_sends_nothing(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """One record failing coercion under all_or_none holds back every record."""
    await tools.ok("describe_object", {"object": "Lead"})
    await clear_log(control)
    records = _leads(unique(), 10)
    records[3]["NumberOfEmployees"] = "many"
    result = await tools.ok(
        "bulk_write",
        {"object": "Lead", "operation": "insert", "records": records, "all_or_none": True},
    )
    assert (result["succeeded"], result["failed"]) == (0, 10)
    assert result["results"][3]["errors"][0]["code"] == "INVALID_VALUE"
    assert {r["errors"][0]["code"] for i, r in enumerate(result["results"]) if i != 3} == {
        "NOT_SENT"
    }
    assert await request_log(control) == []


async def test_all_or_none_rolls_back_on_a_salesforce_failure(tools: Tools) -> None:
    """Salesforce's own rejection under all_or_none saves none of the records."""
    tag = unique("aon-")
    records = [
        {"LastName": "a", "Company": tag, "External_Id__c": tag},
        {"LastName": "b", "Company": tag, "External_Id__c": tag},
    ]
    result = await tools.ok(
        "bulk_write",
        {"object": "Lead", "operation": "insert", "records": records, "all_or_none": True},
    )
    assert result["succeeded"] == 0
    assert result["results"][0]["errors"][0]["code"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    saved = await tools.ok(
        "run_query",
        {"soql": f"SELECT COUNT() FROM Lead WHERE Company = '{tag}'"},  # noqa: S608 - test SOQL, the value is a hex tag
    )
    assert saved["total_size"] == 0


async def test_bulk_update_and_upsert(tools: Tools, reader: httpx.AsyncClient) -> None:
    """update changes records by Id; upsert creates or updates by external id."""
    tag = unique("upd-")
    inserted = await tools.ok(
        "bulk_write", {"object": "Lead", "operation": "insert", "records": _leads(tag, 3)}
    )
    ids = [entry["id"] for entry in inserted["results"]]
    updated = await tools.ok(
        "bulk_write",
        {
            "object": "Lead",
            "operation": "update",
            "records": [
                {"Id": ids[0], "Rating": "hot"},
                {"id": ids[1][:15], "Title": "CEO"},
                {"Title": "x"},
            ],
        },
    )
    assert [entry["success"] for entry in updated["results"]] == [True, True, False]
    assert updated["results"][1]["id"] == ids[1]
    assert "Id is missing" in updated["results"][2]["errors"][0]["message"]
    assert (await read_record(reader, "Lead", ids[0]))["Rating"] == "Hot"
    key = unique("X-")
    upserted = await tools.ok(
        "bulk_write",
        {
            "object": "Lead",
            "operation": "upsert",
            "external_id_field": "external_id__c",
            "records": [
                {"External_Id__c": "L-000001", "Title": "Director"},
                {"External_Id__c": key, "LastName": "New", "Company": tag},
            ],
        },
    )
    assert [entry["created"] for entry in upserted["results"]] == [False, True]


async def test_upsert_needs_an_external_id_field(tools: Tools) -> None:
    """operation upsert without external_id_field is refused."""
    text = await tools.error(
        "bulk_write", {"object": "Lead", "operation": "upsert", "records": [{"LastName": "x"}]}
    )
    assert "external_id_field" in text


async def test_a_failed_request_marks_each_of_its_records(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """When a whole request fails, each of its records says why; the others are saved."""
    await tools.ok("describe_object", {"object": "Lead"})
    await add_fault(
        control,
        method="POST",
        path=f"{API}/composite/sobjects",
        status=503,
        body=[{"message": "down", "errorCode": "SERVER_UNAVAILABLE"}],
        times=1,
    )
    result = await tools.ok(
        "bulk_write", {"object": "Lead", "operation": "insert", "records": _leads(unique(), 250)}
    )
    assert len(result["results"]) == 250
    failed = [entry for entry in result["results"] if not entry["success"]]
    assert {entry["errors"][0]["code"] for entry in failed} == {"SERVER_UNAVAILABLE"}
    assert len(failed) in (200, 50)  # whichever chunk met the fault
    assert result["failed"] == len(failed)
    assert result["succeeded"] == 250 - len(failed)


async def test_progress_is_reported_when_asked(tools: Tools) -> None:
    """A caller that asks for progress hears after each request, up to the total."""
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    await tools.ok(
        "bulk_write",
        {"object": "Lead", "operation": "insert", "records": _leads(unique(), 420, BAD)},
        progress_callback=on_progress,
    )
    assert seen
    assert seen[-1] == (418, 418)  # 420 less the two invalid ones below 420
    assert [progress for progress, _ in seen] == sorted(progress for progress, _ in seen)
