"""The app answers the versions resource and refuses data calls without a session."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.helpers.emulator import API


async def test_versions_need_no_auth(anon_client: httpx.AsyncClient) -> None:
    """GET /services/data lists v31.0…v66.0 without auth and without Sforce-Limit-Info."""
    response = await anon_client.get("/services/data")
    assert response.status_code == 200
    body = response.json()
    assert body[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    assert body[-1]["label"] == "Spring '26"
    assert "sforce-limit-info" not in response.headers


async def test_data_call_without_token_is_401(anon_client: httpx.AsyncClient) -> None:
    """A data call without a bearer token gets INVALID_SESSION_ID."""
    response = await anon_client.get(f"{API}/limits")
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


async def test_limits_count_requests(client: httpx.AsyncClient) -> None:
    """Each data call counts against DailyApiRequests and reports Sforce-Limit-Info."""
    first = await client.get(f"{API}/limits")
    second = await client.get(f"{API}/limits")
    assert first.headers["sforce-limit-info"] == "api-usage=1/15000"
    assert second.headers["sforce-limit-info"] == "api-usage=2/15000"
    assert second.json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 14998}


async def test_huge_integer_body_is_a_parser_error(client: httpx.AsyncClient) -> None:
    """A 5,000-digit integer in a collections body is JSON_PARSER_ERROR, never a 500."""
    body = '{"allOrNone": false, "records": [' + "9" * 5000 + "]}"
    response = await client.post(
        f"{API}/composite/sobjects", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_ids_stay_unique_after_a_rolled_back_batch(tmp_path: Path) -> None:
    """A batch that rolls back never makes the store hand out an id it already used."""
    from emulator.schema import load_schema  # noqa: PLC0415 - only this test needs it
    from emulator.store import OrgStore  # noqa: PLC0415

    path = str(tmp_path / "org.sqlite")
    store = OrgStore(load_schema(), path)
    with store.batch() as batch:
        batch.insert("Account", {"Id": store.new_id("Account"), "Name": "kept"})

    def fail_in_batch() -> None:
        with store.batch() as batch:
            batch.insert("Account", {"Id": store.new_id("Account"), "Name": "rolled back"})
            raise RuntimeError("allOrNone failure")

    with pytest.raises(RuntimeError):
        fail_in_batch()
    with store.batch() as batch:
        batch.insert("Account", {"Id": store.new_id("Account"), "Name": "after"})
    store.close()
    reopened = OrgStore(load_schema(), path)
    ids = [r["Id"] for r in reopened.records("Account")]
    fresh = reopened.new_id("Account")
    assert fresh not in ids
    assert len(set(ids)) == len(ids) == 2
