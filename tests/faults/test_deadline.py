"""Item 1: the deadline is the tool call's — describe, renewal, retries and every request share
it — and on expiry the agent hears whether a write may have happened. bulk_write has its own,
longer budget and still gives every record a result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from server.app import build_server
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import API, add_fault, clear_log, request_log
from tests.helpers.org_records import unique
from tests.helpers.tool_calls import Tools, serving


@asynccontextmanager
async def _served(
    settings: Settings, store: SQLiteConnectionStore, **changes: Any
) -> AsyncIterator[Tools]:
    changed = settings.model_copy(update=changes)
    async with serving(build_server(changed, store=store)) as client:
        yield Tools(client, store, changed)


async def test_one_deadline_covers_the_describe_and_the_write(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> None:
    """A slow describe and a slow POST, each under the deadline, together pass it: the call
    ends at the deadline and says the create may have happened."""
    await add_fault(control, method="GET", path=f"{API}/sobjects/Contact/describe", delay_ms=600)
    await add_fault(control, method="POST", path=f"{API}/sobjects/Contact", delay_ms=900)
    async with _served(settings, store, call_deadline_seconds=1.0) as tools:
        text = await tools.error("create_record", {"object": "Contact", "data": {"LastName": "x"}})
    assert "Salesforce did not answer within 1 s." in text
    assert "The create may or may not have happened; check before retrying." in text


async def test_when_time_runs_out_before_the_write_nothing_was_written(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> None:
    """The describe alone uses up the budget: the agent hears that nothing was written, and
    no write reached Salesforce."""
    await clear_log(control)
    await add_fault(control, method="GET", path=f"{API}/sobjects/Lead/describe", delay_ms=1500)
    async with _served(settings, store, call_deadline_seconds=1.0) as tools:
        text = await tools.error(
            "create_record", {"object": "Lead", "data": {"LastName": "x", "Company": "y"}}
        )
    assert "Salesforce did not answer within 1 s. Nothing was written" in text
    assert [e for e in await request_log(control) if e["method"] == "POST"] == []


async def test_bulk_write_has_its_own_longer_budget(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> None:
    """A bulk write slower than the call deadline completes within the bulk deadline."""
    await add_fault(control, method="POST", path=f"{API}/composite/sobjects", delay_ms=800)
    records = [{"LastName": unique("Bulk"), "Company": "Budget"} for _ in range(3)]
    async with _served(
        settings, store, call_deadline_seconds=0.5, bulk_deadline_seconds=5
    ) as tools:
        result = await tools.ok(
            "bulk_write", {"object": "Lead", "operation": "insert", "records": records}
        )
    assert (result["succeeded"], result["failed"]) == (3, 0)


async def test_bulk_write_out_of_time_still_reports_every_record(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> None:
    """When the bulk budget runs out with a batch unanswered, the saved records say so and the
    others say they may or may not have been saved — none is lost from the result."""
    await add_fault(control, method="POST", path=f"{API}/composite/sobjects", times=1)
    await add_fault(control, method="POST", path=f"{API}/composite/sobjects", delay_ms=3000)
    records = [{"LastName": unique("Late"), "Company": "Budget"} for _ in range(250)]
    async with _served(settings, store, bulk_deadline_seconds=1.5) as tools:
        result = await tools.ok(
            "bulk_write", {"object": "Lead", "operation": "insert", "records": records}
        )
    codes = [row["errors"][0]["code"] for row in result["results"] if not row["success"]]
    assert len(result["results"]) == 250
    assert result["succeeded"] in (50, 200)  # whichever batch the slow rule met
    assert codes
    assert set(codes) == {"TIMEOUT"}
