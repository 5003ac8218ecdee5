"""sObject rows: create, read, update, delete and upsert through /sobjects (CONTRACT.md §4)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import httpx
import pytest

from emulator.ids import to18
from emulator.org import Org
from tests.helpers.emulator import API, create, demo_user_id

NO_SUCH_FIELD = "Provided external ID field does not exist or is not accessible: "
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")


# --- create -------------------------------------------------------------------------------


async def test_create_answers_201_with_location_and_save_result(client: httpx.AsyncClient) -> None:
    """POST /sobjects/Account answers 201, Location, the SaveResult and Sforce-Limit-Info."""
    response = await client.post(f"{API}/sobjects/Account", json={"Name": "Edge"})
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "success": True, "errors": []}
    assert len(body["id"]) == 18
    assert body["id"].startswith("001")
    assert response.headers["location"] == f"{API}/sobjects/Account/{body['id']}"
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert response.headers["sforce-limit-info"].startswith("api-usage=")


async def test_create_accepts_trailing_slash_and_any_case(client: httpx.AsyncClient) -> None:
    """POST /sobjects/account/ (as Nango records it, any case) creates an Account."""
    response = await client.post(f"{API}/sobjects/account/", json={"Name": "Slash"})
    assert response.status_code == 201
    assert response.headers["location"].startswith(f"{API}/sobjects/Account/001")


async def test_post_to_id_creates(client: httpx.AsyncClient) -> None:
    """POST /sobjects/Account/Id with a body without Id creates the record (v37+)."""
    response = await client.post(f"{API}/sobjects/Account/Id", json={"Name": "Via Id"})
    assert response.status_code == 201
    assert response.json()["success"] is True


async def test_create_sets_system_fields(client: httpx.AsyncClient, org: Org) -> None:
    """Create stamps Id, dates, creator, owner, IsDeleted and checkbox/picklist defaults."""
    case_id = await create(client, "Case", {"Subject": "Broken"})
    record = org.store.get("Case", case_id)
    assert record is not None
    user_id = demo_user_id(org)
    assert record["CreatedById"] == record["LastModifiedById"] == record["OwnerId"] == user_id
    assert DATETIME.match(record["CreatedDate"])
    assert record["CreatedDate"] == record["LastModifiedDate"] == record["SystemModstamp"]
    assert record["IsDeleted"] is False
    assert record["Status"] == "New"
    assert record["Priority"] == "Medium"
    assert record["IsEscalated"] is False
    assert re.fullmatch(r"\d{8}", record["CaseNumber"])
    second = org.store.get("Case", await create(client, "Case", {"Subject": "Again"}))
    assert second is not None
    assert int(second["CaseNumber"]) == int(record["CaseNumber"]) + 1


async def test_contact_name_is_computed(client: httpx.AsyncClient) -> None:
    """Contact.Name is FirstName + " " + LastName, and follows updates."""
    contact_id = await create(client, "Contact", {"FirstName": "Ada", "LastName": "Lovelace"})
    url = f"{API}/sobjects/Contact/{contact_id}"
    assert (await client.get(url)).json()["Name"] == "Ada Lovelace"
    await client.patch(url, json={"FirstName": None})
    assert (await client.get(url)).json()["Name"] == "Lovelace"


async def test_owner_id_may_be_given(client: httpx.AsyncClient, org: Org) -> None:
    """An explicit OwnerId of an existing user is kept."""
    account_id = await create(client, "Account", {"Name": "Owned", "OwnerId": demo_user_id(org)})
    record = org.store.get("Account", account_id)
    assert record is not None
    assert record["OwnerId"] == demo_user_id(org)


# --- read ---------------------------------------------------------------------------------


async def test_get_returns_every_field_in_describe_order(
    client: httpx.AsyncClient, org: Org
) -> None:
    """GET answers attributes, then every field in describe order, nulls and addresses too."""
    account_id = await create(
        client, "Account", {"Name": "Edge", "BillingCity": "Austin", "BillingState": "TX"}
    )
    response = await client.get(f"{API}/sobjects/Account/{account_id}")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["attributes", *org.schema["Account"].fields]
    assert body["attributes"] == {"type": "Account", "url": f"{API}/sobjects/Account/{account_id}"}
    assert body["Id"] == account_id
    assert body["Name"] == "Edge"
    assert body["Phone"] is None
    assert body["IsDeleted"] is False
    assert body["IsPartner"] is False
    assert body["BillingAddress"] == {
        "city": "Austin",
        "country": None,
        "geocodeAccuracy": None,
        "latitude": None,
        "longitude": None,
        "postalCode": None,
        "state": "TX",
        "street": None,
    }
    assert list(body["BillingAddress"]) == sorted(body["BillingAddress"])


async def test_get_accepts_15_and_18_character_ids(client: httpx.AsyncClient) -> None:
    """A record is found by its 15-char id and by its 18-char id in any checksum case."""
    account_id = await create(client, "Account", {"Name": "Ids"})
    for variant in (account_id[:15], account_id, account_id[:15] + account_id[15:].lower()):
        response = await client.get(f"{API}/sobjects/Account/{variant}")
        assert response.status_code == 200
        assert response.json()["Id"] == account_id


async def test_get_with_fields_returns_those_then_id(client: httpx.AsyncClient) -> None:
    """?fields=A,B answers attributes, A and B in that order, then Id when not asked."""
    account_id = await create(client, "Account", {"Name": "Few", "Industry": "Energy"})
    url = f"{API}/sobjects/Account/{account_id}"
    body = (await client.get(url, params={"fields": "industry,Name,BillingAddress"})).json()
    assert list(body) == ["attributes", "Industry", "Name", "BillingAddress", "Id"]
    assert body["Industry"] == "Energy"
    asked = (await client.get(url, params={"fields": "Id,Name"})).json()
    assert list(asked) == ["attributes", "Id", "Name"]


async def test_get_with_unknown_field_is_invalid_field(client: httpx.AsyncClient) -> None:
    """?fields naming an unknown field answers 400 INVALID_FIELD."""
    account_id = await create(client, "Account", {"Name": "Few"})
    response = await client.get(f"{API}/sobjects/Account/{account_id}", params={"fields": "Nope"})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Nope' on entity 'Account'" in response.json()[0]["message"]


async def test_get_sends_etag_and_last_modified_and_honours_them(
    client: httpx.AsyncClient,
) -> None:
    """GET carries ETag/Last-Modified; If-None-Match and If-Modified-Since give 304."""
    account_id = await create(client, "Account", {"Name": "Cached"})
    url = f"{API}/sobjects/Account/{account_id}"
    first = await client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('--gzip"')
    assert first.headers["last-modified"].endswith(" GMT")
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    since = await client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    await client.patch(url, json={"Name": "Changed"})
    assert (await client.get(url, headers={"If-None-Match": etag})).status_code == 200


async def test_head_answers_headers_without_body(client: httpx.AsyncClient) -> None:
    """HEAD on a record answers 200 with ETag and no body."""
    account_id = await create(client, "Account", {"Name": "Head"})
    response = await client.head(f"{API}/sobjects/Account/{account_id}")
    assert response.status_code == 200
    assert response.content == b""
    assert "etag" in response.headers


async def test_pretty_print_header(client: httpx.AsyncClient) -> None:
    """X-PrettyPrint: 1 answers Jackson-style pretty JSON with the same content."""
    account_id = await create(client, "Account", {"Name": "Pretty"})
    url = f"{API}/sobjects/Account/{account_id}"
    pretty = await client.get(url, headers={"X-PrettyPrint": "1"})
    assert '"Name" : "Pretty"' in pretty.text
    assert pretty.json() == (await client.get(url)).json()


async def test_get_user_by_id_field(client: httpx.AsyncClient, org: Org) -> None:
    """GET /sobjects/User/Id/{id} answers the user, as recorded by Nango."""
    user_id = demo_user_id(org)
    response = await client.get(f"{API}/sobjects/User/Id/{user_id}")
    assert response.status_code == 200
    assert response.json()["attributes"]["url"] == f"{API}/sobjects/User/{user_id}"


async def test_object_level_permissions(client: httpx.AsyncClient, org: Org) -> None:
    """An object the describe marks not deletable/createable (User) refuses that operation."""
    response = await client.delete(f"{API}/sobjects/User/{demo_user_id(org)}")
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_TYPE_FOR_OPERATION"
    assert org.store.get("User", demo_user_id(org)) is not None
    create_user = await client.post(f"{API}/sobjects/User", json={"LastName": "New"})
    assert create_user.status_code == 400


# --- update and delete --------------------------------------------------------------------


async def test_update_answers_204_and_changes_the_record(
    client: httpx.AsyncClient, org: Org
) -> None:
    """PATCH answers 204 with no body and updates fields and LastModifiedDate."""
    account_id = await create(client, "Account", {"Name": "Before"})
    response = await client.patch(
        f"{API}/sobjects/Account/{account_id}", json={"Name": "After", "Industry": "Technology"}
    )
    assert response.status_code == 204
    assert response.content == b""
    assert "sforce-limit-info" in response.headers
    record = org.store.get("Account", account_id)
    assert record is not None
    assert record["Name"] == "After"
    assert record["Industry"] == "Technology"
    assert DATETIME.match(record["LastModifiedDate"])


async def test_delete_is_soft_and_cascades(client: httpx.AsyncClient, org: Org) -> None:
    """DELETE answers 204; the record (and its contacts) stay in the store with IsDeleted."""
    account_id = await create(client, "Account", {"Name": "Doomed"})
    contact_id = await create(client, "Contact", {"LastName": "Child", "AccountId": account_id})
    response = await client.delete(f"{API}/sobjects/Account/{account_id}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"{API}/sobjects/Account/{account_id}")).status_code == 404
    deleted = org.store.get("Account", account_id, include_deleted=True)
    assert deleted is not None
    assert deleted["IsDeleted"] is True
    child = org.store.get("Contact", contact_id, include_deleted=True)
    assert child is not None
    assert child["IsDeleted"] is True
    again = await client.delete(f"{API}/sobjects/Account/{account_id}")
    assert again.status_code == 404


# --- not found and not allowed ------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("bad", ["-1", "23foo", "001%20x", "0015g00000WgyQNAAZZ"])
async def test_malformed_id_is_not_found_with_external_id_message(
    client: httpx.AsyncClient, method: str, bad: str
) -> None:
    """A path id that is not 15/18 alphanumerics answers 404 "Provided external ID field …"."""
    response = await client.request(method, f"{API}/sobjects/Account/{bad}", json={"Name": "x"})
    assert response.status_code == 404
    expected = bad.replace("%20", " ")
    assert response.json() == [
        {
            "message": NO_SUCH_FIELD + expected,
            "errorCode": "NOT_FOUND",
        }
    ]


async def test_unknown_deleted_or_foreign_id_is_not_found(client: httpx.AsyncClient) -> None:
    """A well-formed id that is unknown, deleted or of another object answers 404 NOT_FOUND."""
    contact_id = await create(client, "Contact", {"LastName": "Other"})
    deleted_id = await create(client, "Account", {"Name": "Gone"})
    await client.delete(f"{API}/sobjects/Account/{deleted_id}")
    for record_id in (to18("001000000000000"), deleted_id, contact_id):
        for method in ("GET", "PATCH", "DELETE"):
            response = await client.request(
                method, f"{API}/sobjects/Account/{record_id}", json={"Name": "x"}
            )
            assert response.status_code == 404
            assert response.json()[0]["message"] == "The requested resource does not exist"


async def test_unknown_object_is_not_found(client: httpx.AsyncClient) -> None:
    """An unknown sObject in the path answers 404 NOT_FOUND."""
    response = await client.post(f"{API}/sobjects/Whizbang", json={"Name": "x"})
    assert response.status_code == 404
    assert response.json()[0]["errorCode"] == "NOT_FOUND"
    get = await client.get(f"{API}/sobjects/Whizbang/{to18('001000000000000')}")
    assert get.status_code == 404


async def test_wrong_method_answers_405_with_allowed_list(client: httpx.AsyncClient) -> None:
    """A wrong method answers 405 METHOD_NOT_ALLOWED naming the resource's methods."""
    response = await client.patch(f"{API}/sobjects/Account", json={})
    assert response.status_code == 405
    assert response.json() == [
        {
            "errorCode": "METHOD_NOT_ALLOWED",
            "message": "HTTP Method 'PATCH' not allowed. Allowed are GET,HEAD,POST",
        }
    ]
    account_id = await create(client, "Account", {"Name": "Method"})
    put = await client.put(f"{API}/sobjects/Account/{account_id}", json={})
    assert put.status_code == 405
    assert put.json()[0]["message"].endswith("Allowed are HEAD,GET,PATCH,DELETE")


async def test_describe_routes_are_not_shadowed(client: httpx.AsyncClient) -> None:
    """GET /sobjects/Account and …/describe stay describe's; other methods are 405 here."""
    basic = await client.get(f"{API}/sobjects/Account")
    assert basic.status_code == 200
    assert "objectDescribe" in basic.json()
    describe = await client.get(f"{API}/sobjects/Account/describe")
    assert describe.status_code == 200
    assert describe.json()["name"] == "Account"
    patch = await client.patch(f"{API}/sobjects/Account/describe", json={})
    assert patch.status_code == 405
    assert patch.json()[0]["message"].endswith("Allowed are GET,HEAD")


# --- upsert and external ids --------------------------------------------------------------


async def test_upsert_creates_201_then_updates_200(client: httpx.AsyncClient) -> None:
    """PATCH by external id: 201 created:true, then 200 created:false, both with Location."""
    url = f"{API}/sobjects/Contact/External_Id__c/C-1"
    created = await client.patch(url, json={"LastName": "First"})
    assert created.status_code == 201
    body = created.json()
    assert body == {"id": body["id"], "success": True, "errors": [], "created": True}
    assert created.headers["location"] == f"{API}/sobjects/Contact/{body['id']}"
    updated = await client.patch(url, json={"LastName": "Second"})
    assert updated.status_code == 200
    assert updated.json() == {"id": body["id"], "success": True, "errors": [], "created": False}
    assert updated.headers["location"] == created.headers["location"]
    record = (await client.get(f"{API}/sobjects/Contact/{body['id']}")).json()
    assert record["LastName"] == "Second"
    assert record["External_Id__c"] == "C-1"


async def test_upsert_before_v46_answers_without_created(client: httpx.AsyncClient) -> None:
    """Up to v45.0 an upsert answers 201 without "created", and 204 on update."""
    url = "/services/data/v45.0/sobjects/Contact/External_Id__c/OLD-1"
    created = await client.patch(url, json={"LastName": "Old"})
    assert created.status_code == 201
    assert set(created.json()) == {"id", "success", "errors"}
    updated = await client.patch(url, json={"LastName": "Older"})
    assert updated.status_code == 204
    assert updated.content == b""


async def test_upsert_matches_email_case_insensitively(client: httpx.AsyncClient) -> None:
    """Upsert by Contact.Email (an idLookup field) matches regardless of case, as recorded."""
    url = f"{API}/sobjects/Contact/Email/test_upsert_004%40example.com"
    created = await client.patch(url, json={"LastName": "TestUser"})
    assert created.status_code == 201
    again = await client.patch(
        f"{API}/sobjects/Contact/Email/TEST_UPSERT_004%40Example.com", json={"FirstName": "T"}
    )
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]


async def test_several_matches_answer_300_with_urls(client: httpx.AsyncClient) -> None:
    """An external id matching two records answers 300 with a JSON array of record URLs."""
    first = await create(client, "Contact", {"LastName": "One", "Email": "same@example.com"})
    second = await create(client, "Contact", {"LastName": "Two", "Email": "same@example.com"})
    expected = [f"{API}/sobjects/Contact/{first}", f"{API}/sobjects/Contact/{second}"]
    url = f"{API}/sobjects/Contact/Email/same@example.com"
    upsert = await client.patch(url, json={"LastName": "Three"})
    assert upsert.status_code == 300
    assert upsert.json() == expected
    get = await client.get(url)
    assert get.status_code == 300
    assert get.json() == expected


async def test_non_external_id_field_is_not_found(client: httpx.AsyncClient) -> None:
    """A field that is not an external id (or unknown) answers 404 naming the field."""
    for field in ("Phone", "Namez"):
        response = await client.patch(f"{API}/sobjects/Contact/{field}/1", json={"LastName": "x"})
        assert response.status_code == 404
        assert response.json() == [
            {
                "message": NO_SUCH_FIELD + field,
                "errorCode": "NOT_FOUND",
            }
        ]


async def test_upsert_by_id_updates_and_refuses_unknown_ids(client: httpx.AsyncClient) -> None:
    """Id as the external field: an existing id updates (200); unknown 404; malformed 400."""
    account_id = await create(client, "Account", {"Name": "By Id"})
    response = await client.patch(
        f"{API}/sobjects/Account/Id/{account_id}",
        params={"updateOnly": "true"},
        json={"Phone": "555-UPDATED"},
    )
    assert response.status_code == 200
    assert response.json() == {"id": account_id, "success": True, "errors": [], "created": False}
    unknown = await client.patch(f"{API}/sobjects/Account/Id/{to18('001000000000000')}", json={})
    assert unknown.status_code == 404
    malformed = await client.patch(f"{API}/sobjects/Account/Id/nope", json={})
    assert malformed.status_code == 400
    assert malformed.json()[0]["errorCode"] == "MALFORMED_ID"
    got = await client.get(f"{API}/sobjects/Account/Id/{account_id}")
    assert got.status_code == 200
    assert got.json()["Phone"] == "555-UPDATED"


async def test_update_only_without_match_is_not_found(client: httpx.AsyncClient) -> None:
    """?updateOnly=true with no matching record answers 404 and creates nothing."""
    url = f"{API}/sobjects/Contact/External_Id__c/NOBODY"
    response = await client.patch(url, params={"updateOnly": "true"}, json={"LastName": "x"})
    assert response.status_code == 404
    assert (await client.get(url)).status_code == 404


async def test_upsert_body_may_repeat_the_external_id_only_unchanged(
    client: httpx.AsyncClient,
) -> None:
    """The body may carry the external id with the URL's value, not with another one."""
    url = f"{API}/sobjects/Contact/External_Id__c/REP-1"
    same = await client.patch(url, json={"LastName": "Same", "External_Id__c": "REP-1"})
    assert same.status_code == 201
    other = await client.patch(url, json={"LastName": "Other", "External_Id__c": "REP-2"})
    assert other.status_code == 400
    assert other.json()[0]["errorCode"] == "INVALID_FIELD"


@pytest.mark.parametrize("value", ["a/b", "two words", "x@y.com", "50%", "a+b", "ü-1", "%40"])
async def test_external_id_values_are_percent_decoded_once(
    client: httpx.AsyncClient, value: str
) -> None:
    """An external id with '/', spaces, '@', '%', '+' travels percent-encoded and is decoded
    exactly once (a literal "%40" stays "%40")."""
    url = f"{API}/sobjects/Contact/External_Id__c/{quote(value, safe='')}"
    created = await client.patch(url, json={"LastName": "Encoded"})
    assert created.status_code == 201, created.text
    record = (await client.get(url)).json()
    assert record["External_Id__c"] == value
    assert record["Id"] == created.json()["id"]


async def test_get_and_delete_by_external_id(client: httpx.AsyncClient, org: Org) -> None:
    """GET by external id answers the record (attributes.url has the real id); DELETE 204."""
    contact_id = await create(client, "Contact", {"LastName": "Ext", "External_Id__c": "E-9"})
    url = f"{API}/sobjects/Contact/External_Id__c/E-9"
    body = (await client.get(url)).json()
    assert body["attributes"]["url"] == f"{API}/sobjects/Contact/{contact_id}"
    assert (await client.delete(url)).status_code == 204
    assert org.store.get("Contact", contact_id) is None
    assert (await client.get(url)).status_code == 404


# --- hostile input ------------------------------------------------------------------------

GARBAGE = [
    b"",
    b"   ",
    b"{",
    b"[]",
    b"[{}]",
    b'"text"',
    b"123",
    b"null",
    b"true",
    b"\xff\xfe\x00",
    b'{"Name": {"nested": [1, 2, {"deep": null}]}}',
    b'{"Name": ["a"]}',
    b'{"Name": "ok", "NumberOfEmployees": NaN}',
    b'{"Name": "ok", "AnnualRevenue": Infinity}',
    b'{"Name": "ok", "AnnualRevenue": 1e999999999}',
    b'{"Name": "ok", "NumberOfEmployees": 1e999999999}',
    b'{"Name": "ok", "NumberOfEmployees": "99999999999999999999999999999"}',
    b'{"Name": "' + b"x" * 1_000_000 + b'"}',
    b'{"Name": "ok", "ParentId": {"attributes": 5}}',
    b'{"Name": "ok", "Parent": {"Id": ["x"]}}',
    b'{"Name": "ok", "Parent": {}}',
    b'{"Name": "ok", "Owner": {"attributes": {"type": 3}}}',
    b'{"Name": "ok", "BillingAddress": {"city": "x"}}',
    b'{"Name": "ok", "CleanStatus": 12}',
    b'{"Name": "ok", "IsPartner": {}}',
    b'{"Name": "ok", "Id": {}}',
    b'{"\\u0000": 1}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"Name": ' + b"1" * 5000 + b"}",
]


@pytest.mark.parametrize("payload", GARBAGE, ids=range(len(GARBAGE)))
async def test_garbage_bodies_answer_400_not_500(client: httpx.AsyncClient, payload: bytes) -> None:
    """Malformed bodies on create, update and upsert answer a 4xx error array, never a 500."""
    account_id = await create(client, "Account", {"Name": "Target"})
    headers = {"Content-Type": "application/json"}
    for method, url in (
        ("POST", f"{API}/sobjects/Account"),
        ("PATCH", f"{API}/sobjects/Account/{account_id}"),
        ("PATCH", f"{API}/sobjects/Account/Id/{account_id}"),
    ):
        response = await client.request(method, url, content=payload, headers=headers)
        assert 400 <= response.status_code < 500, (method, url, response.text[:300])
        body = response.json()
        assert isinstance(body, list)
        assert body[0]["errorCode"] != "UNKNOWN_EXCEPTION"
        json.dumps(body)
