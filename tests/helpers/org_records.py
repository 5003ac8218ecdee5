"""Records of the demo org read and written straight over REST (not through callforce), with a
client whose base URL is the API root (the ``reader`` fixture), and values no other test uses."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


async def read_record(reader: httpx.AsyncClient, sobject: str, record_id: str) -> dict[str, Any]:
    """A record as the org stores it."""
    response = await reader.get(f"/sobjects/{sobject}/{record_id}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


async def insert_many(
    reader: httpx.AsyncClient, sobject: str, records: list[dict[str, Any]]
) -> list[str]:
    """Insert records straight through sObject Collections (not through callforce); their ids."""
    ids: list[str] = []
    for start in range(0, len(records), 200):
        chunk = [{"attributes": {"type": sobject}, **r} for r in records[start : start + 200]]
        response = await reader.post("/composite/sobjects", json={"records": chunk})
        assert response.status_code == 200, response.text
        assert all(item["success"] for item in response.json()), response.text
        ids += [item["id"] for item in response.json()]
    return ids


def unique(prefix: str = "") -> str:
    """A value no other test uses."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"
