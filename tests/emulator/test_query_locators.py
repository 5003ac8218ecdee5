"""Query locators read from any row: ``<locator>-<n>`` for n below the result's size."""

from __future__ import annotations

import httpx

from tests.helpers.emulator import API

_BATCH_200 = {"Sforce-Query-Options": "batchSize=200"}


async def _first_batch(client: httpx.AsyncClient) -> dict[str, object]:
    for chunk in range(2):  # 300 more: 450 in all
        more = [
            {"attributes": {"type": "Contact"}, "LastName": f"Located {chunk}-{n}"}
            for n in range(150)
        ]
        created = await client.post(f"{API}/composite/sobjects", json={"records": more})
        assert created.status_code == 200
    response = await client.get(
        f"{API}/query", params={"q": "SELECT Id FROM Contact ORDER BY Id"}, headers=_BATCH_200
    )
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


async def test_a_locator_reads_from_any_offset_of_its_snapshot(client: httpx.AsyncClient) -> None:
    """``<locator>-150`` answers rows 150 on (a batch), even inside the first batch."""
    first = await _first_batch(client)
    rows = first["records"]
    assert isinstance(rows, list)
    assert len(rows) == 200
    locator = str(first["nextRecordsUrl"]).rsplit("-", 1)[0]
    inside = (await client.get(f"{locator}-150")).json()
    assert inside["records"][:50] == rows[150:]
    assert inside["totalSize"] == first["totalSize"]
    assert len(inside["records"]) == 200
    assert inside["nextRecordsUrl"] == f"{locator}-350"


async def test_an_offset_past_the_end_is_an_invalid_locator(client: httpx.AsyncClient) -> None:
    """At or past the result's size, the locator is INVALID_QUERY_LOCATOR."""
    first = await _first_batch(client)
    locator = str(first["nextRecordsUrl"]).rsplit("-", 1)[0]
    response = await client.get(f"{locator}-{first['totalSize']}")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
