"""What the Salesforce client tests send to the demo org and look for in its request log: a small
query, the query endpoint, and a saved connection's fields to save again with one changed."""

from __future__ import annotations

from typing import Any

from server.store.interface import Connection
from tests.helpers.demo_org import API

#: A query the demo org answers with two accounts.
SOQL = "SELECT Id, Name FROM Account LIMIT 2"
#: The path of the query endpoint.
QUERY = f"{API}/query"


def queries(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The query endpoint calls of a request log."""
    return [entry for entry in log if entry["path"] == QUERY]


def connection_fields(conn: Connection) -> dict[str, Any]:
    """The fields of ``conn`` by name, to build a copy of it with some replaced."""
    return {name: getattr(conn, name) for name in conn.__slots__}
