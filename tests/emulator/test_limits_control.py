"""``/_emulator/limits``: the daily API count and allowance, read and set by tests, and what a data
request meets at the limit (403 REQUEST_LIMIT_EXCEEDED, not counted, no Sforce-Limit-Info)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from emulator.org import Org
from tests.helpers.emulator import API

LIMITS = "/_emulator/limits"
REFUSAL = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


async def test_the_count_moves_with_each_data_request(client: httpx.AsyncClient) -> None:
    """GET shows the count and allowance; a data request adds one, control requests none."""
    assert (await client.get(LIMITS)).json() == {"api_requests": 0, "api_request_limit": 15000}
    answer = await client.get(f"{API}/sobjects")
    assert answer.headers["sforce-limit-info"] == "api-usage=1/15000"
    assert (await client.get(LIMITS)).json() == {"api_requests": 1, "api_request_limit": 15000}


async def test_setting_the_count_drives_the_org_to_its_limit(
    client: httpx.AsyncClient, org: Org
) -> None:
    """Set one short of the allowance: the next request is the last served, the one after is
    refused 403 REQUEST_LIMIT_EXCEEDED, without the header and without being counted."""
    answer = await client.post(LIMITS, json={"api_requests": 14_999})
    assert answer.status_code == 200
    assert answer.json() == {"api_requests": 14_999, "api_request_limit": 15000}
    last = await client.get(f"{API}/limits")
    assert last.status_code == 200
    assert last.headers["sforce-limit-info"] == "api-usage=15000/15000"
    assert last.json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 0}
    refused = await client.get(f"{API}/limits")
    assert refused.status_code == 403
    assert refused.json() == REFUSAL
    assert "sforce-limit-info" not in refused.headers
    assert org.api_requests == 15000


async def test_setting_the_allowance(client: httpx.AsyncClient) -> None:
    """The allowance alone, then both: the header, /limits and the refusal follow it."""
    await client.get(f"{API}/sobjects")
    answer = await client.post(LIMITS, json={"api_request_limit": 3})
    assert answer.json() == {"api_requests": 1, "api_request_limit": 3}
    served = await client.get(f"{API}/limits")
    assert served.headers["sforce-limit-info"] == "api-usage=2/3"
    assert served.json()["DailyApiRequests"] == {"Max": 3, "Remaining": 1}
    both = await client.post(LIMITS, json={"api_requests": 3, "api_request_limit": 3})
    assert both.json() == {"api_requests": 3, "api_request_limit": 3}
    assert (await client.get(f"{API}/sobjects")).status_code == 403
    await client.post(LIMITS, json={"api_request_limit": 4})
    assert (await client.get(f"{API}/sobjects")).headers["sforce-limit-info"] == "api-usage=4/4"


async def test_a_zero_allowance_refuses_every_data_request(client: httpx.AsyncClient) -> None:
    """An allowance of 0 is accepted: the first data request is refused already."""
    await client.post(LIMITS, json={"api_request_limit": 0})
    refused = await client.get(f"{API}/sobjects")
    assert refused.status_code == 403
    assert refused.json() == REFUSAL


@pytest.mark.parametrize(
    "body",
    [
        {"api_requests": -1},
        {"api_request_limit": -5},
        {"api_requests": "10"},
        {"api_requests": 1.5},
        {"api_requests": True},
        {"api_requests": None},
        {"api_requests": 1, "used": 2},
        {},
        [1, 2],
        "12",
    ],
)
async def test_anything_but_non_negative_integers_is_refused(
    client: httpx.AsyncClient, body: Any
) -> None:
    """400 with the reason, and neither number changes (not even a valid one sent beside)."""
    answer = await client.post(LIMITS, json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]
    assert (await client.get(LIMITS)).json() == {"api_requests": 0, "api_request_limit": 15000}


async def test_a_body_that_is_not_json_is_refused(client: httpx.AsyncClient) -> None:
    """A malformed body is a 400, not a server error."""
    answer = await client.post(
        LIMITS, content=b"{api_requests: 1", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400


async def test_a_partly_invalid_body_sets_nothing(client: httpx.AsyncClient) -> None:
    """A valid count beside an invalid allowance is not applied either."""
    answer = await client.post(LIMITS, json={"api_requests": 10, "api_request_limit": -1})
    assert answer.status_code == 400
    assert (await client.get(LIMITS)).json() == {"api_requests": 0, "api_request_limit": 15000}


async def test_reset_restores_the_count_and_the_configured_allowance(
    client: httpx.AsyncClient,
) -> None:
    """After /_emulator/reset the count is 0 and the allowance the configured one again."""
    await client.post(LIMITS, json={"api_requests": 7, "api_request_limit": 7})
    assert (await client.post("/_emulator/reset")).status_code == 204
    assert (await client.get(LIMITS)).json() == {"api_requests": 0, "api_request_limit": 15000}
