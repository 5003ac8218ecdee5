"""describeGlobal, an object's basic info and its describe (emulator.describe_endpoints)."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from emulator.org import Org
from tests.helpers.emulator import API, BASE_URL

OBJECTS = ["Account", "Case", "Contact", "Event", "Lead", "Opportunity", "Task", "User"]


async def test_describe_global_lists_every_object(client: httpx.AsyncClient) -> None:
    """describeGlobal lists the eight objects with encoding, batch size and versioned urls."""
    response = await client.get("/services/data/v61.0/sobjects")
    assert response.status_code == 200
    body = response.json()
    assert body["encoding"] == "UTF-8"
    assert body["maxBatchSize"] == 200
    assert [entry["name"] for entry in body["sobjects"]] == OBJECTS
    account = body["sobjects"][0]
    assert account["keyPrefix"] == "001"
    assert account["associateEntityType"] is None
    assert account["urls"]["rowTemplate"] == "/services/data/v61.0/sobjects/Account/{ID}"
    assert not any(name.startswith("ui") for name in account["urls"])


async def test_describe_global_with_trailing_slash(client: httpx.AsyncClient) -> None:
    """GET /sobjects/ answers describeGlobal too."""
    response = await client.get(f"{API}/sobjects/")
    assert response.status_code == 200
    assert len(response.json()["sobjects"]) == len(OBJECTS)


async def test_describe_substitutes_version_and_instance(client: httpx.AsyncClient) -> None:
    """A describe's urls carry the request's version and base URL, never a placeholder."""
    response = await client.get("/services/data/v59.0/sobjects/Account/describe")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert body["name"] == "Account"
    assert body["urls"]["describe"] == "/services/data/v59.0/sobjects/Account/describe"
    assert body["urls"]["uiDetailTemplate"] == f"{BASE_URL}/{{ID}}"
    assert body["urls"]["rowTemplate"].endswith("/Account/{ID}")
    assert "{version}" not in response.text
    assert "{instance}" not in response.text


async def test_describe_has_current_top_level_keys_in_order(client: httpx.AsyncClient) -> None:
    """Every describe has the v58+ top-level keys, sorted as Salesforce sends them."""
    for name in OBJECTS:
        body = (await client.get(f"{API}/sobjects/{name}/describe")).json()
        assert body["sobjectDescribeOption"] == "FULL"
        assert list(body) == sorted(body)
        assert "defaultValues" not in body["urls"]


async def test_describe_names_are_case_insensitive(client: httpx.AsyncClient) -> None:
    """/sobjects/contact/describe/ describes Contact under its canonical name."""
    response = await client.get(f"{API}/sobjects/contact/describe/")
    assert response.status_code == 200
    assert response.json()["name"] == "Contact"


@pytest.mark.parametrize("path", ["/sobjects/Nope__c/describe", "/sobjects/Nope__c"])
async def test_unknown_object_is_not_found(client: httpx.AsyncClient, path: str) -> None:
    """An unknown object answers 404 NOT_FOUND, as Salesforce does."""
    response = await client.get(f"{API}{path}")
    assert response.status_code == 404
    assert response.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


async def test_describe_needs_a_session(anon_client: httpx.AsyncClient) -> None:
    """Describes are data API calls: no token, 401 INVALID_SESSION_ID."""
    response = await anon_client.get(f"{API}/sobjects/Account/describe")
    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


@pytest.mark.parametrize("object_name", ["Lead", "Contact"])
async def test_external_id_field_is_described(client: httpx.AsyncClient, object_name: str) -> None:
    """External_Id__c on Lead and Contact is a unique, custom external id."""
    body = (await client.get(f"{API}/sobjects/{object_name}/describe")).json()
    field = next(f for f in body["fields"] if f["name"] == "External_Id__c")
    assert field["externalId"] is True
    assert field["unique"] is True
    assert field["custom"] is True


async def test_describe_carries_validators(client: httpx.AsyncClient) -> None:
    """A describe has an ETag like Salesforce's and an HTTP-date Last-Modified."""
    response = await client.get(f"{API}/sobjects/Account/describe")
    etag = response.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('--gzip"')
    assert email.utils.parsedate_to_datetime(response.headers["last-modified"]) is not None
    again = await client.get(f"{API}/sobjects/Account/describe")
    assert again.headers["etag"] == etag
    assert again.content == response.content
    other = await client.get(f"{API}/sobjects/Contact/describe")
    assert other.headers["etag"] != etag


async def test_if_none_match_answers_not_modified(client: httpx.AsyncClient) -> None:
    """A describe asked with its own ETag answers 304 with no body; another ETag gets 200."""
    first = await client.get(f"{API}/sobjects/Lead/describe")
    etag = first.headers["etag"]
    cached = await client.get(f"{API}/sobjects/Lead/describe", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    without_suffix = etag.replace("--gzip", "")
    again = await client.get(
        f"{API}/sobjects/Lead/describe", headers={"If-None-Match": without_suffix}
    )
    assert again.status_code == 304
    stale = await client.get(f"{API}/sobjects/Lead/describe", headers={"If-None-Match": '"0"'})
    assert stale.status_code == 200


async def test_if_modified_since_answers_not_modified(client: httpx.AsyncClient) -> None:
    """A describe asked If-Modified-Since its Last-Modified answers 304; earlier gets 200."""
    first = await client.get(f"{API}/sobjects")
    since = first.headers["last-modified"]
    cached = await client.get(f"{API}/sobjects", headers={"If-Modified-Since": since})
    assert cached.status_code == 304
    older = await client.get(
        f"{API}/sobjects", headers={"If-Modified-Since": "Wed, 01 Jan 2020 00:00:00 GMT"}
    )
    assert older.status_code == 200
    garbled = await client.get(f"{API}/sobjects", headers={"If-Modified-Since": "yesterday"})
    assert garbled.status_code == 200


async def test_pretty_describe_is_jackson_style(client: httpx.AsyncClient) -> None:
    """X-PrettyPrint: 1 gives the same describe, pretty-printed, with the same ETag."""
    compact = await client.get(f"{API}/sobjects/Task/describe")
    pretty = await client.get(f"{API}/sobjects/Task/describe", headers={"X-PrettyPrint": "1"})
    assert pretty.json() == compact.json()
    assert '"name" : "Task"' in pretty.text
    assert pretty.headers["etag"] == compact.headers["etag"]


async def test_basic_info_lists_recent_records(client: httpx.AsyncClient, org: Org) -> None:
    """GET /sobjects/Account answers its global entry and the five latest records."""
    response = await client.get(f"{API}/sobjects/Account")
    assert response.status_code == 200
    body = response.json()
    assert body["objectDescribe"]["name"] == "Account"
    assert body["objectDescribe"]["urls"]["sobject"] == f"{API}/sobjects/Account"
    recent = body["recentItems"]
    assert len(recent) == 5
    latest = max(org.store.records("Account"), key=lambda r: r["LastModifiedDate"])
    assert recent[0] == {
        "attributes": {"type": "Account", "url": f"{API}/sobjects/Account/{latest['Id']}"},
        "Id": latest["Id"],
        "Name": latest["Name"],
    }
    assert "etag" not in response.headers


async def test_basic_info_uses_the_name_field(client: httpx.AsyncClient) -> None:
    """Recent cases are named by CaseNumber, their name field."""
    recent = (await client.get(f"{API}/sobjects/Case/")).json()["recentItems"]
    assert recent
    assert set(recent[0]) == {"attributes", "Id", "CaseNumber"}


async def test_basic_info_of_an_empty_object(client: httpx.AsyncClient, org: Org) -> None:
    """An object without records has no recent items."""
    org.store.clear()
    response = await client.get(f"{API}/sobjects/Opportunity")
    assert response.status_code == 200
    assert response.json()["recentItems"] == []
