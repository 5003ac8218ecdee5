"""The app answers the versions resource and refuses data calls without a session."""

from __future__ import annotations

import httpx

from tests.conftest import API


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
