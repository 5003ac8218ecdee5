"""Searching the emulated org over REST: SOSL through ``/search``, and the names found."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.emulator import API


async def found(client: httpx.AsyncClient, sosl: str) -> list[dict[str, Any]]:
    """The ``searchRecords`` of ``GET /search?q=<sosl>`` (asserting a 200)."""
    response = await client.get(f"{API}/search", params={"q": sosl})
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["searchRecords"]
    return records


async def refused(client: httpx.AsyncClient, sosl: str) -> dict[str, Any]:
    """The one error of ``GET /search?q=<sosl>`` (asserting a 400)."""
    response = await client.get(f"{API}/search", params={"q": sosl})
    assert response.status_code == 400, response.text
    (error,) = response.json()
    assert isinstance(error, dict)
    return error


def names(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(type, Name)`` of each record, in order."""
    return [(record["attributes"]["type"], record["Name"]) for record in records]
