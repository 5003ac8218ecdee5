"""find_caller: the caller found from the number they call from, written or spoken, with one
parameterized search per warm call; ranked candidates; no SOSL written from caller text."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from server import web
from server.app import build_server
from server.errors import InvalidArguments
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from server.values.caller_numbers import caller_number, same_number
from tests.helpers.demo_org import API, clear_log, request_log
from tests.helpers.tool_calls import Tools, serving, text_of

SEARCH = ("POST", f"{API}/parameterizedSearch")
#: The seeded caller: Contact Ana García of Acme Corporation, Phone "+1 415 555 0100".
ANA = "+14155550100"
ANA_FORMS = [
    "+1 (415) 555-0100",
    "415.555.0100",
    "four one five five five five zero one zero zero",
    "1 415 555 0100",
    "my number is four one five, double five five, oh one double oh",
]


def _fresh_number() -> tuple[str, str, str]:
    """A number no other test uses: (E.164, written internationally, written nationally)."""
    area = secrets.choice(range(201, 990))
    while area % 100 == 11 or area // 10 % 10 == 9:  # N11 and N9X are not area codes
        area = secrets.choice(range(201, 990))
    line = secrets.randbelow(10_000)
    return (
        f"+1{area}555{line:04d}",
        f"+1 {area} 555 {line:04d}",
        f"({area}) 555-{line:04d}",
    )


async def _create(reader: httpx.AsyncClient, sobject: str, data: dict[str, Any]) -> str:
    response = await reader.post(f"/sobjects/{sobject}", json=data)
    assert response.status_code == 201, response.text
    record_id: str = response.json()["id"]
    return record_id


def _in_call(**call: str) -> dict[str, Any]:
    return {"meta": {"callforce/call": call}}


async def test_the_seeded_caller_is_found_from_written_and_spoken_forms(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """Five forms of Ana's number find her, each warm call with one search request."""
    await tools.ok("find_caller", {"phone": ANA})  # the describes, once
    for form in ANA_FORMS:
        await clear_log(control)
        found = await tools.ok("find_caller", {"phone": form})
        assert [(e["method"], e["path"]) for e in await request_log(control)] == [SEARCH], form
        assert (found["phone"], found["match"]) == (ANA, "one"), form
        (ana,) = found["candidates"]
        assert (ana["object"], ana["name"], ana["field"]) == ("Contact", "Ana García", "Phone")
        assert ana["id"].startswith("003")
        assert ana["account_name"] == "Acme Corporation"
        assert ana["account_id"].startswith("001")
        assert (ana["do_not_call"], ana["has_opted_out_of_email"]) == (False, False)


async def test_an_unknown_number_is_none(tools: Tools) -> None:
    """No record has it: match none, and the agent reads so."""
    number, written, _ = _fresh_number()
    result = await tools.call("find_caller", {"phone": written})
    assert not result.is_error, text_of(result)
    assert result.structured_content == {"phone": number, "match": "none", "candidates": []}
    assert text_of(result) == f"No record has the number {number}."


async def test_several_candidates_are_ranked_and_an_account_folds_into_its_person(
    tools: Tools, reader: httpx.AsyncClient
) -> None:
    """Exact (with country code) before national; Contact before Lead before Account; the
    account of a person found is not a candidate of its own."""
    number, international, national = _fresh_number()
    suffix = number[-6:]
    account = await _create(
        reader, "Account", {"Name": f"Switchboard {suffix}", "Phone": international}
    )
    colleague = await _create(
        reader,
        "Contact",
        {"LastName": f"Colleague {suffix}", "AccountId": account, "MobilePhone": national},
    )
    lead = await _create(
        reader, "Lead", {"LastName": f"Lead {suffix}", "Company": "Globex", "Phone": international}
    )
    contact = await _create(
        reader, "Contact", {"LastName": f"Direct {suffix}", "Phone": international}
    )
    other_account = await _create(reader, "Account", {"Name": f"Other {suffix}", "Phone": national})
    found = await tools.ok("find_caller", {"phone": national})
    assert found["match"] == "several"
    ranked = [(c["object"], c["id"], c["field"]) for c in found["candidates"]]
    assert ranked == [
        ("Contact", contact, "Phone"),
        ("Lead", lead, "Phone"),
        ("Contact", colleague, "MobilePhone"),
        ("Account", other_account, "Phone"),
    ]
    assert found["candidates"][2]["account_id"] == account
    assert found["candidates"][2]["account_name"] == f"Switchboard {suffix}"
    text = text_of(await tools.call("find_caller", {"phone": number}))
    assert text.splitlines()[0] == f"4 matches for {number}, best first:"
    assert text.splitlines()[1] == f"1. Contact Direct {suffix} {contact} (Phone)"


async def test_the_call_flags_come_with_the_candidate(tools: Tools) -> None:
    """Theo Adeyemi must not be called and has opted out of email; the agent reads both."""
    result = await tools.call("find_caller", {"phone": "720 555 0163"})
    found = result.structured_content or {}
    assert found["match"] == "one"
    (theo,) = found["candidates"]
    assert (theo["name"], theo["do_not_call"], theo["has_opted_out_of_email"]) == (
        "Theo Adeyemi",
        True,
        True,
    )
    assert text_of(result).endswith(", do not call, opted out of email")


async def test_the_number_defaults_to_the_caller_in_meta(tools: Tools) -> None:
    """No phone argument: the call's caller_number (from _meta over any transport)."""
    found = await tools.ok("find_caller", {}, **_in_call(caller_number="+1 415 555 0100"))
    assert found["phone"] == ANA
    assert found["candidates"][0]["name"] == "Ana García"


@asynccontextmanager
async def _over_http(
    settings: Settings, store: SQLiteConnectionStore, headers: dict[str, str]
) -> AsyncIterator[Client]:
    app = web.build_app(settings, store)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app),
            base_url="http://127.0.0.1:8000",
            headers=headers,
        ) as http,
        Client(streamable_http_client("http://127.0.0.1:8000/mcp", http_client=http)) as client,
    ):
        yield client


async def test_the_number_defaults_to_the_caller_number_header(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """Over Streamable HTTP the platform's X-Caller-Number header is the default; the model's
    own phone argument is still used when given (it asks about someone else's number)."""
    async with _over_http(settings, store, {"X-Caller-Number": "(720) 555-0163"}) as client:
        mine = await client.call_tool("find_caller", {})
        other = await client.call_tool("find_caller", {"phone": "+1 415 555 0100"})
    assert (mine.structured_content or {})["candidates"][0]["name"] == "Theo Adeyemi"
    assert (other.structured_content or {})["candidates"][0]["name"] == "Ana García"


async def test_without_a_number_the_agent_is_told_to_ask(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """No argument and no caller number: a tool error naming the header; nothing sent."""
    await clear_log(control)
    text = await tools.error("find_caller", {})
    assert "X-Caller-Number" in text
    assert "Ask the caller for their number" in text
    assert await request_log(control) == []


@pytest.mark.parametrize(
    "hostile",
    [
        "415 OR Name",
        "4155550100} RETURNING User(Id, Username)",
        '4155550100" OR "*',
        "*",
        "4155550100 AND NOT 1",
    ],
)
async def test_caller_text_never_becomes_search_syntax(
    tools: Tools, control: httpx.AsyncClient, hostile: str
) -> None:
    """Anything but a number is refused with what to give; nothing reaches Salesforce."""
    await clear_log(control)
    text = await tools.error("find_caller", {"phone": hostile})
    assert "phone:" in text
    assert "+14155550132" in text  # the example of what to give
    assert await request_log(control) == []


async def test_the_searched_objects_and_fields_are_configurable(
    settings: Settings, store: SQLiteConnectionStore, reader: httpx.AsyncClient
) -> None:
    """Only Leads' Phone: a Contact with the number is not a candidate."""
    number, international, _ = _fresh_number()
    await _create(reader, "Contact", {"LastName": "Not searched", "Phone": international})
    lead = await _create(
        reader, "Lead", {"LastName": "Searched", "Company": "X", "Phone": international}
    )
    only_leads = settings.model_copy(update={"caller_search": {"Lead": ["Phone"]}})
    async with serving(build_server(only_leads, store=store)) as client:
        result = await client.call_tool("find_caller", {"phone": number})
    found = result.structured_content or {}
    assert [(c["object"], c["id"]) for c in found["candidates"]] == [("Lead", lead)]


async def test_a_configured_field_that_is_not_a_phone_is_named(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """An operator's mistake is a clear error naming the setting."""
    wrong = settings.model_copy(update={"caller_search": {"Contact": ["Email"]}})
    async with serving(build_server(wrong, store=store)) as client:
        result = await client.call_tool("find_caller", {"phone": ANA})
    assert result.is_error
    assert "CALLFORCE_CALLER_SEARCH names Contact.Email, which is not a phone field" in text_of(
        result
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("00 44 20 7946 0958", "+442079460958"),
        ("plus four four two oh seven nine four six oh nine five eight", "+442079460958"),
        ("one eight hundred five five five zero one nine nine", "+18005550199"),
        ("(415) 555-0132 ext. 12", "+14155550132"),
        ("triple seven, 555 0100", "+17775550100"),
    ],
)
def test_numbers_are_read_as_e164(text: str, expected: str) -> None:
    """Written and spoken forms, international prefixes and extensions."""
    assert caller_number(text, "US") == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("555 0132", "area code"),
        ("12", "whole number"),
        ("4155550132 twenty", "'twenty' is not a digit"),
        ("415 + 555", "a + may only start"),
        ("+999 123", "phone:"),
        ("4" * 30, "too many digits"),
    ],
)
def test_what_is_not_a_number_is_refused(text: str, problem: str) -> None:
    """Each refusal says what is wrong and gives an example."""
    with pytest.raises(InvalidArguments) as refused:
        caller_number(text, "US")
    assert problem in refused.value.message
    assert "e.g. +14155550132" in refused.value.message


@pytest.mark.parametrize(
    ("stored", "relation"),
    [
        ("+1 415 555 0132", "exact"),
        ("+1 (415) 555-0132 x12", "exact"),
        ("(415) 555-0132", "national"),
        ("415.555.0132", "national"),
        ("+44 415 555 0132", None),
        ("555-0132", None),
        ("", None),
        (None, None),
    ],
)
def test_a_stored_phone_is_compared_by_its_number(stored: object, relation: str | None) -> None:
    """How a phone as users write it relates to the caller's E.164 number."""
    assert same_number(stored, "+14155550132", "US") == relation
