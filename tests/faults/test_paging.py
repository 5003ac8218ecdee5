"""Item 8 — paging returns rows twice: a page is a slice of a Salesforce batch, and continuing
inside the first batch ran the query again, so rows inserted between pages shifted the rest and
came back twice. Every row must come back once, each call still one Salesforce request."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.demo_org import clear_log, request_log
from tests.helpers.org_records import insert_many, unique
from tests.helpers.tool_calls import Tools, text_of


async def _insert_tasks(reader: httpx.AsyncClient, subjects: list[str]) -> list[str]:
    return await insert_many(
        reader, "Task", [{"Subject": subject, "Status": "Not Started"} for subject in subjects]
    )


async def _page_through(
    tools: Tools,
    control: httpx.AsyncClient,
    soql: str,
    max_records: int,
    between_pages: Any,
) -> list[str]:
    """Every Id run_query returns, following its cursor, calling ``between_pages(n)`` after
    page n; each call must be one Salesforce request."""
    seen: list[str] = []
    arguments: dict[str, Any] = {"soql": soql, "max_records": max_records}
    page_number = 0
    while True:
        await clear_log(control)
        page = await tools.ok("run_query", arguments)
        assert len(await request_log(control)) == 1
        assert len(page["records"]) <= max_records
        seen += [row["Id"] for row in page["records"]]
        page_number += 1
        if page["next_page"] is None:
            return seen
        assert len(page["next_page"]) <= 200  # it travels through the LLM
        await between_pages(page_number)
        arguments = {"soql": soql, "max_records": max_records, "cursor": page["next_page"]}


async def test_rows_inserted_between_pages_do_not_repeat_rows(
    tools: Tools, reader: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    """Paging 1,000 rows by 150 while rows sorting first are inserted: each row once, none lost."""
    tag = unique("paging-")
    existing = await _insert_tasks(reader, [f"{tag}-b-{n:04d}" for n in range(1000)])
    soql = f"SELECT Id, Subject FROM Task WHERE Subject LIKE '{tag}%' ORDER BY Subject"  # noqa: S608 - test SOQL, the value is a hex tag

    async def insert_before_the_rest(page_number: int) -> None:
        # Rows that sort before every existing one, so a re-run query shifts the rest by 20.
        await _insert_tasks(reader, [f"{tag}-a-{page_number:02d}-{n:02d}" for n in range(20)])

    seen = await _page_through(tools, control, soql, 150, insert_before_the_rest)
    assert len(seen) == len(set(seen)), f"{len(seen) - len(set(seen))} rows came back twice"
    assert set(existing) <= set(seen)


async def test_a_small_result_paged_while_rows_are_inserted_repeats_nothing(
    tools: Tools, reader: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    """A result within one batch (no query locator), paged by 40 with inserts: each row once."""
    tag = unique("paging-")
    existing = await _insert_tasks(reader, [f"{tag}-b-{n:03d}" for n in range(120)])
    soql = f"SELECT Id, Subject FROM Task WHERE Subject LIKE '{tag}%' ORDER BY Subject"  # noqa: S608 - test SOQL, the value is a hex tag

    async def insert_before_the_rest(page_number: int) -> None:
        await _insert_tasks(reader, [f"{tag}-a-{page_number:02d}-{n:02d}" for n in range(15)])

    seen = await _page_through(tools, control, soql, 40, insert_before_the_rest)
    assert len(seen) == len(set(seen)), f"{len(seen) - len(set(seen))} rows came back twice"
    assert set(existing) <= set(seen)


async def test_rows_without_id_say_plainly_that_they_shifted(
    tools: Tools, reader: httpx.AsyncClient
) -> None:
    """Rows that cannot be told apart (no Id selected) continue by position, and say so."""
    tag = unique("paging-")
    await _insert_tasks(reader, [f"{tag}-b-{n:03d}" for n in range(60)])
    soql = f"SELECT Subject FROM Task WHERE Subject LIKE '{tag}%' ORDER BY Subject"  # noqa: S608 - test SOQL, the value is a hex tag
    first = await tools.ok("run_query", {"soql": soql, "max_records": 25})
    assert first["note"] is None
    steady = await tools.ok("run_query", {"soql": soql, "cursor": first["next_page"]})
    assert steady["note"] is None
    assert steady["records"][0]["Subject"] == f"{tag}-b-025"
    await _insert_tasks(reader, [f"{tag}-a-{n}" for n in range(5)])
    shifted = await tools.call("run_query", {"soql": soql, "cursor": steady["next_page"]})
    assert shifted.structured_content is not None
    assert "some may repeat or be missing" in shifted.structured_content["note"]
    assert "some may repeat or be missing" in text_of(shifted)


async def test_a_cursor_continues_only_its_own_query(tools: Tools) -> None:
    """A re-run cursor given with another soql is refused rather than paging the wrong rows."""
    soql = "SELECT Id FROM Lead LIMIT 10"  # within one batch: the next page runs it again
    page = await tools.ok("run_query", {"soql": soql, "max_records": 5})
    text = await tools.error(
        "run_query", {"soql": "SELECT Id FROM Contact LIMIT 10", "cursor": page["next_page"]}
    )
    assert "continues another query" in text
    again = await tools.ok("run_query", {"soql": soql, "cursor": page["next_page"]})
    assert len(again["records"]) == 5
