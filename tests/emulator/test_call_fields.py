"""Fields a call needs: the opt-outs of Contact and Lead (DoNotCall, HasOptedOutOfEmail,
HasOptedOutOfFax) and Task's call fields — described as a real org describes them, and
writable."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from tests.helpers.emulator import API, create, get_record
from tests.helpers.oracles import load

OPT_OUTS = ("DoNotCall", "HasOptedOutOfEmail", "HasOptedOutOfFax")


async def described(client: httpx.AsyncClient, sobject: str) -> dict[str, dict[str, Any]]:
    """The fields of ``sobject``'s describe, by name."""
    response = await client.get(f"{API}/sobjects/{sobject}/describe")
    assert response.status_code == 200
    return {field["name"]: field for field in response.json()["fields"]}


@pytest.mark.parametrize("sobject", ["Contact", "Lead"])
async def test_opt_outs_are_described_as_in_a_real_org(
    client: httpx.AsyncClient, sobject: str
) -> None:
    """Each opt-out is the real describe's field (a Person Account shows Contact's own fields
    as Person*): a checkbox, createable, updateable, defaulted false, not nillable."""
    person = load("describe/Account_PersonAccountsEnabled.cumulusci.json")
    real = {field["name"]: field for field in person["fields"]}
    fields = await described(client, sobject)
    for name in OPT_OUTS:
        assert fields[name] == {**real[f"Person{name}"], "name": name}
        expected = {"type": "boolean", "createable": True, "updateable": True, "nillable": False}
        expected |= {"defaultedOnCreate": True, "defaultValue": False}
        assert {key: fields[name][key] for key in expected} == expected


async def test_opt_outs_default_to_false_and_are_writable(client: httpx.AsyncClient) -> None:
    """A new contact has every opt-out false; they can be set on create and by update, and
    filtered in SOQL."""
    plain = await get_record(client, "Contact", await create(client, "Contact", {"LastName": "Ng"}))
    assert [plain[name] for name in OPT_OUTS] == [False, False, False]
    lead_id = await create(
        client, "Lead", {"LastName": "Vance", "Company": "Vance Farms", "DoNotCall": True}
    )
    response = await client.patch(
        f"{API}/sobjects/Lead/{lead_id}", json={"HasOptedOutOfEmail": True}
    )
    assert response.status_code == 204
    lead = await get_record(client, "Lead", lead_id)
    assert [lead[name] for name in OPT_OUTS] == [True, True, False]
    query = "SELECT Id FROM Lead WHERE DoNotCall = true AND HasOptedOutOfEmail = true"
    found = (await client.get(f"{API}/query", params={"q": query})).json()["records"]
    assert lead_id in [record["Id"] for record in found]


async def test_task_call_fields_are_described(client: httpx.AsyncClient) -> None:
    """Task has the call fields of a logged call, all createable and updateable."""
    fields = await described(client, "Task")
    types = {
        "CallObject": "string",
        "CallType": "picklist",
        "CallDurationInSeconds": "int",
        "CallDisposition": "string",
        "ActivityDate": "date",
        "Status": "picklist",
        "Subject": "combobox",
        "WhoId": "reference",
        "WhatId": "reference",
    }
    for name, kind in types.items():
        field = fields[name]
        assert (field["type"], field["createable"], field["updateable"]) == (kind, True, True)
    call_type = fields["CallType"]
    assert call_type["restrictedPicklist"] is True
    assert {value["value"] for value in call_type["picklistValues"]} == {
        "Inbound",
        "Outbound",
        "Internal",
    }
    assert set(fields["WhoId"]["referenceTo"]) == {"Contact", "Lead"}


async def test_a_call_is_logged_as_a_task(client: httpx.AsyncClient) -> None:
    """A completed inbound call with its telephony id, duration and disposition; CallType is a
    restricted picklist."""
    who = await create(client, "Contact", {"LastName": "Caller"})
    call = {
        "WhoId": who,
        "Subject": "Call",
        "Status": "Completed",
        "ActivityDate": dt.date.today().isoformat(),
        "CallType": "Inbound",
        "CallDurationInSeconds": 95,
        "CallObject": "CA0123456789abcdef",
        "CallDisposition": "Resolved",
    }
    task = await get_record(client, "Task", await create(client, "Task", call))
    assert {name: task[name] for name in call} == call
    response = await client.post(f"{API}/sobjects/Task", json={**call, "CallType": "Voicemail"})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
