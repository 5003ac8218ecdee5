"""sObject Collections: create, update, upsert, delete and retrieve (CONTRACT.md §6)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from emulator.ids import to18
from emulator.org import Org
from tests.helpers.emulator import API, create
from tests.helpers.oracles import load

COLLECTION = f"{API}/composite/sobjects"
ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
    "fields": [],
}


def account(name: str | None, **fields: Any) -> dict[str, Any]:
    """An Account record for a collection body."""
    record: dict[str, Any] = {"attributes": {"type": "Account"}, **fields}
    if name is not None:
        record["Name"] = name
    return record


def recording(name: str) -> dict[str, Any]:
    """One recorded interaction from fixtures/composite_sobjects."""
    loaded: dict[str, Any] = load(f"fixtures/composite_sobjects/{name}")
    return loaded


# --- create -------------------------------------------------------------------------------


async def test_create_answers_results_in_request_order(client: httpx.AsyncClient, org: Org) -> None:
    """POST creates every record and answers 200 with SaveResults in request order."""
    response = await client.post(
        COLLECTION, json={"allOrNone": False, "records": [account(f"Bulk {i}") for i in range(5)]}
    )
    assert response.status_code == 200
    assert "sforce-limit-info" in response.headers
    results = response.json()
    assert [set(r) for r in results] == [{"id", "success", "errors"}] * 5
    names = [(org.store.get("Account", r["id"]) or {}).get("Name") for r in results]
    assert names == [f"Bulk {i}" for i in range(5)]


async def test_mixed_batch_without_all_or_none_saves_the_good_ones(
    client: httpx.AsyncClient, org: Org
) -> None:
    """allOrNone false: good records are saved, bad ones fail alone and carry no id."""
    before = org.store.count("Account")
    response = await client.post(
        COLLECTION,
        json={"records": [account("Good 1"), account(None), account("Good 2", Site="s" * 99)]},
    )
    assert response.status_code == 200
    good, missing, too_long = response.json()
    assert good["success"] is True
    assert missing == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [Name]",
                "fields": ["Name"],
            }
        ],
    }
    assert too_long["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert "id" not in too_long
    assert org.store.count("Account") == before + 1
    assert (await client.get(f"{API}/sobjects/Account/{good['id']}")).status_code == 200


async def test_all_or_none_rolls_everything_back(client: httpx.AsyncClient, org: Org) -> None:
    """allOrNone true: one bad record → nothing written, the good ones report ROLLED_BACK."""
    before = org.store.count("Account")
    response = await client.post(
        COLLECTION,
        json={"allOrNone": True, "records": [account("Good"), account(None), account("Good 2")]},
    )
    assert response.status_code == 200
    first, bad, third = response.json()
    assert first == {"success": False, "errors": [ROLLED_BACK]}
    assert third == first
    assert bad["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert org.store.count("Account") == before
    assert not [r for r in org.store.records("Account") if r["Name"] in ("Good", "Good 2")]


async def test_all_or_none_with_only_good_records_saves_them(
    client: httpx.AsyncClient, org: Org
) -> None:
    """allOrNone true with every record valid saves them all."""
    before = org.store.count("Account")
    response = await client.post(
        COLLECTION, json={"allOrNone": True, "records": [account("A"), account("B")]}
    )
    assert all(r["success"] for r in response.json())
    assert org.store.count("Account") == before + 2


async def test_more_than_200_records_is_a_400(client: httpx.AsyncClient, org: Org) -> None:
    """More than 200 records answers 400 EXCEEDED_ID_LIMIT and writes nothing."""
    before = org.store.count("Account")
    response = await client.post(COLLECTION, json={"records": [account("x")] * 201})
    assert response.status_code == 400
    assert response.json() == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]
    assert org.store.count("Account") == before
    exactly = await client.post(COLLECTION, json={"records": [account("y")] * 200})
    assert exactly.status_code == 200
    assert len(exactly.json()) == 200


async def test_record_without_attributes_fails_alone(client: httpx.AsyncClient) -> None:
    """A record without attributes.type is a per-record JSON_PARSER_ERROR (as recorded)."""
    response = await client.post(
        COLLECTION,
        json={
            "records": [
                {"Name": "No type"},
                account("Typed"),
                {"attributes": {"type": "Whizbang"}, "Name": "x"},
            ]
        },
    )
    assert response.status_code == 200
    untyped, typed, unknown = response.json()
    assert untyped["errors"][0]["statusCode"] == "JSON_PARSER_ERROR"
    assert typed["success"] is True
    assert unknown["errors"][0]["statusCode"] == "INVALID_TYPE"


async def test_mixed_types_in_one_request(client: httpx.AsyncClient, org: Org) -> None:
    """Records of several objects can be created in one request."""
    response = await client.post(
        COLLECTION,
        json={"records": [account("Mixed"), {"attributes": {"type": "Contact"}, "LastName": "M"}]},
    )
    first, second = response.json()
    assert first["id"].startswith("001")
    assert second["id"].startswith("003")
    assert org.store.get("Contact", second["id"]) is not None


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"{",
        b"[]",
        b'{"records": {}}',
        b'{"records": [1]}',
        b'{"allOrNone": "maybe", "records": []}',
        b'{"records": [], "extra": 1}',
        b'{"allOrNone": 3, "records": []}',
        b'{"records": [{"Name": ' + b"9" * 5000 + b"}]}",
    ],
)
async def test_malformed_requests_are_400(client: httpx.AsyncClient, payload: bytes) -> None:
    """A body that is not {"records": [objects]} answers 400 JSON_PARSER_ERROR."""
    response = await client.post(
        COLLECTION, content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


async def test_hostile_records_fail_one_by_one(client: httpx.AsyncClient) -> None:
    """Odd values inside records are per-record errors; the request still answers 200."""
    hostile: list[dict[str, Any]] = [
        {"attributes": "Account", "Name": "x"},
        {"attributes": {"type": ["Account"]}, "Name": "x"},
        account(None, Name={"nested": [1, {"deep": None}]}),
        account("x", NumberOfEmployees=[1]),
        account("x", AnnualRevenue=1e308),
        account("x", Parent={"attributes": {"type": "Contact"}, "Id": "x"}),
        account("x", Parent={"Name": "x", "Id": "y"}),
        account("x", Id=None, id=5),
        account("n" * 100_000),
    ]
    response = await client.post(COLLECTION, json={"records": hostile})
    assert response.status_code == 200
    results = response.json()
    assert len(results) == len(hostile)
    assert all(r["success"] is False for r in results)
    assert all(r["errors"][0]["statusCode"] != "UNKNOWN_EXCEPTION" for r in results)


async def test_created_collection_matches_recording(client: httpx.AsyncClient) -> None:
    """The recorded create request gets a body of the recorded shape."""
    recorded = recording("nango__create_collection_v63_200.json")
    response = await client.post(
        "/services/data/v63.0/composite/sobjects", json=recorded["request"]["data"]
    )
    assert response.status_code == recorded["response"]["status"]
    body = response.json()
    expected = recorded["response"]["body"]
    assert [sorted(r) for r in body] == [sorted(r) for r in expected]
    assert body[0]["id"].startswith("001")
    assert len(body[0]["id"]) == 18


# --- update -------------------------------------------------------------------------------


async def test_update_by_id_in_any_case(client: httpx.AsyncClient, org: Org) -> None:
    """PATCH updates records named by "Id" or "id"; numeric strings are accepted (recorded)."""
    first = await create(client, "Account", {"Name": "U1"})
    second = await create(client, "Account", {"Name": "U2"})
    response = await client.patch(
        COLLECTION,
        json={
            "records": [
                account(None, Id=first, NumberOfEmployees="10000"),
                account("Renamed", id=second[:15]),
            ]
        },
    )
    assert response.json() == [
        {"id": first, "success": True, "errors": []},
        {"id": second, "success": True, "errors": []},
    ]
    assert (org.store.get("Account", first) or {})["NumberOfEmployees"] == 10000
    assert (org.store.get("Account", second) or {})["Name"] == "Renamed"


async def test_update_unknown_id_matches_recording(client: httpx.AsyncClient) -> None:
    """An unknown id answers exactly the recorded INVALID_CROSS_REFERENCE_KEY result."""
    recorded = recording("nango__update_collection_INVALID_CROSS_REFERENCE_KEY_v59_200.json")
    response = await client.patch(
        "/services/data/v59.0/composite/sobjects", json=recorded["request"]["data"]
    )
    assert response.status_code == 200
    assert response.json() == recorded["response"]["body"]


async def test_update_errors_per_record(client: httpx.AsyncClient) -> None:
    """No id, a malformed id, another object's id and a deleted record fail per record."""
    contact_id = await create(client, "Contact", {"LastName": "C"})
    deleted = await create(client, "Account", {"Name": "D"})
    await client.delete(f"{API}/sobjects/Account/{deleted}")
    response = await client.patch(
        COLLECTION,
        json={
            "records": [
                account("x"),
                account("x", Id="bad"),
                account("x", Id=contact_id),
                account("x", Id=deleted),
            ]
        },
    )
    codes = [r["errors"][0]["statusCode"] for r in response.json()]
    assert codes == ["MISSING_ARGUMENT", "MALFORMED_ID", "MALFORMED_ID", "ENTITY_IS_DELETED"]
    assert response.json()[0]["errors"][0]["message"] == "Id not specified in an update call"


# --- upsert -------------------------------------------------------------------------------


async def test_upsert_by_email_creates_and_updates(client: httpx.AsyncClient, org: Org) -> None:
    """PATCH …/Contact/Email creates unknown e-mails and updates known ones (created flag)."""
    existing = await create(client, "Contact", {"LastName": "Known", "Email": "known@x.example"})
    response = await client.patch(
        f"{COLLECTION}/Contact/Email",
        json={
            "allOrNone": False,
            "records": [
                {
                    "attributes": {"type": "Contact"},
                    "LastName": "Bluth",
                    "Email": "KNOWN@x.example",
                },
                {"attributes": {"type": "Contact"}, "LastName": "New", "Email": "new@x.example"},
                {"attributes": {"type": "Contact"}, "LastName": "NoEmail"},
            ],
        },
    )
    updated, created, missing = response.json()
    assert updated == {"id": existing, "success": True, "errors": [], "created": False}
    assert created["created"] is True
    assert created["success"] is True
    assert missing == {
        "success": False,
        "errors": [
            {
                "statusCode": "MISSING_ARGUMENT",
                "message": "Email not specified",
                "fields": ["Email"],
            }
        ],
        "created": False,
    }
    assert (org.store.get("Contact", existing) or {})["LastName"] == "Bluth"


async def test_upsert_by_id_with_null_inserts(client: httpx.AsyncClient) -> None:
    """Upsert on Id: an existing Id updates, a null Id inserts (as recorded by CumulusCI)."""
    existing = await create(client, "Contact", {"LastName": "Old"})
    response = await client.patch(
        f"{COLLECTION}/Contact/Id",
        json={
            "records": [
                {"attributes": {"type": "Contact"}, "LastName": "Upd", "Id": existing},
                {"attributes": {"type": "Contact"}, "LastName": "Ins", "Id": None},
            ]
        },
    )
    updated, inserted = response.json()
    assert updated == {"id": existing, "success": True, "errors": [], "created": False}
    assert inserted["created"] is True


async def test_upsert_without_attributes_matches_recording(client: httpx.AsyncClient) -> None:
    """A record without attributes answers exactly the recorded JSON_PARSER_ERROR result."""
    recorded = recording("nango__upsert_collection_JSON_PARSER_ERROR_v63_200.json")
    response = await client.patch(
        "/services/data/v63.0/composite/sobjects/Account/Id", json=recorded["request"]["data"]
    )
    assert response.status_code == 200
    assert response.json() == recorded["response"]["body"]


async def test_upsert_all_or_none_failure_keeps_created_false(
    client: httpx.AsyncClient, org: Org
) -> None:
    """allOrNone upsert with a bad record writes nothing; every result has created false."""
    before = org.store.count("Contact")
    response = await client.patch(
        f"{COLLECTION}/Contact/External_Id__c",
        json={
            "allOrNone": True,
            "records": [
                {"attributes": {"type": "Contact"}, "LastName": "A", "External_Id__c": "AON-1"},
                {"attributes": {"type": "Contact"}, "External_Id__c": "AON-2"},
            ],
        },
    )
    good, bad = response.json()
    assert good == {"success": False, "errors": [ROLLED_BACK], "created": False}
    assert bad["created"] is False
    assert bad["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert org.store.count("Contact") == before


async def test_upsert_on_non_external_field_is_404(client: httpx.AsyncClient) -> None:
    """Upsert on a field that is not an external id answers 404 NOT_FOUND."""
    response = await client.patch(f"{COLLECTION}/Contact/Phone", json={"records": []})
    assert response.status_code == 404


async def test_upsert_needs_v46(client: httpx.AsyncClient) -> None:
    """Collection upsert does not exist before v46.0 (404)."""
    response = await client.patch(
        "/services/data/v45.0/composite/sobjects/Contact/Email", json={"records": []}
    )
    assert response.status_code == 404


# --- delete -------------------------------------------------------------------------------


async def test_delete_answers_per_id(client: httpx.AsyncClient, org: Org) -> None:
    """DELETE ?ids= deletes each id (extra sObjectName ignored, as recorded)."""
    first = await create(client, "Account", {"Name": "Del 1"})
    contact = await create(client, "Contact", {"LastName": "Del 2"})
    response = await client.delete(
        COLLECTION,
        params={
            "ids": f"{first},{contact[:15]},nope,{to18('001000000000000')}",
            "allOrNone": "false",
            "sObjectName": "Account",
        },
    )
    assert response.status_code == 200
    one, two, bad, unknown = response.json()
    assert one == {"id": first, "success": True, "errors": []}
    assert two == {"id": contact, "success": True, "errors": []}
    assert bad["errors"] == [
        {"statusCode": "MALFORMED_ID", "message": "malformed id nope", "fields": []}
    ]
    assert unknown["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert org.store.get("Account", first) is None
    assert (org.store.get("Account", first, include_deleted=True) or {})["IsDeleted"] is True


async def test_delete_all_or_none_keeps_everything(client: httpx.AsyncClient, org: Org) -> None:
    """allOrNone=true delete with one bad id deletes nothing."""
    keep = await create(client, "Account", {"Name": "Keep"})
    response = await client.delete(COLLECTION, params={"ids": f"{keep},nope", "allOrNone": "true"})
    first, second = response.json()
    assert first == {"success": False, "errors": [ROLLED_BACK]}
    assert second["errors"][0]["statusCode"] == "MALFORMED_ID"
    assert org.store.get("Account", keep) is not None


async def test_delete_limits(client: httpx.AsyncClient) -> None:
    """DELETE without ids is a 400; more than 200 ids is EXCEEDED_ID_LIMIT."""
    assert (await client.delete(COLLECTION)).status_code == 400
    many = ",".join([to18("001000000000000")] * 201)
    response = await client.delete(COLLECTION, params={"ids": many})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


# --- retrieve and methods -----------------------------------------------------------------


async def test_retrieve_answers_records_or_null(client: httpx.AsyncClient) -> None:
    """GET /composite/sobjects/Account?ids=&fields= answers records in order, null if unknown."""
    first = await create(client, "Account", {"Name": "R1", "Industry": "Energy"})
    second = await create(client, "Account", {"Name": "R2"})
    response = await client.get(
        f"{COLLECTION}/Account",
        params={
            "ids": f"{second},{to18('001000000000000')},{first[:15]},bad",
            "fields": "Name,Industry",
        },
    )
    assert response.status_code == 200
    one, missing, three, bad = response.json()
    assert one == {
        "attributes": {"type": "Account", "url": f"{API}/sobjects/Account/{second}"},
        "Name": "R2",
        "Industry": None,
        "Id": second,
    }
    assert missing is None
    assert bad is None
    assert three["Industry"] == "Energy"
    posted = await client.post(
        f"{COLLECTION}/Account", json={"ids": [first], "fields": ["Id", "Name"]}
    )
    assert posted.json() == [
        {
            "attributes": {"type": "Account", "url": f"{API}/sobjects/Account/{first}"},
            "Id": first,
            "Name": "R1",
        }
    ]


async def test_retrieve_needs_ids_and_known_fields(client: httpx.AsyncClient) -> None:
    """Retrieve without fields is a 400; an unknown field is INVALID_FIELD."""
    account_id = await create(client, "Account", {"Name": "R"})
    missing = await client.get(f"{COLLECTION}/Account", params={"ids": account_id})
    assert missing.status_code == 400
    unknown = await client.get(
        f"{COLLECTION}/Account", params={"ids": account_id, "fields": "Nope"}
    )
    assert unknown.status_code == 400
    assert unknown.json()[0]["errorCode"] == "INVALID_FIELD"


async def test_wrong_methods_are_405(client: httpx.AsyncClient) -> None:
    """Methods a collection resource does not take answer 405 with its Allow list."""
    response = await client.get(COLLECTION)
    assert response.status_code == 405
    assert response.json()[0]["message"] == (
        "HTTP Method 'GET' not allowed. Allowed are POST,PATCH,DELETE"
    )
    assert (await client.put(f"{COLLECTION}/Account", json={})).status_code == 405
    assert (await client.post(f"{COLLECTION}/Contact/Email", json={})).status_code == 405
