"""Write actions survive retries as the generic writes do: within one call a repeat returns the
first result, marked replayed; a read action is asked afresh."""

from __future__ import annotations

from pathlib import Path

import httpx

from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import ACTIONS, OrgAccess, served, write_actions
from tests.helpers.demo_org import API, clear_log, request_log
from tests.helpers.org_records import unique


async def test_a_write_action_retried_in_one_call_writes_once(
    tmp_path: Path,
    settings: Settings,
    store: SQLiteConnectionStore,
    org_access: OrgAccess,
    control: httpx.AsyncClient,
) -> None:
    """new_lead (create) and open_case (api_call POST) replay; read_contact (GET) does not."""
    call = {"meta": {"callforce/call": {"id": unique("call-")}}}
    lead = {
        "lastName": unique(),
        "company": "Acme",
        "rating": "Hot",
        "employees": 3,
        "unread": True,
    }
    case = {"subject": unique("Case-")}
    read = {"key": unique("missing-")}
    async with served(write_actions(tmp_path, ACTIONS), settings, store, org_access) as (tools, _):
        await clear_log(control)
        for name, args in (("new_lead", lead), ("open_case", case)):
            first = await tools.ok(name, args, **call)
            again = await tools.ok(name, args, **call)
            assert again == {**first, "replayed": True}, name
        for _ in range(2):
            assert (await tools.call("read_contact", read, **call)).is_error  # 404, each time
    log = [(e["method"], e["path"]) for e in await request_log(control)]
    assert log.count(("POST", f"{API}/sobjects/Lead")) == 1
    assert log.count(("POST", f"{API}/sobjects/Case")) == 1
    assert sum(method == "GET" and "External_Id__c" in path for method, path in log) == 2
