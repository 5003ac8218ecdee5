"""Hostile values: whatever a caller says lands in a literal or a field as data, and only there.

A query given a hostile value returns exactly the records whose field holds that exact text
(known here because the test inserted them, each batch under a unique marker), never more; a
record created from hostile values stores exactly the text given (read back from the org).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import OrgAccess, served, write_actions
from tests.helpers.demo_org import clear_log, request_log
from tests.helpers.org_records import insert_many, read_record, unique
from tests.helpers.tool_calls import Tools

ACTIONS = """
[[action]]
name = "find_by_names"
kind = "query"
description = "Contacts with this first and last name."
soql = '''
SELECT Id, FirstName, LastName FROM Contact
WHERE FirstName = '{{ first }}' AND LastName = '{{ last }}'
'''
max_records = 200

[[action]]
name = "find_by_start"
kind = "query"
description = "Contacts whose last name starts with the text."
soql = "SELECT Id, LastName FROM Contact WHERE LastName LIKE '{{ start }}%'"
max_records = 200

[[action]]
name = "new_contact"
kind = "create"
object = "Contact"
description = "Create a contact."
data.LastName = "{{ last }}"
data.FirstName = "{{ first }}"
data.Description = "Caller {{ first }} said: {{ note }}"
"""

#: Values a caller could say to break out of a literal, a record or a template.
HOSTILE = [
    "O'Brien",
    "ends with a backslash\\",
    "\\",
    "\\'",
    "' OR LastName != '",
    "x' OR Id != null OR LastName = 'x",
    "\\' OR LastName != \\'",
    "{{ 7*7 }}",
    "{% for x in range(9) %}{{ x }}{% endfor %}",
    "{{ ''.__class__.__mro__ }}",
    '", "IsDeleted": true, "x": "',
    '"}, {"LastName": "Injected',
    "line\nbreak\ttab\rreturn",
    'quote " and %_ wildcards',
    "Zoë 🙂 naïve",
]


@pytest.fixture
async def hostile(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> Any:
    """The server serving the hostile-value actions."""
    path = write_actions(tmp_path, ACTIONS)
    async with served(path, settings, store, org_access) as (tools, _):
        yield tools


def _sent(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests that could carry a value: all but describes."""
    return [entry for entry in log if not entry["path"].endswith("/describe")]


def _ids(page: dict[str, Any]) -> set[str]:
    return {record["Id"] for record in page["records"]}


async def test_a_query_matches_exactly_the_hostile_text(
    hostile: Tools, reader: httpx.AsyncClient
) -> None:
    """Each hostile last name finds exactly the contact stored with it, and nothing else."""
    first = unique("M")
    ids = await insert_many(
        reader,
        "Contact",
        [{"FirstName": first, "LastName": value} for value in HOSTILE]
        + [{"FirstName": first, "LastName": name} for name in ("Plain", "x", "O", "Brien")],
    )
    for value, record_id in zip(HOSTILE, ids, strict=False):
        page = await hostile.ok("find_by_names", {"first": first, "last": value})
        assert _ids(page) == {record_id}, value
        assert page["records"][0]["LastName"] == value


async def test_a_value_ending_in_a_backslash_cannot_open_the_next_literal(
    hostile: Tools, reader: httpx.AsyncClient
) -> None:
    """first ends in a backslash, last carries a SOQL fragment: still exact matches only."""
    first = unique("B") + "\\"
    fragment = " OR LastName != "
    ids = await insert_many(
        reader,
        "Contact",
        [
            {"FirstName": first, "LastName": fragment.strip()},
            {"FirstName": first, "LastName": "Other"},
        ],
    )
    assert _ids(await hostile.ok("find_by_names", {"first": first, "last": fragment.strip()})) == {
        ids[0]
    }
    none = await hostile.ok("find_by_names", {"first": first, "last": "' OR LastName != '"})
    assert none["records"] == []
    assert none["total_size"] == 0


async def test_like_wildcards_in_a_value_are_literal(
    hostile: Tools, reader: httpx.AsyncClient
) -> None:
    """% and _ said by the caller match themselves only; the template's % stays a wildcard."""
    marker = unique("L")
    ids = await insert_many(
        reader,
        "Contact",
        [{"LastName": f"{marker}%_a"}, {"LastName": f"{marker}zz_a"}, {"LastName": f"{marker}%_b"}],
    )
    page = await hostile.ok("find_by_start", {"start": f"{marker}%_"})
    assert _ids(page) == {ids[0], ids[2]}
    assert (await hostile.ok("find_by_start", {"start": f"{marker}_"}))["records"] == []


async def test_a_record_stores_exactly_the_hostile_text(
    hostile: Tools, reader: httpx.AsyncClient
) -> None:
    """Whole leaves and text mixed into a leaf store exactly what was said."""
    for value in HOSTILE:
        first = unique("C")
        created = await hostile.ok("new_contact", {"last": value, "first": first, "note": value})
        contact = await read_record(reader, "Contact", created["id"])
        assert contact["LastName"] == value
        assert contact["FirstName"] == first
        assert contact["Description"] == f"Caller {first} said: {value}"
        assert contact["IsDeleted"] is False


async def test_control_characters_are_refused_before_anything_is_sent(
    hostile: Tools, control: httpx.AsyncClient
) -> None:
    """A NUL or escape character is refused by name; nothing reaches Salesforce."""
    await hostile.ok("find_by_names", {"first": "warm", "last": "up"})  # describes cached
    await clear_log(control)
    for value in ("nul\x00byte", "escape\x1b[2J"):
        text = await hostile.error("find_by_names", {"first": "Ana", "last": value})
        assert "LastName" in text
        assert "control characters" in text
        text = await hostile.error("find_by_start", {"start": value})
        assert "control characters" in text
        text = await hostile.error("new_contact", {"last": value, "first": "Ana", "note": "x"})
        assert "control characters" in text
    assert _sent(await request_log(control)) == []


@pytest.mark.parametrize("size", [81, 10_000, 1_000_000])
async def test_very_long_values_are_refused_before_anything_is_sent(
    hostile: Tools, control: httpx.AsyncClient, size: int
) -> None:
    """A value longer than its field (LastName: 80) is refused by the schema; nothing is sent."""
    await clear_log(control)
    text = await hostile.error("find_by_names", {"first": "Ana", "last": "x" * size})
    assert "last" in text
    text = await hostile.error("new_contact", {"last": "x" * size, "first": "Ana", "note": "x"})
    assert "last" in text
    text = await hostile.error(
        "new_contact", {"last": "x", "first": "Ana", "note": "x" * max(size, 32_001)}
    )
    assert "note" in text
    assert _sent(await request_log(control)) == []


async def test_an_empty_value_does_not_match_every_empty_field(
    hostile: Tools, control: httpx.AsyncClient
) -> None:
    """'' would match every record whose field is empty: it is refused instead."""
    await clear_log(control)
    text = await hostile.error("find_by_names", {"first": "   ", "last": "Smith"})
    assert "first" in text
    assert "empty" in text
    assert _sent(await request_log(control)) == []
