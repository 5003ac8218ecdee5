"""run_query: records without attributes, paging by cursor, SOQL errors, one request per call."""

from __future__ import annotations

import httpx

from tests.helpers.demo_org import API, clear_log, request_log
from tests.helpers.org_records import insert_many, unique
from tests.helpers.tool_calls import Tools


async def test_records_come_back_without_attributes(tools: Tools) -> None:
    """Rows, parent relationships and child subqueries lose Salesforce's attributes."""
    page = await tools.ok(
        "run_query",
        {
            "soql": "SELECT Id, Name, Owner.Name, (SELECT LastName FROM Contacts) "
            "FROM Account WHERE Name = 'Acme Corporation'",
        },
    )
    assert page["total_size"] == 1
    assert page["done"] is True
    assert page["next_page"] is None
    [acme] = page["records"]
    assert "attributes" not in acme
    assert acme["Name"] == "Acme Corporation"
    assert set(acme["Owner"]) == {"Name"}
    assert isinstance(acme["Contacts"], list)
    assert all(set(child) == {"LastName"} for child in acme["Contacts"])


async def test_finds_the_caller_by_email(tools: Tools) -> None:
    """A filtered query returns the seeded contact."""
    page = await tools.ok(
        "run_query",
        {"soql": "SELECT FirstName, LastName, Phone FROM Contact WHERE Email = 'ana@example.com'"},
    )
    assert page["records"] == [
        {"FirstName": "Ana", "LastName": "García", "Phone": "+1 415 555 0100"}
    ]


async def test_count_query_returns_the_count_in_total_size(tools: Tools) -> None:
    """SELECT COUNT() gives no rows and the count."""
    page = await tools.ok("run_query", {"soql": "SELECT COUNT() FROM Contact"})
    assert page["records"] == []
    assert page["total_size"] > 0


async def test_cursor_pages_through_every_row_once(tools: Tools, reader: httpx.AsyncClient) -> None:
    """Following next_page returns every row exactly once, across Salesforce's batches."""
    tag = unique("paging-")
    await insert_many(reader, "Task", [{"Subject": tag, "Status": "Not Started"}] * 450)
    soql = f"SELECT Id, Subject FROM Task WHERE Subject = '{tag}' ORDER BY Id"  # noqa: S608 - test SOQL, the value is a hex tag
    total = 450
    seen: list[str] = []
    cursor = None
    calls = 0
    while True:
        arguments = {"soql": soql, "max_records": 70}
        if cursor:
            arguments["cursor"] = cursor
        page = await tools.ok("run_query", arguments)
        calls += 1
        assert page["total_size"] == total
        assert len(page["records"]) <= 70
        assert all(row["Subject"] == tag for row in page["records"])
        seen += [row["Id"] for row in page["records"]]
        cursor = page["next_page"]
        assert page["done"] is (cursor is None)
        if cursor is None:
            break
    assert len(seen) == total
    assert len(set(seen)) == total
    assert calls < total  # pages, not rows


async def test_a_warm_query_is_one_request(tools: Tools, control: httpx.AsyncClient) -> None:
    """Each run_query call, first page or cursor, sends exactly one request."""
    first = await tools.ok("run_query", {"soql": "SELECT Id FROM Lead", "max_records": 5})
    await clear_log(control)
    await tools.ok("run_query", {"soql": "SELECT Id FROM Lead", "max_records": 5})
    await tools.ok(
        "run_query", {"soql": "SELECT Id FROM Lead", "max_records": 5, "cursor": first["next_page"]}
    )
    log = await request_log(control)
    assert [(entry["method"], entry["path"]) for entry in log] == [("GET", f"{API}/query")] * 2


async def test_a_tampered_cursor_is_refused(tools: Tools, control: httpx.AsyncClient) -> None:
    """A cursor this server did not sign is refused before any request."""
    page = await tools.ok("run_query", {"soql": "SELECT Id FROM Contact", "max_records": 1})
    payload, _, signature = page["next_page"].partition(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    await clear_log(control)
    for cursor in (forged, "not-a-cursor", page["next_page"] + "x"):
        text = await tools.error("run_query", {"soql": "SELECT Id FROM Contact", "cursor": cursor})
        assert "cursor was not issued by this callforce server" in text
    assert await request_log(control) == []


async def test_a_cursor_is_bound_to_its_connection(tools: Tools) -> None:
    """A cursor given with another connection's name is refused."""
    page = await tools.ok("run_query", {"soql": "SELECT Id FROM Contact", "max_records": 1})
    text = await tools.error(
        "run_query",
        {"soql": "SELECT Id FROM Contact", "cursor": page["next_page"], "connection": "other"},
    )
    assert "belongs to connection 'demo'" in text


async def test_statements_other_than_select_are_refused(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """DELETE, UPDATE or SOSL never reach Salesforce."""
    await clear_log(control)
    for soql in ("DELETE FROM Contact", "UPDATE Contact SET LastName = 'x'", "FIND {Acme}"):
        text = await tools.error("run_query", {"soql": soql})
        assert "SELECT statements only" in text
    assert await request_log(control) == []


async def test_soql_errors_carry_the_code_and_the_useful_line(tools: Tools) -> None:
    """An unknown column gives INVALID_FIELD, its position and Salesforce's sentence."""
    text = await tools.error("run_query", {"soql": "SELECT Foo FROM Account"})
    assert "INVALID_FIELD at row 1, column 8" in text
    assert "No such column 'Foo' on entity 'Account'" in text
    assert "SELECT Foo FROM Account\n" not in text  # the echo and caret lines are dropped


async def test_an_unknown_object_in_soql_is_invalid_type(tools: Tools) -> None:
    """An unknown object gives INVALID_TYPE."""
    text = await tools.error("run_query", {"soql": f"SELECT Id FROM {unique('Nope')}"})  # noqa: S608 - test SOQL, the value is a hex tag
    assert "INVALID_TYPE" in text


async def test_max_records_is_bounded(tools: Tools) -> None:
    """max_records above 200 is rejected by the schema."""
    text = await tools.error("run_query", {"soql": "SELECT Id FROM Contact", "max_records": 500})
    assert "max_records" in text
