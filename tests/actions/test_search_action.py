"""`search` actions: loaded and listed with typed arguments, served through the MCP client
against the emulated org as one parameterized search per call; what a caller says is searched
literally (never SOSL); bad configuration is refused at load, unknown fields by the org check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.types import Tool

from emulator.server import BackgroundEmulator
from server import cli
from server.actions.loading import load_actions
from server.actions.model import ActionFileError
from server.actions.search import search_body
from server.actions.sosl_text import search_words
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import OrgAccess, served, write_actions
from tests.helpers.demo_org import (
    API,
    CLIENT_ID,
    CLIENT_SECRET,
    CONNECTION,
    clear_log,
    connect,
    request_log,
)
from tests.helpers.schema_rules import gemini_problems, openai_strict_problems
from tests.helpers.tool_calls import Tools, text_of

SEARCHES = """
[[action]]
name = "find_company"
kind = "search"
description = "Find the caller's company, and people there, by name."
search = "{{ company }}"
in = "NAME"
variables.company = { description = "The company's name as the caller says it", example = "Acme" }

[[action.returning]]
object = "Account"
fields = ["Id", "Name", "Phone"]

[[action.returning]]
object = "Contact"
fields = ["Id", "Name", "Phone", "Account.Name"]
max_records = 5

[[action]]
name = "find_by_phone"
kind = "search"
search = "{{ phone }}"
in = "PHONE"
returning = [
    { object = "Contact", fields = ["Id", "Name", "Phone"] },
    { object = "Lead", fields = ["Id", "Name", "Phone"], where = "IsConverted = false" },
]

[[action]]
name = "records_of_caller"
kind = "search"
description = "Contacts with the number the caller calls from."
search = "{{ call.caller_number }}"
in = "PHONE"
returning = [{ object = "Contact", fields = ["Id", "Name", "Phone"] }]

[[action]]
name = "find_company_prefix"
kind = "search"
search = "{{ company }}*"
in = "NAME"
returning = [{ object = "Account", fields = ["Id", "Name"] }]

[[action]]
name = "find_anything"
kind = "search"
description = "Contacts and accounts with these words anywhere."
search = "{{ words }}"
max_records = 3
returning = [
    { object = "Contact", fields = ["Id", "Name", "Email"], max_records = 2 },
    { object = "Account", fields = ["Id", "Name"] },
]
"""

SEARCH_TOOLS = (
    "find_company",
    "find_by_phone",
    "records_of_caller",
    "find_company_prefix",
    "find_anything",
)
ACME = ("Account", "Acme Corporation")
ANA = ("Contact", "Ana García")
THEO = ("Contact", "Theo Adeyemi")


@pytest.fixture
def searches_file(tmp_path: Path) -> Path:
    """The action file of search actions."""
    return write_actions(tmp_path, SEARCHES)


@pytest.fixture
async def searches(
    searches_file: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> AsyncIterator[Tools]:
    """The server serving the search actions."""
    async with served(searches_file, settings, store, org_access) as (tools, _):
        yield tools


def _found(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(record["object"], record["Name"]) for record in result["records"]]


async def _raw_search(reader: httpx.AsyncClient, q: str) -> list[tuple[str, str]]:
    """What the org finds when ``q`` is sent as it is (what an injection would get)."""
    objects = [{"name": name, "fields": ["Name"]} for name in ("Account", "Contact")]
    body = {"q": q, "sobjects": objects}
    response = await reader.post("/parameterizedSearch", json=body)
    assert response.status_code == 200, response.text
    rows = response.json()["searchRecords"]
    return [(row["attributes"]["type"], row["Name"]) for row in rows]


# -- loading and listing ------------------------------------------------------------------------


async def test_search_actions_list_with_typed_arguments_and_read_only_hints(
    searches: Tools,
) -> None:
    """Each tool's arguments are its variables (a call variable is none); search is read-only;
    a made description names the objects and where they are searched."""
    listed: dict[str, Tool] = {t.name: t for t in (await searches.client.list_tools()).tools}
    company = listed["find_company"]
    assert company.input_schema["properties"] == {
        "company": {
            "type": "string",
            "description": 'The company\'s name as the caller says it. E.g. "Acme".',
        }
    }
    assert company.input_schema["required"] == ["company"]
    assert company.description == (
        "Find the caller's company, and people there, by name. Returns at most 10 records."
    )
    assert listed["find_by_phone"].description == (
        "Search Contact and Lead records by phone number. Returns at most 10 records."
    )
    assert listed["find_anything"].description.endswith("Returns at most 3 records.")  # type: ignore[union-attr]
    assert listed["records_of_caller"].input_schema.get("properties", {}) == {}
    for name in SEARCH_TOOLS:
        hints = listed[name].annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint) == (True, False), name
    output = listed["find_company"].output_schema or {}
    assert {"records", "count", "match", "more"} <= set(output["properties"])


async def test_search_schemas_are_portable(searches: Tools) -> None:
    """Each search tool's schema is a valid Gemini schema and OpenAI strict-ready."""
    for tool in (await searches.client.list_tools()).tools:
        if tool.name in SEARCH_TOOLS:
            assert gemini_problems(tool.input_schema) == [], tool.name
            assert openai_strict_problems(tool.input_schema) == [], tool.name


def test_a_search_body_holds_the_operators_config_and_the_text_only_in_q(
    searches_file: Path,
) -> None:
    """The request's objects, fields, where and limits are the file's; the text is `q`."""
    actions = {action.config.name: action for action in load_actions(searches_file).actions}
    action = actions["find_by_phone"]
    assert search_body(action, "720 555 0163") == {
        "q": "720 555 0163",
        "in": "PHONE",
        "overallLimit": 10,
        "sobjects": [
            {"name": "Contact", "fields": ["Id", "Name", "Phone"]},
            {"name": "Lead", "fields": ["Id", "Name", "Phone"], "where": "IsConverted = false"},
        ],
    }


# -- finding the seeded records -----------------------------------------------------------------


async def test_finds_the_seeded_records_by_name_and_by_phone(searches: Tools) -> None:
    """Acme by its name, Ana by hers, Ana and Theo by their numbers however they are said."""
    acme = await searches.ok("find_company", {"company": "Acme Corporation"})
    assert ACME in _found(acme)
    record = next(r for r in acme["records"] if r["Name"] == "Acme Corporation")
    assert record == {
        "object": "Account",
        "Id": record["Id"],
        "Name": "Acme Corporation",
        "Phone": "+1 415 555 0199",
    }
    ana = await searches.ok("find_company", {"company": "Ana García"})
    assert _found(ana) == [ANA]
    assert ana["records"][0]["Account"] == {"Name": "Acme Corporation"}  # no attributes
    assert (ana["count"], ana["match"], ana["more"]) == (1, "one", False)
    for spoken in ("+1 415 555 0100", "(415) 555-0100", "415.555.0100"):
        found = await searches.ok("find_by_phone", {"phone": spoken})
        assert ANA in _found(found), spoken
    theo = await searches.ok("find_by_phone", {"phone": "(720) 555-0163"})
    assert THEO in _found(theo)


async def test_the_operators_own_text_keeps_its_sosl_meaning(searches: Tools) -> None:
    """`{{ company }}*`: the file's wildcard works, a wildcard the caller says does not."""
    found = await searches.ok("find_company_prefix", {"company": "Acme Corp"})
    assert ACME in _found(found)
    found = await searches.ok("find_company_prefix", {"company": "Ac* Corp"})
    assert ACME not in _found(found)


async def test_the_agent_reads_a_table_per_object(searches: Tools) -> None:
    """Compact text: the object and its count, then its rows; no attributes, no JSON dump."""
    result = await searches.call("find_company", {"company": "Ana García"})
    text = text_of(result)
    assert text.startswith("Contact (1):\nId|Name|Phone|Account.Name\n")
    assert "|Ana García|+1 415 555 0100|Acme Corporation" in text
    assert "attributes" not in text
    assert text_of(await searches.call("find_company", {"company": "Zyxwv Qqq"})) == (
        "No records found."
    )


async def test_limits_are_sent_and_said(searches: Tools) -> None:
    """A per-object limit and the overall one hold; reaching one says more may match."""
    result = await searches.call("find_anything", {"words": "example"})
    assert not result.is_error, text_of(result)
    found = result.structured_content
    assert isinstance(found, dict)
    objects = [record["object"] for record in found["records"]]
    assert objects.count("Contact") <= 2
    assert len(objects) <= 3
    assert found["more"] is True
    assert text_of(result).endswith("More records may match: ask the caller for more detail.")


async def test_a_call_variable_is_searched_from_the_request(searches: Tools) -> None:
    """`{{ call.caller_number }}` comes from the request's _meta, as E.164, never an argument."""
    meta = {"callforce/call": {"caller_number": "+1 (415) 555-0100"}}
    found = await searches.ok("records_of_caller", {}, meta=meta)
    assert ANA in _found(found)


async def test_a_warm_search_is_one_request(searches: Tools, control: httpx.AsyncClient) -> None:
    """After the first call, each call is exactly one POST to parameterizedSearch, nothing in
    its URL."""
    await searches.ok("find_company", {"company": "Acme"})
    await clear_log(control)
    await searches.ok("find_company", {"company": "Acme Corporation"})
    [entry] = await request_log(control)
    assert (entry["method"], entry["path"], entry["query"]) == (
        "POST",
        f"{API}/parameterizedSearch",
        "",
    )
    assert entry["status"] == 200


# -- what a caller says is searched literally ---------------------------------------------------


@pytest.mark.parametrize(
    ("said", "q"),
    [
        ("Acme OR García", 'Acme "OR" García'),
        ("Acm*", "Acm"),
        ("} RETURNING User(Id, Username", "RETURNING User Id, Username"),
        ('"Acme" or "Ana"', 'Acme "or" Ana'),
        ('Ana\\" AND NOT {x}', 'Ana "AND" "NOT" x'),
        ("+1 (415) 555-0100", "+1 415 555 0100"),
        ("a+b ~c ^2 [x TO y] !d &e |f :g 'h'", "a b c 2 x TO y d e f g h"),
    ],
)
def test_each_value_becomes_plain_words(said: str, q: str) -> None:
    """Reserved characters become spaces (a + starting a number stays); AND/OR/NOT are quoted."""
    assert search_words(said) == q


async def test_hostile_text_is_searched_literally(
    searches: Tools, reader: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    """What SOSL would read as operators, wildcards, phrases or a new RETURNING finds only what
    the words themselves find; sent as they are, the same texts would have found more."""
    assert {ACME, ANA} <= set(await _raw_search(reader, "Acme OR Ana"))  # an OR would find both
    assert ACME in await _raw_search(reader, "Acm*")  # a wildcard would find Acme
    for said in ("Acme OR Ana", "Acm*", '"Acme" OR "Ana"', "Ana) OR (Acme"):
        found = await searches.ok("find_company", {"company": said})
        assert found["records"] == [], said
    await clear_log(control)
    found = await searches.ok("find_company", {"company": "} RETURNING User(Id, Username"})
    assert {record["object"] for record in found["records"]} <= {"Account", "Contact"}
    assert len(await request_log(control)) == 1
    quoted = await searches.ok("find_company", {"company": 'Acme "Corporation'})
    assert ACME in _found(quoted)


@pytest.mark.parametrize("said", ["*", "a", "?!", "  ", "&& ||"])
async def test_too_little_to_search_is_refused_before_sending(
    searches: Tools, control: httpx.AsyncClient, said: str
) -> None:
    """Fewer than two letters or digits: a plain error; nothing reaches the org."""
    await clear_log(control)
    text = await searches.error("find_company", {"company": said})
    assert "give at least two letters or digits to search for. Nothing was sent." in text
    assert await request_log(control) == []


async def test_a_salesforce_refusal_is_an_agent_error(
    tmp_path: Path, settings: Settings, store: SQLiteConnectionStore, org_access: OrgAccess
) -> None:
    """A where naming a field the object lacks: Salesforce's 400, said as a query's is."""
    text = SEARCHES.replace('where = "IsConverted = false"', 'where = "Nope__c = 1"')
    path = write_actions(tmp_path, text, "broken.toml")
    async with served(path, settings, store, org_access) as (tools, _):
        said = await tools.error("find_by_phone", {"phone": "(720) 555-0163"})
    assert said.startswith(
        "Error executing tool find_by_phone: Salesforce rejected the search (INVALID_FIELD): "
    ), said
    assert "Nope__c" in said


# -- configuration problems ---------------------------------------------------------------------

SEARCH = """
[[action]]
name = "find_company"
kind = "search"
description = "Find a company."
search = "{{ company }}"
"""
RETURNING = """
[[action.returning]]
object = "Account"
fields = ["Id", "Name"]
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SEARCH + 'in = "FIELDS"\n' + RETURNING, "in: Input should be 'ALL', 'NAME', 'EMAIL'"),
        (SEARCH, "returning: a search action needs returning"),
        (SEARCH + "returning = []\n", "returning: List should have at least 1 item"),
        (
            SEARCH + RETURNING.replace('"Account"', '"Account(Id) RETURNING User"'),
            "returning[0].object: String should match pattern",
        ),
        (
            SEARCH + RETURNING.replace('"Name"', '"Name, Email"'),
            "returning[0].fields[1]: String should match pattern",
        ),
        (SEARCH + RETURNING + "fieldz = []\n", "returning[0].fieldz: unknown key; did you mean"),
        (SEARCH + RETURNING + RETURNING, "returning[1].object: Account is already in returning"),
        (
            SEARCH + RETURNING.replace('"Name"]', '"Name", "name"]'),
            "returning[0].fields: Name is listed twice",
        ),
        (
            SEARCH + RETURNING + "where = \"Name = '{{ company }}'\"\n",
            "returning[0].where: where is sent as written, not as a template",
        ),
        (
            SEARCH.replace("{{ company }}", '\\"{{ company }}') + RETURNING,
            'search: a quote (") is not closed',
        ),
        (
            SEARCH.replace("{{ company }}", "{{ company }} }") + RETURNING,
            "search: the search text cannot hold braces or backslashes",
        ),
        (SEARCH + 'object = "Account"\n' + RETURNING, "object: a search action has no object"),
        (
            '[[action]]\nname = "q"\nkind = "query"\nsoql = "SELECT Id FROM Account"\nin = "NAME"',
            "action 'q': in: a query action has no in",
        ),
        (SEARCH + 'inn = "NAME"\n' + RETURNING, "inn: unknown key; did you mean in?"),
        (SEARCH + RETURNING + "max_records = 500\n", "returning[0].max_records: Input should be"),
    ],
)
def test_bad_configuration_is_refused_at_load(tmp_path: Path, text: str, expected: str) -> None:
    """Each problem names the file, the action and the key."""
    path = write_actions(tmp_path, text)
    with pytest.raises(ActionFileError) as caught:
        load_actions(path)
    problems = [str(problem) for problem in caught.value.problems]
    assert any(
        problem.startswith(f"{path}: action ") and expected in problem for problem in problems
    ), problems


@pytest.fixture
def connected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: BackgroundEmulator
) -> Path:
    """CALLFORCE_HOME in tmp_path with the demo org connected, as `callforce` reads it."""
    home = tmp_path / "home"
    monkeypatch.setenv("CALLFORCE_HOME", str(home))
    monkeypatch.setenv("CALLFORCE_PRODUCTION_LOGIN_URL", emulator.base_url)
    monkeypatch.setenv("CALLFORCE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CALLFORCE_CLIENT_SECRET", CLIENT_SECRET)
    for name in ("CALLFORCE_ACTIONS", "CALLFORCE_EXPOSE", "CALLFORCE_DEFAULT_CONNECTION"):
        monkeypatch.delenv(name, raising=False)
    store = SQLiteConnectionStore.from_settings(Settings(home=home))
    try:
        asyncio.run(connect(store, emulator, CONNECTION))
    finally:
        store.close()
    return home


def test_check_catches_unknown_objects_and_fields(
    tmp_path: Path, connected: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`callforce actions check`: each unknown field or object of returning, with its place and
    the closest name; exit status 2."""
    text = SEARCHES.replace('fields = ["Id", "Name", "Phone"]\n', 'fields = ["Id", "Nmae"]\n', 1)
    text = text.replace('{ object = "Lead"', '{ object = "Laed"')
    path = write_actions(tmp_path, text)
    assert cli.main(["actions", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert (
        f"{path}: action 'find_company': returning[0].fields: Account has no field 'Nmae' — "
        "did you mean Name?"
    ) in err
    assert f"{path}: action 'find_by_phone': returning[1].object: " in err
    assert "Salesforce has no object named 'Laed'" in err


def test_check_prints_a_search_tool(
    searches_file: Path, connected: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A clean file: each search tool is read-only, with its arguments' schema."""
    assert cli.main(["actions", "check", str(searches_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{searches_file}: 5 actions, no problems.")
    assert "find_company (read-only): Find the caller's company" in out
