"""The REST resources /search and /parameterizedSearch (GET and POST): answers, versions,
parameters and refusals."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.helpers.emulator import API
from tests.helpers.emulator.searches import names
from tests.helpers.oracles import JSON_CONTENT_TYPE, LIMIT_INFO

PHONE_SOSL = "FIND {4155550100} IN PHONE FIELDS RETURNING Contact(Name)"
ANA = ("Contact", "Ana García")
MARCO = ("Lead", "Marco Rossi")


async def parameterized(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """The searchRecords of ``GET /parameterizedSearch`` (asserting a 200)."""
    response = await client.get(f"{API}/parameterizedSearch", params=params)
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["searchRecords"]
    return records


async def posted(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    """``POST /parameterizedSearch`` with ``body``."""
    return await client.post(f"{API}/parameterizedSearch", json=body)


# --- /search ----------------------------------------------------------------------------------


async def test_search_answer_and_headers(client: httpx.AsyncClient) -> None:
    """200 {"searchRecords": [...]}, JSON content type, API usage and a queryid header."""
    response = await client.get(f"{API}/search", params={"q": PHONE_SOSL})
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    assert LIMIT_INFO.match(response.headers["sforce-limit-info"])
    assert re.fullmatch(r"-[0-9a-z]{13}", response.headers["queryid"])
    assert list(response.json()) == ["searchRecords"]
    assert names(response.json()["searchRecords"]) == [ANA]


@pytest.mark.parametrize(("version", "wrapped"), [("31.0", False), ("36.0", False), ("37.0", True)])
async def test_answers_before_v37_are_bare_lists(
    client: httpx.AsyncClient, version: str, wrapped: bool
) -> None:
    """Before v37.0 the records come as a bare list; record urls carry the request's version."""
    response = await client.get(f"/services/data/v{version}/search/", params={"q": PHONE_SOSL})
    assert response.status_code == 200
    body = response.json()
    records = body["searchRecords"] if wrapped else body
    assert isinstance(records, list)
    assert names(records) == [ANA]
    assert records[0]["attributes"]["url"].startswith(f"/services/data/v{version}/sobjects/")


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
async def test_search_without_a_statement(client: httpx.AsyncClient, params: Any) -> None:
    """No q is "No search term found"."""
    response = await client.get(f"{API}/search", params=params)
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "MALFORMED_SEARCH"


async def test_search_is_read_only(client: httpx.AsyncClient) -> None:
    """/search answers GET only."""
    response = await client.post(f"{API}/search", json={"q": PHONE_SOSL})
    assert response.status_code == 405
    assert response.json()[0]["errorCode"] == "METHOD_NOT_ALLOWED"


async def test_search_as_a_composite_subrequest(client: httpx.AsyncClient) -> None:
    """A SOSL search runs as a Composite GET subrequest."""
    body = {
        "compositeRequest": [
            {"method": "GET", "url": f"{API}/search?q={PHONE_SOSL}", "referenceId": "caller"}
        ]
    }
    response = await client.post(f"{API}/composite", json=body)
    assert response.status_code == 200, response.text
    (answer,) = response.json()["compositeResponse"]
    assert answer["httpStatusCode"] == 200
    assert names(answer["body"]["searchRecords"]) == [ANA]


# --- GET /parameterizedSearch -----------------------------------------------------------------


async def test_parameterized_get_per_object_parameters(client: httpx.AsyncClient) -> None:
    """sobject, Obj.fields, Obj.where, Obj.orderBy and Obj.limit shape one object's records."""
    records = await parameterized(
        client,
        q="555",
        **{
            "in": "PHONE",
            "sobject": "Lead",
            "Lead.fields": "Name,Status",
            "Lead.where": "Status = 'Working - Contacted'",
            "Lead.orderBy": "Name DESC NULLS_LAST",
            "Lead.limit": "3",
        },
    )
    assert len(records) == 3
    assert all(list(r) == ["attributes", "Name", "Status"] for r in records)
    assert all(r["Status"] == "Working - Contacted" for r in records)
    assert [r["Name"] for r in records] == sorted((r["Name"] for r in records), reverse=True)


async def test_parameterized_get_global_parameters(client: httpx.AsyncClient) -> None:
    """fields applies to every object; defaultLimit to objects without a limit; overallLimit
    shares out the total."""
    records = await parameterized(
        client,
        q="555",
        fields="Id,Name",
        defaultLimit="2",
        overallLimit="3",
        sobject=["Contact", "Lead"],
        **{"in": "PHONE", "Lead.limit": "10"},
    )
    types = [r["attributes"]["type"] for r in records]
    assert types == ["Contact", "Contact", "Lead"]
    assert all(list(r) == ["attributes", "Id", "Name"] for r in records)


async def test_parameterized_get_offset(client: httpx.AsyncClient) -> None:
    """offset skips rows of the one object searched."""
    every = await parameterized(
        client, q="555", sobject="Lead", **{"in": "PHONE", "Lead.orderBy": "Name"}
    )
    later = await parameterized(
        client, q="555", sobject="Lead", offset="4", **{"in": "PHONE", "Lead.orderBy": "Name"}
    )
    assert later == every[4:]


async def test_parameterized_get_without_sobject(client: httpx.AsyncClient) -> None:
    """No sobject: every searchable object, ids only (the recorded request names sObject)."""
    records = await parameterized(client, q="Acme")
    assert {"Account", "Opportunity"} <= {r["attributes"]["type"] for r in records}
    assert all(list(r) == ["attributes", "Id"] for r in records)
    (acme,) = await parameterized(client, q="Acme", sObject="Account", **{"in": "NAME"})
    assert list(acme) == ["attributes", "Id"]


async def test_parameterized_search_keeps_sosl_operators(client: httpx.AsyncClient) -> None:
    """q is a search string: OR and quotes work; braces and pipes need no escaping."""
    records = await parameterized(
        client, q='"ana garcia" OR marco', sobject=["Contact", "Lead"], fields="Name"
    )
    assert names(records) == [ANA, MARCO]
    (acme,) = await parameterized(client, q="{acme|corporation}", sobject="Account", fields="Name")
    assert acme["Name"] == "Acme Corporation"


async def test_parameterized_search_before_v36_does_not_exist(client: httpx.AsyncClient) -> None:
    """/parameterizedSearch arrived in v36.0."""
    response = await client.get("/services/data/v35.0/parameterizedSearch", params={"q": "Acme"})
    assert response.status_code == 404
    old = await client.get("/services/data/v36.0/parameterizedSearch/", params={"q": "Acme"})
    assert isinstance(old.json(), list)


# --- POST /parameterizedSearch ----------------------------------------------------------------


async def test_parameterized_post_body(client: httpx.AsyncClient) -> None:
    """The documented body: global fields, per-object fields/where/limit/orderBy, limits."""
    response = await posted(
        client,
        {
            "q": "555",
            "in": "PHONE",
            "fields": ["Id", "Name"],
            "sobjects": [
                {"name": "Contact", "where": "DoNotCall = true", "orderBy": "Name"},
                {"name": "Lead", "fields": ["Name", "Company"], "limit": 1},
            ],
            "overallLimit": 4,
            "defaultLimit": 5,
            "spellCorrection": True,
        },
    )
    assert response.status_code == 200, response.text
    records = response.json()["searchRecords"]
    contacts = [r for r in records if r["attributes"]["type"] == "Contact"]
    leads = [r for r in records if r["attributes"]["type"] == "Lead"]
    assert (len(contacts), len(leads)) == (3, 1)
    assert all(list(r) == ["attributes", "Id", "Name"] for r in contacts)
    assert [r["Name"] for r in contacts] == sorted(r["Name"] for r in contacts)
    assert list(leads[0]) == ["attributes", "Name", "Company"]


async def test_parameterized_post_limits_may_be_strings(client: httpx.AsyncClient) -> None:
    """The guide types the limits as strings; JSON numbers work too."""
    response = await posted(
        client, {"q": "555", "in": "PHONE", "sobjects": [{"name": "Lead"}], "overallLimit": "2"}
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["searchRecords"]) == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"in": "PHONE"}, "MALFORMED_SEARCH"),
        ({"q": "a"}, "MALFORMED_SEARCH"),
        ({"q": "Acme", "overallLimit": "many"}, "MALFORMED_SEARCH"),
        ({"q": "Acme", "overallLimit": True}, "MALFORMED_SEARCH"),
        ({"q": "Acme", "offset": 2, "sobjects": [{"name": "Lead"}, {"name": "Contact"}]}, None),
        ({"q": "Acme", "sobjects": "Lead"}, "JSON_PARSER_ERROR"),
        ({"q": "Acme", "sobjects": [{"name": "Lead", "fields": "Name"}]}, "JSON_PARSER_ERROR"),
        ({"q": 42}, "JSON_PARSER_ERROR"),
        (["Acme"], "JSON_PARSER_ERROR"),
        ({"q": "Acme", "sobjects": [{"name": "Leed"}]}, "INVALID_TYPE"),
        ({"q": "Acme", "sobjects": [{"name": "Lead", "fields": ["Nmae"]}]}, "INVALID_FIELD"),
        ({"q": "Acme", "sobjects": [{"name": "Lead", "where": "Name ="}]}, "MALFORMED_SEARCH"),
    ],
)
async def test_parameterized_post_refusals(
    client: httpx.AsyncClient, body: Any, code: str | None
) -> None:
    """Bad parameters are 400; a statement's refusal comes without an echo of the statement."""
    response = await posted(client, body)
    assert response.status_code == 400, response.text
    (error,) = response.json()
    assert error["errorCode"] == (code or "MALFORMED_SEARCH")
    assert not error["message"].startswith("\n")
    assert "FIND {" not in error["message"]


async def test_parameterized_get_refusal_has_no_echo(client: httpx.AsyncClient) -> None:
    """An unknown field in Obj.fields is INVALID_FIELD in Salesforce's words, without an echo."""
    response = await client.get(
        f"{API}/parameterizedSearch",
        params={"q": "Acme", "sobject": "Account", "Account.fields": "Id,Foo"},
    )
    assert response.status_code == 400
    (error,) = response.json()
    assert error["errorCode"] == "INVALID_FIELD"
    assert error["message"].startswith("No such column 'Foo' on entity 'Account'.")
