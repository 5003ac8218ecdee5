"""An independent client, simple-salesforce, drives the emulator over https, its code unchanged.

It trusts the emulator the usual way (``REQUESTS_CA_BUNDLE`` pointing at the emulator's CA) and
authenticates with an access token from the emulator's OAuth password grant.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from emulator.server import BackgroundEmulator
from emulator.tls import ensure_certificates


@pytest.fixture(scope="module")
def https_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundEmulator]:
    """The demo org served over https with a local CA."""
    tls = ensure_certificates(tmp_path_factory.mktemp("tls"))
    with BackgroundEmulator(tls=tls) as emulator:
        yield emulator


@pytest.fixture
def sf(https_emulator: BackgroundEmulator, monkeypatch: pytest.MonkeyPatch) -> Salesforce:
    """simple-salesforce, pointed at the emulator, trusting its CA through REQUESTS_CA_BUNDLE."""
    ca = https_emulator_ca(https_emulator)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    response = httpx.post(
        f"{https_emulator.base_url}/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": "callforce-demo",
            "client_secret": "callforce-demo-secret",
            "username": "demo@callforce.dev",
            "password": "demo",
        },
        verify=ssl.create_default_context(cafile=str(ca)),
    )
    response.raise_for_status()
    token = response.json()
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"])


def https_emulator_ca(emulator: BackgroundEmulator) -> Path:
    """The CA file the emulator's certificate chains to."""
    tls = emulator.tls
    assert tls is not None
    assert tls.ca is not None
    return tls.ca


def test_describe(sf: Salesforce) -> None:
    """describe() returns the Contact fields, including the org's External_Id__c."""
    names = {field["name"] for field in sf.Contact.describe()["fields"]}
    assert {"Id", "LastName", "Email", "AccountId", "External_Id__c"} <= names


def test_create_get_update_delete(sf: Salesforce) -> None:
    """A contact goes through create, get, update and delete."""
    created = sf.Contact.create({"LastName": "Okafor", "FirstName": "Chidi"})
    assert created["success"] is True
    record = sf.Contact.get(created["id"])
    assert record["LastName"] == "Okafor"
    assert record["Name"] == "Chidi Okafor"
    assert sf.Contact.update(created["id"], {"Title": "Ethics professor"}) == 204
    assert sf.Contact.get(created["id"])["Title"] == "Ethics professor"
    assert sf.Contact.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(created["id"])


def test_upsert_creates_then_updates(sf: Salesforce) -> None:
    """Upsert by External_Id__c creates (201) and then updates (200) the same lead."""
    data = {"LastName": "Lindqvist", "Company": "Nordic Fjord AB"}
    assert sf.Lead.upsert("External_Id__c/SS-UPSERT-1", data) == 201
    assert sf.Lead.upsert("External_Id__c/SS-UPSERT-1", {"Company": "Fjord AB"}) == 200
    lead = sf.Lead.get_by_custom_id("External_Id__c", "SS-UPSERT-1")
    assert lead["Company"] == "Fjord AB"


def test_query(sf: Salesforce) -> None:
    """query() finds the seeded contact Ana García by email, with her account."""
    result = sf.query("SELECT Id, Name, Account.Name FROM Contact WHERE Email = 'ana@example.com'")
    assert result["totalSize"] == 1
    assert result["records"][0]["Account"]["Name"] == "Acme Corporation"


def test_bulk2_insert_then_query_all_across_pages(sf: Salesforce) -> None:
    """bulk2 inserts 2,500 contacts; query_all follows nextRecordsUrl past 2,000 rows."""
    records = [{"LastName": f"Bulk {i:05d}", "Email": f"bulk{i}@example.com"} for i in range(2500)]
    results = sf.bulk2.Contact.insert(records=records, wait=0.1)
    assert sum(int(r["numberRecordsProcessed"]) for r in results) == 2500
    assert sum(int(r["numberRecordsFailed"]) for r in results) == 0
    everything = sf.query_all("SELECT Id FROM Contact WHERE LastName LIKE 'Bulk %'")
    assert everything["totalSize"] == 2500
    assert len(everything["records"]) == 2500
    assert len({r["Id"] for r in everything["records"]}) == 2500


def test_malformed_query_is_refused(sf: Salesforce) -> None:
    """A malformed query raises SalesforceMalformedRequest with MALFORMED_QUERY."""
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Contact WHERE")
    assert caught.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_missing_required_field_is_refused(sf: Salesforce) -> None:
    """Creating a lead without Company and LastName is REQUIRED_FIELD_MISSING."""
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.create({"FirstName": "Nobody"})
    assert caught.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_search_finds_a_caller_by_phone(sf: Salesforce) -> None:
    """search() runs SOSL: Ana García's number, written as a caller's phone sends it."""
    result = sf.search(
        "FIND {+1 (415) 555-0100} IN PHONE FIELDS RETURNING Contact(Name, DoNotCall), Lead(Name)"
    )
    assert [(r["Name"], r["DoNotCall"]) for r in result["searchRecords"]] == [("Ana García", False)]


def test_quick_search(sf: Salesforce) -> None:
    """quick_search() wraps the text in FIND {…}: the ids of every record it finds."""
    result = sf.quick_search("Brightline")
    records = result["searchRecords"]
    assert [r["attributes"]["type"] for r in records] == ["Lead"]
    assert list(records[0]) == ["attributes", "Id"]


def test_malformed_search_is_refused(sf: Salesforce) -> None:
    """A search without braces raises SalesforceMalformedRequest with MALFORMED_SEARCH."""
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.search("FIND Acme")
    assert caught.value.content[0]["errorCode"] == "MALFORMED_SEARCH"
