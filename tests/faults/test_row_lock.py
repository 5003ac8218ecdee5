"""Item 7: UNABLE_TO_LOCK_ROW on a write. Salesforce wrote nothing when it says this, so the
write is sent once more within the deadline; if the row stays locked the agent hears that
nothing was written and calling again is safe."""

from __future__ import annotations

import httpx

from tests.helpers.demo_org import API, add_fault, clear_log, request_log
from tests.helpers.org_records import unique
from tests.helpers.tool_calls import Tools

LOCKED = [
    {
        "errorCode": "UNABLE_TO_LOCK_ROW",
        "message": "unable to obtain exclusive access to this record or 1 records",
    }
]


def _named(name: str) -> str:
    return f"SELECT Id FROM Contact WHERE LastName = '{name}'"  # noqa: S608 - a hex tag


async def test_a_locked_row_is_tried_once_more(tools: Tools, control: httpx.AsyncClient) -> None:
    """The first create meets a locked row; the second one saves the record."""
    await add_fault(
        control, method="POST", path=f"{API}/sobjects/Contact", status=400, body=LOCKED, times=1
    )
    await clear_log(control)
    name = unique("Locked")
    created = await tools.ok("create_record", {"object": "Contact", "data": {"LastName": name}})
    posts = [e for e in await request_log(control) if e["method"] == "POST"]
    assert len(posts) == 2
    found = await tools.ok("run_query", {"soql": _named(name)})
    assert [row["Id"] for row in found["records"]] == [created["id"]]


async def test_a_row_that_stays_locked_is_safe_to_try_again(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """Locked twice: the agent hears that nothing was written and that calling again is safe."""
    await add_fault(
        control, method="POST", path=f"{API}/sobjects/Contact", status=400, body=LOCKED, times=2
    )
    name = unique("Locked")
    text = await tools.error("create_record", {"object": "Contact", "data": {"LastName": name}})
    assert "UNABLE_TO_LOCK_ROW" in text
    assert "Nothing was written; it is safe to call again." in text
    found = await tools.ok("run_query", {"soql": _named(name)})
    assert found["records"] == []
