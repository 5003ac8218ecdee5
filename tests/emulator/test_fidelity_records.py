"""sObject rows answer like the real recordings (tests.helpers.oracles), by shape.

Each test replays a recorded request (same method, path and version, the body adapted to the
demo org's seed records) and compares status, content type, key sets and value types, error
codes and the headers the recording has (``Location``, ``Sforce-Limit-Info``, ``ETag``).
restforce's samples (``restforce__*``) are hand-written around real shapes (object "Whizbang",
ids like "some_id"): only their shape counts. ``cumulusci__get_Organization_record.json`` is not
replayed: the demo org has no Organization object.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from typing import Any

import httpx
import pytest

from emulator.org import Org
from tests.helpers.emulator import demo_user_id, is_id18
from tests.helpers.oracles import (
    LIMIT_INFO,
    ORG_SPECIFIC_FIELD,
    assert_same_shape,
    load,
    oracle_path,
)

ROWS = "fixtures/sobject_rows"
UPSERT = "fixtures/upsert"
#: Keys of an address object that exist only with state and country picklists enabled.
PICKLIST_ADDRESS_KEYS = {"countryCode", "stateCode"}
#: Fields a 2026 org's User has that the demo org's User describe lacks: that describe is derived
#: from a trimmed one (describe/User.trimmed_soqlMetadata.ganttchart.json), the only one found.
USER_FIELDS_NOT_IN_TRIMMED_DESCRIBE = {
    "StartDay",
    "EndDay",
    "PasswordExpirationDate",
    "SuAccessExpirationDate",
    "UserPreferencesLiveAgentMiawSetupDeflection",
    "UserPreferencesShowForecastingRoundedAmounts",
}


def check_headers(real: dict[str, str], ours: httpx.Headers) -> None:
    """The headers that matter, where the recording has them, have the recorded form."""
    if "content-type" in real:
        assert ours["content-type"] == real["content-type"]
    if "sforce-limit-info" in real:
        assert LIMIT_INFO.match(real["sforce-limit-info"])
        assert LIMIT_INFO.match(ours["sforce-limit-info"])
    if "location" in real:  # same version and object; the id is the record's
        assert ours["location"].rsplit("/", 1)[0] == real["location"].rsplit("/", 1)[0]
    if "etag" in real:
        assert real["etag"].endswith('--gzip"')
        assert ours["etag"].endswith('--gzip"')
    if "last-modified" in real:
        assert ours["last-modified"].endswith(" GMT")


def without_org_specific(
    record: dict[str, Any], also: AbstractSet[str] = frozenset()
) -> dict[str, Any]:
    """A real record without the recording org's own fields (custom fields, picklist ISO codes)."""
    kept: dict[str, Any] = {}
    for key, value in record.items():
        if ORG_SPECIFIC_FIELD.search(key) or key in also:
            continue
        if key.endswith("Address") and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in PICKLIST_ADDRESS_KEYS}
        kept[key] = value
    return kept


async def seed_id(client: httpx.AsyncClient, sobject: str, where: str) -> str:
    """The id of the one seed record of ``sobject`` matching ``where``."""
    soql = f"SELECT Id FROM {sobject} WHERE {where}"  # noqa: S608 - SOQL test text, no SQL database
    records = (await client.get("/services/data/v62.0/query", params={"q": soql})).json()["records"]
    assert len(records) == 1, soql
    found: str = records[0]["Id"]
    return found


async def describe_field_names(client: httpx.AsyncClient, sobject: str) -> list[str]:
    """Our describe's field names of ``sobject``, in describe order."""
    describe = (await client.get(f"/services/data/v62.0/sobjects/{sobject}/describe")).json()
    return [field["name"] for field in describe["fields"]]


# --- create ---------------------------------------------------------------------------------


async def test_create_matches_recording(client: httpx.AsyncClient) -> None:
    """POST /sobjects/Account/ answers 201, a SaveResult, Location and Sforce-Limit-Info."""
    recording = load(f"{ROWS}/nango__create_Account_v59_201.json")
    request, real = recording["request"], recording["response"]
    response = await client.post(request["path"], json=request["data"])
    assert response.status_code == real["status"] == 201
    body = response.json()
    assert_same_shape(real["body"], body)
    assert list(body) == list(real["body"])
    assert is_id18(real["body"]["id"], "001")
    assert is_id18(body["id"], "001")
    check_headers(real["headers"], response.headers)
    assert response.headers["location"] == f"/services/data/v59.0/sobjects/Account/{body['id']}"


async def test_create_save_result_matches_samples(client: httpx.AsyncClient) -> None:
    """A create's SaveResult has the keys of Nango's v60 Lead sample and restforce's sample."""
    response = await client.post(
        "/services/data/v60.0/sobjects/Lead", json={"LastName": "Okafor", "Company": "Kestrel"}
    )
    assert response.status_code == 201
    body = response.json()
    lead = load(f"{ROWS}/nango__create_lead_v60.json")
    assert_same_shape(lead, body)
    assert is_id18(lead["id"], "00Q")
    assert is_id18(body["id"], "00Q")
    # restforce's id is "some_id": shape only.
    assert_same_shape(load(f"{ROWS}/restforce__create_success_response.json"), body)


# --- read -----------------------------------------------------------------------------------


async def test_get_matches_recording(client: httpx.AsyncClient) -> None:
    """GET /sobjects/Account/{id} answers every field with a real record's shape and headers."""
    recording = load(f"{ROWS}/nango__get_Account_v62_200.json")
    real = recording["response"]
    acme = await seed_id(client, "Account", "Name = 'Acme Corporation'")
    response = await client.get(f"/services/data/v62.0/sobjects/Account/{acme}")
    assert response.status_code == real["status"] == 200
    ours = response.json()
    # Which fields an Account has is the org's describe: ours may have fields that org lacks.
    assert_same_shape(without_org_specific(real["body"]), ours, allow_extra={""})
    assert list(ours) == ["attributes", *await describe_field_names(client, "Account")]
    assert ours["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v62.0/sobjects/Account/{acme}",
    }
    assert is_id18(real["body"]["Id"], "001")
    assert is_id18(ours["Id"], "001")
    check_headers(real["headers"], response.headers)


async def test_get_by_external_id_matches_recording(client: httpx.AsyncClient, org: Org) -> None:
    """GET /sobjects/User/Id/{id} answers the User record as recorded, address object included."""
    recording = load(f"{ROWS}/nango__get_User_by_Id_field_v60_200.json")
    real = recording["response"]
    user_id = demo_user_id(org)
    response = await client.get(f"/services/data/v60.0/sobjects/User/Id/{user_id}")
    assert response.status_code == real["status"] == 200
    ours = response.json()
    expected = without_org_specific(real["body"], USER_FIELDS_NOT_IN_TRIMMED_DESCRIBE)
    assert_same_shape(expected, ours, allow_extra={""})
    assert set(ours["Address"]) == set(expected["Address"])
    assert ours["attributes"]["url"] == f"/services/data/v60.0/sobjects/User/{user_id}"
    # The recording has Last-Modified and no ETag; ours also sends an ETag, as for GET by Id.
    check_headers(real["headers"], response.headers)
    # By a custom external id too, the url names the record's Id.
    lead = await client.get("/services/data/v60.0/sobjects/Lead/External_Id__c/L-000001")
    assert lead.status_code == 200
    body = lead.json()
    assert_same_shape(real["body"]["attributes"], body["attributes"])
    assert body["attributes"]["url"] == f"/services/data/v60.0/sobjects/Lead/{body['Id']}"
    assert is_id18(body["Id"], "00Q")


async def test_get_selected_fields_matches_sample(client: httpx.AsyncClient) -> None:
    """GET …?fields=X answers attributes, X and then Id, as restforce's sample (shape only)."""
    real = load(f"{ROWS}/restforce__sobject_select_success_response.json")
    lead = await seed_id(client, "Lead", "External_Id__c = 'L-000001'")
    response = await client.get(
        f"/services/data/v62.0/sobjects/Lead/{lead}", params={"fields": "External_Id__c"}
    )
    assert response.status_code == 200
    ours = response.json()
    assert list(real) == ["attributes", "External_Field__c", "Id"]
    assert list(ours) == ["attributes", "External_Id__c", "Id"]
    renamed = {
        ("External_Id__c" if key == "External_Field__c" else key): v for key, v in real.items()
    }
    assert_same_shape(renamed, ours)


async def test_get_has_keys_of_sample(client: httpx.AsyncClient) -> None:
    """A record has the attributes and system fields of restforce's (hand-written) sample."""
    real = load(f"{ROWS}/restforce__sobject_find_success_response.json")
    acme = await seed_id(client, "Account", "Name = 'Acme Corporation'")
    ours = (await client.get(f"/services/data/v62.0/sobjects/Account/{acme}")).json()
    # The sample's other fields are "Whizbang" custom fields (…_Label): not compared.
    common = ("attributes", "Id", "OwnerId", "IsDeleted", "Name", "CreatedById", "LastModifiedById")
    assert_same_shape({key: real[key] for key in common}, ours, allow_extra={""})


# --- update, delete -------------------------------------------------------------------------


async def test_update_matches_recording(client: httpx.AsyncClient) -> None:
    """PATCH /sobjects/Account/{id} answers 204 with no body, and the record changes."""
    recording = load(f"{ROWS}/nango__update_Account_v63_204.json")
    request, real = recording["request"], recording["response"]
    acme = await seed_id(client, "Account", "Name = 'Acme Corporation'")
    response = await client.patch(
        f"/services/data/v63.0/sobjects/Account/{acme}", json=request["data"]
    )
    assert response.status_code == real["status"] == 204
    assert response.content == b""
    assert real["body"] == ""
    assert "content-type" not in response.headers
    record = (await client.get(f"/services/data/v63.0/sobjects/Account/{acme}")).json()
    assert {key: record[key] for key in request["data"]} == request["data"]


async def test_delete_matches_recording(client: httpx.AsyncClient) -> None:
    """DELETE /sobjects/Account/{id} answers 204 with no body; the record is then NOT_FOUND."""
    recording = load(f"{ROWS}/nango__delete_Account_v63_204.json")
    real = recording["response"]
    created = await client.post("/services/data/v63.0/sobjects/Account", json={"Name": "Gone"})
    url = f"/services/data/v63.0/sobjects/Account/{created.json()['id']}"
    response = await client.delete(url)
    assert response.status_code == real["status"] == 204
    assert response.content == b""
    assert real["body"] == ""
    assert "content-type" not in response.headers
    gone = await client.get(url)
    assert gone.status_code == 404
    assert gone.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


# --- upsert ---------------------------------------------------------------------------------


async def test_upsert_created_matches_recording(client: httpx.AsyncClient) -> None:
    """Upsert by Contact Email with no match answers 201, created true and Location."""
    recording = load(f"{UPSERT}/nango__upsert_Contact_Email_created_v60_201.json")
    request, real = recording["request"], recording["response"]
    response = await client.patch(request["path"], json=request["data"])
    assert response.status_code == real["status"] == 201
    body = response.json()
    assert_same_shape(real["body"], body)
    assert list(body) == list(real["body"])
    assert body["created"] is True
    assert is_id18(body["id"], "003")
    check_headers(real["headers"], response.headers)
    record = (await client.get(response.headers["location"])).json()
    assert record["Email"] == "test_upsert_004@example.com"  # the path value, decoded once


async def test_upsert_updated_matches_recording(client: httpx.AsyncClient) -> None:
    """Upsert by Id with updateOnly=true on a match answers 200, created false and Location."""
    recording = load(f"{UPSERT}/nango__upsert_Account_Id_updated_v59_200.json")
    request, real = recording["request"], recording["response"]
    acme = await seed_id(client, "Account", "Name = 'Acme Corporation'")
    response = await client.patch(
        f"/services/data/v59.0/sobjects/Account/Id/{acme}",
        params=request["params"],
        json=request["data"],
    )
    assert response.status_code == real["status"] == 200
    body = response.json()
    assert_same_shape(real["body"], body)
    assert list(body) == list(real["body"])
    assert body == {"id": acme, "success": True, "errors": [], "created": False}
    check_headers(real["headers"], response.headers)
    assert response.headers["location"] == f"/services/data/v59.0/sobjects/Account/{acme}"


async def test_upsert_before_v46_matches_samples(client: httpx.AsyncClient) -> None:
    """Up to v45 an upsert answers 201 without created, or an empty 204, as restforce's samples."""
    created = load(f"{UPSERT}/restforce__upsert_created_success_response.json")
    # restforce__upsert_updated_success_response.json is empty: it stands for the 204.
    updated = oracle_path(f"{UPSERT}/restforce__upsert_updated_success_response.json").read_text()
    url = "/services/data/v45.0/sobjects/Lead/External_Id__c"
    insert = await client.patch(f"{url}/L-900001", json={"LastName": "Nyberg", "Company": "Fjord"})
    assert insert.status_code == 201
    assert_same_shape(created, insert.json())
    assert list(insert.json()) == ["id", "success", "errors"]
    update = await client.patch(f"{url}/L-000001", json={"Title": "Director"})
    assert update.status_code == 204
    assert update.content.decode() == updated.strip() == ""


async def test_upsert_multiple_matches_sample(client: httpx.AsyncClient) -> None:
    """An external id matching two records answers 300 and the records' URLs (restforce shape)."""
    real = load(f"{UPSERT}/restforce__upsert_multiple_error_response.json")
    for name in ("Twin", "Other Twin"):
        created = await client.post(
            "/services/data/v62.0/sobjects/Contact", json={"LastName": name, "Email": "twin@x.io"}
        )
        assert created.status_code == 201
    response = await client.patch(
        "/services/data/v62.0/sobjects/Contact/Email/twin@x.io", json={"Title": "Twin"}
    )
    assert response.status_code == 300
    ours = response.json()
    assert_same_shape(real, ours)
    url = re.compile(r"^/services/data/v\d+\.0/sobjects/\w+/\w+$")
    assert all(url.match(item) for item in real)
    assert len(ours) == 2
    assert all(url.match(item) and is_id18(item.rsplit("/", 1)[1], "003") for item in ours)


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "method", "path"),
    [
        (f"{ROWS}/restforce__sobject_find_error_response.json", "GET", "Account/23foo"),
        (f"{ROWS}/restforce__delete_error_response.json", "DELETE", "Account/rid"),
        (f"{UPSERT}/restforce__upsert_error_response.json", "PATCH", "Account/Namez/foo"),
    ],
)
async def test_not_found_bodies_match_samples(
    client: httpx.AsyncClient, filename: str, method: str, path: str
) -> None:
    """A malformed id or an unknown external id field is 404 with exactly the sample's body."""
    real = load(filename)
    body = {"Name": "Whizbang"} if method == "PATCH" else None
    response = await client.request(method, f"/services/data/v62.0/sobjects/{path}", json=body)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.json() == real


async def test_write_error_matches_sample(client: httpx.AsyncClient) -> None:
    """Writing an unknown field is 400 INVALID_FIELD with restforce's body, create and update."""
    real = load(f"{ROWS}/restforce__write_error_response.json")
    expected = [{**real[0], "message": real[0]["message"].replace("type Bar", "type Account")}]
    url = "/services/data/v62.0/sobjects/Account"
    created = await client.post(url, json={"Name": "Foo", "foo": 1})
    assert created.status_code == 400
    assert created.json() == expected
    acme = await seed_id(client, "Account", "Name = 'Acme Corporation'")
    updated = await client.patch(f"{url}/{acme}", json={"foo": 1})
    assert updated.status_code == 400
    assert updated.json() == expected


async def test_revoked_session_matches_sample(client: httpx.AsyncClient, token: str) -> None:
    """A revoked access token gets 401 and exactly the INVALID_SESSION_ID body on a record."""
    real = load("fixtures/errors/restforce__expired_session_response.json")
    acme = await seed_id(client, "Account", "Name = 'Acme Corporation'")
    revoked = await client.post("/services/oauth2/revoke", data={"token": token})
    assert revoked.status_code == 200
    response = await client.get(f"/services/data/v62.0/sobjects/Account/{acme}")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.json() == real
