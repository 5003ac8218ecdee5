"""sObject Collections answer like the real recordings (tests.helpers.oracles), by shape.

Requests are replayed with the recorded bodies; ids of the recording org's records are swapped
for the demo org's. CumulusCI redacted the version as ``vxx.0``: those are asked at v62.0.
There is no real recording of an ``allOrNone`` rollback: its body is held to the shape of a real
failed item and to the documented message (CONTRACT.md §6).
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.helpers.emulator import is_id18
from tests.helpers.oracles import JSON_CONTENT_TYPE, LIMIT_INFO, assert_same_shape, load

COLLECTIONS = "fixtures/composite_sobjects"
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}


def recording(name: str) -> dict[str, Any]:
    """A collections recording, its request normalised to ``path`` and ``data``."""
    found: dict[str, Any] = load(f"{COLLECTIONS}/{name}")
    request = found["request"]
    if "uri" in request:  # a CumulusCI cassette: host and version redacted
        path = "/services/" + request["uri"].split("/services/", 1)[1]
        request["path"] = path.replace("/vxx.0/", "/v62.0/")
        request["data"] = request["body"]
    return found


def check_answer(real: dict[str, Any], response: httpx.Response) -> list[dict[str, Any]]:
    """Status, content type, limit info, one result per record and each result's shape."""
    assert response.status_code == real["status"] == 200
    headers = real["headers"]
    if isinstance(headers, dict) and "content-type" in headers:  # Nango: every header
        assert response.headers["content-type"] == headers["content-type"]
        assert LIMIT_INFO.match(headers["sforce-limit-info"])
    else:  # CumulusCI kept only Content-Type
        assert [response.headers["content-type"]] == headers["Content-Type"]
    assert LIMIT_INFO.match(response.headers["sforce-limit-info"])
    ours: list[dict[str, Any]] = response.json()
    assert len(ours) == len(real["body"])
    assert_same_shape(real["body"], ours)
    assert [list(item) for item in ours] == [list(item) for item in real["body"]]
    return ours


async def ids_of(client: httpx.AsyncClient, soql: str) -> list[str]:
    """The ids a query finds."""
    body = (await client.get("/services/data/v62.0/query", params={"q": soql})).json()
    return [record["Id"] for record in body["records"]]


# --- create and update ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["cumulusci__create_collection.json", "nango__create_collection_v63_200.json"]
)
async def test_create_matches_recording(client: httpx.AsyncClient, name: str) -> None:
    """POST /composite/sobjects answers 200 and one {id, success, errors} per record, in order."""
    recorded = recording(name)
    request = recorded["request"]
    response = await client.post(request["path"], json=request["data"])
    ours = check_answer(recorded["response"], response)
    assert all(is_id18(item["id"], "001") for item in recorded["response"]["body"])
    assert all(is_id18(item["id"], "001") for item in ours)
    names = [record["Name"] for record in request["data"]["records"]]
    for item, record_name in zip(ours, names, strict=True):
        record = (await client.get(f"/services/data/v62.0/sobjects/Account/{item['id']}")).json()
        assert record["Name"] == record_name


async def test_update_matches_recording(client: httpx.AsyncClient) -> None:
    """PATCH /composite/sobjects answers each record's id in order and saves the changes."""
    created = recording("cumulusci__create_collection.json")["request"]
    response = await client.post(created["path"], json=created["data"])
    new_ids = [item["id"] for item in response.json()]
    recorded = recording("cumulusci__update_collection.json")
    body = copy.deepcopy(recorded["request"]["data"])
    for record, new_id in zip(body["records"], new_ids, strict=True):
        record["Id"] = new_id
    response = await client.patch(recorded["request"]["path"], json=body)
    ours = check_answer(recorded["response"], response)
    assert [item["id"] for item in ours] == new_ids
    record = (await client.get(f"/services/data/v62.0/sobjects/Account/{new_ids[0]}")).json()
    sent = body["records"][0]
    assert record["BillingStreet"] == sent["BillingStreet"]
    assert record["NumberOfEmployees"] == 10000  # sent as the string "10000", as recorded


async def test_update_unknown_id_matches_recording(client: httpx.AsyncClient) -> None:
    """Updating an unknown id answers exactly the recorded INVALID_CROSS_REFERENCE_KEY item."""
    recorded = recording("nango__update_collection_INVALID_CROSS_REFERENCE_KEY_v59_200.json")
    response = await client.patch(recorded["request"]["path"], json=recorded["request"]["data"])
    ours = check_answer(recorded["response"], response)
    assert ours == recorded["response"]["body"]


# --- upsert ---------------------------------------------------------------------------------


async def test_upsert_created_then_updated_matches_recordings(client: httpx.AsyncClient) -> None:
    """Upserts by Email answer created true, then false for the same emails, as recorded."""
    first = recording("cumulusci__upsert_collection_all_created.json")
    second = recording("cumulusci__upsert_collection_all_updated.json")
    created = check_answer(
        first["response"],
        await client.patch(first["request"]["path"], json=first["request"]["data"]),
    )
    assert [item["created"] for item in created] == [True] * len(created)
    updated = check_answer(
        second["response"],
        await client.patch(second["request"]["path"], json=second["request"]["data"]),
    )
    assert [item["created"] for item in updated] == [
        item["created"] for item in second["response"]["body"]
    ]
    # The updated records are the created ones, as in the recording.
    real_created = {item["id"] for item in first["response"]["body"]}
    ours_created = {item["id"] for item in created}
    assert [item["id"] in ours_created for item in updated] == [
        item["id"] in real_created for item in second["response"]["body"]
    ]
    assert all(is_id18(item["id"], "003") for item in created + updated)


async def test_upsert_by_id_matches_recording(client: httpx.AsyncClient) -> None:
    """Upsert by Id updates the records with an Id and creates those with a null one."""
    recorded = recording("cumulusci__upsert_collection_by_Id_mixed.json")
    body = copy.deepcopy(recorded["request"]["data"])
    existing = await ids_of(client, "SELECT Id FROM Contact ORDER BY Email LIMIT 2")
    given = [record for record in body["records"] if record["Id"] is not None]
    for record, contact_id in zip(given, existing, strict=True):
        record["Id"] = contact_id
    response = await client.patch(recorded["request"]["path"], json=body)
    ours = check_answer(recorded["response"], response)
    assert [item["created"] for item in ours] == [
        item["created"] for item in recorded["response"]["body"]
    ]
    assert [item["id"] for item in ours[:2]] == existing


async def test_upsert_without_attributes_matches_recording(client: httpx.AsyncClient) -> None:
    """A record without attributes answers exactly the recorded per-record JSON_PARSER_ERROR."""
    recorded = recording("nango__upsert_collection_JSON_PARSER_ERROR_v63_200.json")
    response = await client.patch(recorded["request"]["path"], json=recorded["request"]["data"])
    ours = check_answer(recorded["response"], response)
    assert ours == recorded["response"]["body"]


# --- delete ---------------------------------------------------------------------------------


async def test_delete_matches_recording(client: httpx.AsyncClient) -> None:
    """DELETE /composite/sobjects?ids= answers {id, success, errors} per id and deletes."""
    recorded = recording("nango__delete_collection_v66_200.json")
    created = await client.post(
        "/services/data/v66.0/composite/sobjects",
        json={"records": [{"attributes": {"type": "Account"}, "Name": n} for n in ("A", "B")]},
    )
    new_ids = [item["id"] for item in created.json()]
    params = {**recorded["request"]["params"], "ids": ",".join(new_ids)}
    response = await client.delete(recorded["request"]["path"], params=params)
    ours = check_answer(recorded["response"], response)
    assert ours == [{"id": new_id, "success": True, "errors": []} for new_id in new_ids]
    gone = await client.get(f"/services/data/v66.0/sobjects/Account/{new_ids[0]}")
    assert gone.status_code == 404


# --- allOrNone ------------------------------------------------------------------------------


async def test_all_or_none_rollback_has_real_failure_shape(client: httpx.AsyncClient) -> None:
    """With allOrNone a failure rolls every record back; each item has a real failure's shape."""
    failed = recording("nango__update_collection_INVALID_CROSS_REFERENCE_KEY_v59_200.json")[
        "response"
    ]["body"][0]
    count = "SELECT COUNT() FROM Account"
    before = (await client.get("/services/data/v62.0/query", params={"q": count})).json()
    response = await client.post(
        "/services/data/v62.0/composite/sobjects",
        json={
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Account"}, "Name": "Kept?"},
                {"attributes": {"type": "Account"}},
            ],
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    ours = response.json()
    assert_same_shape([failed, failed], ours)
    assert [list(item) for item in ours] == [list(failed)] * 2
    assert ours[0]["errors"] == [ROLLED_BACK]
    assert ours[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    after = (await client.get("/services/data/v62.0/query", params={"q": count})).json()
    assert after["totalSize"] == before["totalSize"]
