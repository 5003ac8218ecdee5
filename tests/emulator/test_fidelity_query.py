"""SOQL query answers like the real recordings (tests.helpers.oracles), by shape.

Most recordings are replayed verbatim: the recording orgs' objects and fields are the demo
org's, so the recorded SOQL runs as it is. CumulusCI and Snowfakery cassettes name the host
``orgname`` and often the version ``vxx.0`` (a redaction): those are asked at v62.0. restforce's
samples (``restforce__*``) are hand-written around real shapes (object "Whizbang"): only their
shape counts, through an equivalent query on the demo objects.

Not replayed: ``cumulusci__typeof_polymorphic_Who.json`` (the emulator's SOQL has no ``TYPEOF``),
``restforce__org_query_response.json`` (no Organization object), and the Nango ``tickets``
queries of CaseComment and FeedItem (no such objects).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers.emulator import is_id18
from tests.helpers.oracles import JSON_CONTENT_TYPE, LIMIT_INFO, assert_same_shape, load

QUERY = "fixtures/query"
NANGO = "fixtures/recorded/nango"
#: ``/services/data/vXX.X/query/<locator>-<offset>``; the locator is an 18-character 0r8 id.
LOCATOR_URL = re.compile(r"^/services/data/v(\d+\.0)/query/(0r8[0-9A-Za-z]{15})-(\d+)$")
#: newline, the query echoed, a caret under the culprit, its position, the explanation.
SOQL_ERROR = re.compile(
    r"\n(?P<echo>[^\n]*)\n(?P<pad> *)\^\nERROR at Row:(?P<row>\d+):Column:(?P<column>\d+)\n"
    r"(?P<text>.+)",
    re.DOTALL,
)


def recorded(relative: str, index: int = 0) -> dict[str, Any]:
    """One ``{request, response}``: a single-interaction fixture or one of a recorded file's."""
    found: dict[str, Any] = load(relative)
    if "interactions" in found:
        found = found["interactions"][index]
    return found


def cassette_request(uri: str) -> tuple[str, str]:
    """The path (a redacted ``vxx.0`` asked at v62.0) and the SOQL of a cassette's query URI."""
    parts = urlsplit(uri)
    path = parts.path.replace("/vxx.0/", "/v62.0/")
    return path, parse_qs(parts.query)["q"][0]


def check_records(real: dict[str, Any], ours: dict[str, Any], version: str) -> None:
    """Every record has the real ones' shape, a versioned url and an 18-character id."""
    assert_same_shape(real, ours)
    assert ours["records"], "the replayed query found nothing to compare"
    for record in ours["records"]:
        kind = record["attributes"]["type"]
        url = f"/services/data/v{version}/sobjects/{kind}/"
        assert record["attributes"]["url"].startswith(url)
        assert len(record["attributes"]["url"].removeprefix(url)) == 18
        if "Id" in record:
            assert is_id18(record["Id"], "")


def soql_error_parts(message: str) -> dict[str, str]:
    """The parts of a SOQL error message (asserting Salesforce's layout)."""
    match = SOQL_ERROR.fullmatch(message)
    assert match, f"not Salesforce's SOQL error layout: {message!r}"
    assert int(match["column"]) == len(match["pad"]) + 1  # the caret is under the column
    return match.groupdict()


# --- replayed queries -----------------------------------------------------------------------

#: Recorded queries replayed verbatim (path, version and SOQL as recorded, done true).
REPLAYED = [
    (f"{QUERY}/nango__query_v63_200.json", 0),
    (f"{QUERY}/nango__queryAll_v60_200.json", 0),
    (f"{NANGO}/records-by-soql.interactions.json", 0),
    (f"{NANGO}/contacts.interactions.json", 0),
    (f"{NANGO}/opportunities.interactions.json", 0),
    (f"{NANGO}/cases.interactions.json", 0),
    (f"{NANGO}/tickets.interactions.json", 0),
    (f"{NANGO}/users.interactions.json", 0),
]


@pytest.mark.parametrize(("relative", "index"), REPLAYED)
async def test_replayed_query_matches_recording(
    client: httpx.AsyncClient, relative: str, index: int
) -> None:
    """A recorded query (or queryAll) replayed verbatim answers the recorded shape and headers."""
    interaction = recorded(relative, index)
    request, real = interaction["request"], interaction["response"]
    response = await client.get(request["path"], params={"q": request["params"]["q"]})
    assert response.status_code == real["status"] == 200
    ours = response.json()
    assert real["body"]["done"] is True
    assert list(ours) == list(real["body"]) == ["totalSize", "done", "records"]
    version = request["path"].split("/")[3].removeprefix("v")
    check_records(real["body"], ours, version)
    assert response.headers["content-type"] == real["headers"]["content-type"]
    assert LIMIT_INFO.match(real["headers"]["sforce-limit-info"])
    assert LIMIT_INFO.match(response.headers["sforce-limit-info"])


@pytest.mark.parametrize(
    ("filename", "sobject"),
    [
        ("nango__query_leads_v60.json", "Lead"),
        ("nango__query_opportunities_v60.json", "Opportunity"),
    ],
)
async def test_query_matches_mock_body(
    client: httpx.AsyncClient, filename: str, sobject: str
) -> None:
    """The fields of Nango's recorded v60 bodies, polymorphic Owner.Name included, as recorded."""
    real = load(f"{QUERY}/{filename}")
    # The bodies come without their request: select what their records hold.
    fields = [
        f"{key}.Name" if isinstance(value, dict) else key
        for key, value in real["records"][0].items()
        if key != "attributes"
    ]
    soql = f"SELECT {', '.join(fields)} FROM {sobject}"  # noqa: S608 - SOQL test text, no SQL database
    response = await client.get("/services/data/v60.0/query", params={"q": soql})
    assert response.status_code == 200
    ours = response.json()
    check_records(real, ours, "60.0")
    assert [list(record) for record in ours["records"]] == [
        list(real["records"][0]) for _ in ours["records"]
    ]
    if sobject == "Lead":  # Owner is polymorphic: its nested records are of type "Name"
        assert {record["Owner"]["attributes"]["type"] for record in real["records"]} == {"Name"}
        assert {record["Owner"]["attributes"]["type"] for record in ours["records"]} == {"Name"}


async def test_empty_result_matches_sample(client: httpx.AsyncClient) -> None:
    """A query that matches nothing answers exactly restforce's empty result."""
    real = load(f"{QUERY}/restforce__query_empty_response.json")
    soql = "SELECT Id FROM Account WHERE Name = 'No such account'"
    response = await client.get("/services/data/v62.0/query", params={"q": soql})
    assert response.status_code == 200
    assert response.json() == real


# --- COUNT() and aggregates -----------------------------------------------------------------


async def test_count_matches_recording(client: httpx.AsyncClient) -> None:
    """SELECT count() answers the count in totalSize and no records, as recorded at v50."""
    interaction = recorded(f"{QUERY}/snowfakery__count_only_v50.json")
    path, soql = cassette_request(interaction["request"]["uri"])
    assert path == "/services/data/v50.0/query/"
    response = await client.get(path, params={"q": soql})
    assert response.status_code == interaction["response"]["status"] == 200
    ours = response.json()
    real = interaction["response"]["body"]
    assert_same_shape(real, ours)
    assert list(ours) == list(real)
    assert ours["records"] == real["records"] == []
    assert ours["totalSize"] == 60  # the demo org's accounts


async def test_aggregate_matches_recording(client: httpx.AsyncClient) -> None:
    """count(Id) answers one AggregateResult record: attributes with only a type, and expr0."""
    interaction = recorded(f"{QUERY}/cumulusci__aggregate_count_Id_expr0.json")
    path, soql = cassette_request(interaction["request"]["uri"])
    response = await client.get(path, params={"q": soql})
    assert response.status_code == interaction["response"]["status"] == 200
    ours = response.json()
    real = interaction["response"]["body"]
    assert_same_shape(real, ours)
    assert ours["records"][0]["attributes"] == {"type": "AggregateResult"}
    assert ours["records"][0]["expr0"] == 60  # the demo org's accounts
    assert isinstance(ours["records"][0]["expr0"], int)  # a count is an integer, as recorded


async def test_grouped_aggregate_matches_sample(client: httpx.AsyncClient) -> None:
    """GROUP BY answers one AggregateResult per group, the group field and expr0 (restforce)."""
    real = load(f"{QUERY}/restforce__query_aggregate_success_response.json")
    soql = "SELECT LeadSource, SUM(Amount) FROM Opportunity GROUP BY LeadSource"
    response = await client.get("/services/data/v62.0/query", params={"q": soql})
    assert response.status_code == 200
    ours = response.json()
    # The sample groups campaigns' opportunities; the demo org's have no campaign.
    renamed = [
        {("LeadSource" if key == "CampaignId" else key): value for key, value in record.items()}
        for record in real["records"]
    ]
    assert_same_shape({**real, "records": renamed}, ours)
    assert ours["totalSize"] == len(ours["records"]) > 1
    for record in ours["records"]:
        assert list(record) == ["attributes", "LeadSource", "expr0"]


# --- relationships --------------------------------------------------------------------------


async def test_child_subquery_matches_recording(client: httpx.AsyncClient) -> None:
    """A child subquery answers a nested query result, or null for a parent without children."""
    interaction = recorded(f"{QUERY}/cumulusci__subquery_child_relationship_null.json")
    real = interaction["response"]["body"]
    ana = (
        await client.get(
            "/services/data/v62.0/query",
            params={"q": "SELECT Id FROM Contact WHERE Email = 'ana@example.com'"},
        )
    ).json()["records"][0]["Id"]
    opportunity = await client.post(
        "/services/data/v62.0/sobjects/Opportunity",
        json={
            "Name": "Ana's",
            "StageName": "Prospecting",
            "CloseDate": "2030-01-01",
            "ContactId": ana,
        },
    )
    assert opportunity.status_code == 201
    path, soql = cassette_request(interaction["request"]["uri"])
    response = await client.get(path, params={"q": soql})
    assert response.status_code == interaction["response"]["status"] == 200
    ours = response.json()
    check_records(real, ours, "62.0")
    children = {
        record["attributes"]["url"][-18:]: record["Opportunities"] for record in ours["records"]
    }
    assert None in children.values()  # not an empty result: null
    real_nested = next(r["Opportunities"] for r in real["records"] if r["Opportunities"])
    assert_same_shape(real_nested, children[ana])
    assert children[ana]["records"][0]["Name"] == "Ana's"


async def test_relationships_match_sample(client: httpx.AsyncClient) -> None:
    """A parent relationship nests a record with attributes; a child one nests a query result."""
    real = load(f"{QUERY}/restforce__query_success_response.json")
    sample = real["records"][0]
    parent, children = sample["ParentWhizbang__r"], sample["Whizbangs__r"]
    # The sample's Whizbang fields mapped onto Contact, its Account and its Tasks.
    expected = {
        "attributes": sample["attributes"],
        "FirstName": sample["Text_Label"],
        "Account": {
            "attributes": parent["attributes"],
            "Name": parent["Name"],
            "Phone": parent["Text_Label"],
        },
        "Tasks": {
            **children,
            "records": [
                {"attributes": child["attributes"], "Subject": child["Name"]}
                for child in children["records"]
            ],
        },
    }
    soql = (
        "SELECT FirstName, Account.Name, Account.Phone, (SELECT Subject FROM Tasks) "
        "FROM Contact WHERE Email = 'ana@example.com'"
    )
    response = await client.get("/services/data/v62.0/query", params={"q": soql})
    assert response.status_code == 200
    ours = response.json()
    assert_same_shape({**real, "records": [expected]}, ours)
    assert list(ours["records"][0]) == list(expected)
    assert list(ours["records"][0]["Account"]) == ["attributes", "Name", "Phone"]


# --- pages ----------------------------------------------------------------------------------


def check_last_page(interaction: dict[str, Any], response: httpx.Response, version: str) -> None:
    """A last page as recorded: no nextRecordsUrl, done, the same totalSize as the first page."""
    real = interaction["response"]
    assert response.status_code == real["status"] == 200
    ours = response.json()
    assert list(ours) == list(real["body"]) == ["totalSize", "done", "records"]
    check_records(real["body"], ours, version)
    assert ours["done"] is True
    assert ours["totalSize"] == 260
    assert len(ours["records"]) == 60
    assert response.headers["content-type"] == real["headers"]["content-type"]
    assert LIMIT_INFO.match(response.headers["sforce-limit-info"])


async def test_pages_match_recordings(client: httpx.AsyncClient) -> None:
    """A result over the batch size pages as recorded: nextRecordsUrl first, none on the last."""
    first_real = recorded(f"{NANGO}/accounts.interactions.json", 0)
    # 200 more accounts (260 in all) and the smallest batch make two pages, as 2086 rows did.
    records = [{"attributes": {"type": "Account"}, "Name": f"Page {i}"} for i in range(200)]
    created = await client.post(
        "/services/data/v62.0/composite/sobjects", json={"records": records}
    )
    assert created.status_code == 200
    batch = {"Sforce-Query-Options": "batchSize=200"}
    request = first_real["request"]
    first = await client.get(request["path"], params={"q": request["params"]["q"]}, headers=batch)
    assert first.status_code == first_real["response"]["status"] == 200
    ours, real = first.json(), first_real["response"]["body"]
    assert list(ours) == list(real) == ["totalSize", "done", "nextRecordsUrl", "records"]
    check_records(real, ours, "59.0")
    assert ours["done"] is real["done"] is False
    assert ours["totalSize"] == 260
    assert len(ours["records"]) == 200
    real_url = LOCATOR_URL.match(real["nextRecordsUrl"])
    our_url = LOCATOR_URL.match(ours["nextRecordsUrl"])
    assert real_url
    assert our_url
    assert (real_url[1], real_url[3]) == ("59.0", str(len(real["records"])))
    assert (our_url[1], our_url[3]) == ("59.0", "200")  # the offset of the next page
    last_real = recorded(f"{NANGO}/accounts.interactions.json", 1)
    assert last_real["request"]["path"] == real["nextRecordsUrl"]
    check_last_page(last_real, await client.get(ours["nextRecordsUrl"]), "59.0")
    # retrieve-query-more: the last page of SELECT Id, Name FROM Account at v60.
    more_real = recorded(f"{QUERY}/nango__query_locator_last_page_v60_200.json")
    start = await client.get(
        "/services/data/v60.0/query", params={"q": "SELECT Id, Name FROM Account"}, headers=batch
    )
    check_last_page(more_real, await client.get(start.json()["nextRecordsUrl"]), "60.0")


async def test_pages_match_samples(client: httpx.AsyncClient) -> None:
    """First and last pages have the top-level keys of restforce's paginated samples."""
    first_real = load(f"{QUERY}/restforce__query_paginated_first_page_response.json")
    last_real = load(f"{QUERY}/restforce__query_paginated_last_page_response.json")
    # Their locator ("/services/data/v26.0/query/01gD") is hand-written: not a real locator.
    assert not LOCATOR_URL.match(first_real["nextRecordsUrl"])
    created = await client.post(
        "/services/data/v62.0/composite/sobjects",
        json={
            "records": [
                {"attributes": {"type": "Account"}, "Name": f"Page {i}"} for i in range(150)
            ]
        },
    )
    assert created.status_code == 200
    first = await client.get(
        "/services/data/v62.0/query",
        params={"q": "SELECT Name FROM Account"},
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    ours = first.json()
    last = (await client.get(ours["nextRecordsUrl"])).json()
    for real, body in ((first_real, ours), (last_real, last)):
        top = {key: value for key, value in real.items() if key != "records"}
        assert_same_shape(top, {key: value for key, value in body.items() if key != "records"})
        assert_same_shape(real["records"][0]["attributes"], body["records"][0]["attributes"])
        assert body["totalSize"] == 210


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filename",
    ["snowfakery__query_INVALID_TYPE_400.json", "snowfakery__query_INVALID_TYPE_v50_400.json"],
)
async def test_invalid_type_matches_recording(client: httpx.AsyncClient, filename: str) -> None:
    """An unknown object is 400 with exactly the recorded INVALID_TYPE body, caret and all."""
    interaction = recorded(f"fixtures/errors/{filename}")
    path, soql = cassette_request(interaction["request"]["uri"])
    response = await client.get(path, params={"q": soql})
    assert response.status_code == interaction["response"]["status"] == 400
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    real = interaction["response"]["body"]
    assert response.json() == real
    parts = soql_error_parts(real[0]["message"])
    assert parts["echo"] == soql.strip()  # the echo drops the recorded trailing space


async def test_invalid_field_matches_sample(client: httpx.AsyncClient) -> None:
    """An unknown column is 400 INVALID_FIELD with the echo, caret and position layout."""
    real = load(f"{QUERY}/restforce__query_error_response.json")
    response = await client.get(
        "/services/data/v62.0/query", params={"q": "SELECT Foo FROM Account"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    ours = response.json()
    assert_same_shape(real, ours)  # restforce's message is "error_message": shape only
    assert ours[0]["errorCode"] == real[0]["errorCode"] == "INVALID_FIELD"
    # The text CONTRACT.md §5 quotes from real answers.
    assert ours[0]["message"] == (
        "\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\n"
        "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, "
        "be sure to append the '__c' after the custom field name. Please reference your WSDL or "
        "the describe call for the appropriate names."
    )
    assert soql_error_parts(ours[0]["message"])["column"] == "8"


async def test_malformed_query_matches_layout(client: httpx.AsyncClient) -> None:
    """A syntax error is 400 MALFORMED_QUERY in the layout of the recorded INVALID_TYPE errors."""
    interaction = recorded("fixtures/errors/snowfakery__query_INVALID_TYPE_400.json")
    real = interaction["response"]["body"]
    soql = "SELECT Id FROM Account LIMIT q"
    response = await client.get("/services/data/v62.0/query", params={"q": soql})
    assert response.status_code == 400
    ours = response.json()
    assert_same_shape(real, ours)
    assert list(ours[0]) == list(real[0])
    assert ours[0]["errorCode"] == "MALFORMED_QUERY"
    parts = soql_error_parts(ours[0]["message"])
    assert parts["echo"] == soql
    assert parts["row"] == "1"
    assert parts["column"] == str(soql.index(" q") + 2)
    assert parts["text"].startswith("unexpected token: ")
