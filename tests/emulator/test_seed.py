"""The seed (emulator.seed): users, the documented demo records, and records that fit their
describes the way Salesforce-written records do."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import pytest

from emulator.config import EmulatorConfig
from emulator.ids import is_well_formed
from emulator.org import Org
from emulator.seed import seeder_for

WIRE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")
WIRE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL = re.compile(r"^[a-z0-9.]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")
#: Fictional numbers, written internationally or (Theo Adeyemi's) as the US-locale UI writes them.
PHONE = re.compile(r"^(\+1 \d{3} 555 01\d{2}|\(\d{3}\) 555-01\d{2})$")
SYSTEM_FIELDS = (
    "Id",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
)


def make_org(**settings: Any) -> Org:
    """A new in-memory org seeded for ``settings``."""
    config = EmulatorConfig(**settings)
    return Org.create(config, seeder_for(config))


def one(org: Org, sobject: str, field: str, value: Any) -> dict[str, Any]:
    """The single record of ``sobject`` whose ``field`` is ``value``."""
    (record,) = org.store.lookup(sobject, field, value)
    return record


def parse(value: str) -> dt.datetime:
    """A wire datetime as an aware datetime."""
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.000%z")


def all_records(org: Org) -> list[tuple[str, dict[str, Any]]]:
    """Every record of the org with its object name."""
    return [(name, record) for name in org.schema for record in org.store.records(name)]


def test_demo_seed_has_a_few_hundred_records(org: Org) -> None:
    """The demo org holds the documented number of records of each object."""
    counts = {name: org.store.count(name) for name in org.schema}
    assert counts == {
        "Account": 60,
        "Case": 30,
        "Contact": 150,
        "Event": 20,
        "Lead": 60,
        "Opportunity": 40,
        "Task": 40,
        "User": 4,
    }


def test_documented_account_and_contact(org: Org) -> None:
    """Acme Corporation and Ana García (ana@example.com, +1 415 555 0100) work together."""
    acme = one(org, "Account", "Name", "Acme Corporation")
    ana = one(org, "Contact", "Email", "ana@example.com")
    demo = org.user_by_username("demo@callforce.dev")
    assert demo is not None
    assert acme["Phone"] == "+1 415 555 0199"
    assert acme["Industry"] == "Manufacturing"
    assert acme["OwnerId"] == demo["Id"]
    assert ana["Name"] == "Ana García"
    assert ana["Phone"] == "+1 415 555 0100"
    assert ana["AccountId"] == acme["Id"]
    assert ana["External_Id__c"] == "C-000001"
    assert org.store.lookup("Contact", "Phone", "+1 415 555 0100") == [ana]


def test_documented_caller_who_opted_out(org: Org) -> None:
    """Theo Adeyemi ((720) 555-0163) asked not to be called or e-mailed; Ana and Marco did not."""
    flags = ("DoNotCall", "HasOptedOutOfEmail", "HasOptedOutOfFax")
    theo = one(org, "Contact", "Email", "theo.adeyemi@example.com")
    assert theo["Name"] == "Theo Adeyemi"
    assert theo["Phone"] == "(720) 555-0163"
    assert [theo[flag] for flag in flags] == [True, True, False]
    ana = one(org, "Contact", "Email", "ana@example.com")
    marco = one(org, "Lead", "External_Id__c", "L-000001")
    for person in (ana, marco):
        assert [person[flag] for flag in flags] == [False, False, False]


@pytest.mark.parametrize("sobject", ["Contact", "Lead"])
def test_a_few_people_opted_out(org: Org, sobject: str) -> None:
    """Some contacts and leads have DoNotCall or HasOptedOutOfEmail set, most have neither."""
    people = list(org.store.records(sobject))
    do_not_call = [p for p in people if p["DoNotCall"]]
    no_email = [p for p in people if p["HasOptedOutOfEmail"]]
    assert 2 <= len(do_not_call) <= len(people) // 10
    assert 2 <= len(no_email) <= len(people) // 10


def test_documented_lead(org: Org) -> None:
    """The lead with External_Id__c L-000001 is Marco Rossi of Brightline Solar."""
    marco = one(org, "Lead", "External_Id__c", "L-000001")
    assert marco["Name"] == "Marco Rossi"
    assert marco["Company"] == "Brightline Solar"
    assert marco["Status"] == "Open - Not Contacted"
    assert marco["Email"] == "marco.rossi@brightline.example.com"


def test_documented_opportunity_case_and_call(org: Org) -> None:
    """Acme's renewal, Ana's damaged-shipment case and yesterday's call with Ana exist."""
    acme = one(org, "Account", "Name", "Acme Corporation")
    ana = one(org, "Contact", "Email", "ana@example.com")
    today = org.now().astimezone(org.tz).date()
    renewal = one(org, "Opportunity", "Name", "Acme Corporation - Platform Renewal")
    assert renewal["AccountId"] == acme["Id"]
    assert renewal["StageName"] == "Negotiation/Review"
    assert renewal["Amount"] == 120_000
    assert renewal["CloseDate"] == (today + dt.timedelta(days=30)).isoformat()
    case = one(org, "Case", "Subject", "Shipment arrived damaged")
    assert (case["ContactId"], case["AccountId"]) == (ana["Id"], acme["Id"])
    assert (case["Status"], case["Origin"], case["Priority"]) == ("New", "Phone", "High")
    calls = [t for t in org.store.lookup("Task", "WhoId", ana["Id"]) if t["TaskSubtype"] == "Call"]
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert [c["ActivityDate"] for c in calls if c["Subject"] == "Call"] == [yesterday]


def test_users_of_both_seeds() -> None:
    """Both seeds create the configured demo user, two colleagues and the Integration User."""
    for seed in ("demo", "empty"):
        org = make_org(seed=seed, username="pat@example.org", time_zone="Europe/Madrid")
        users = {u["Name"]: u for u in org.store.records("User")}
        assert set(users) == {"Dana Demo", "Sam Rivera", "Priya Patel", "Integration User"}
        dana = users["Dana Demo"]
        assert dana["Username"] == dana["Email"] == "pat@example.org"
        assert (dana["FirstName"], dana["LastName"], dana["IsActive"]) == ("Dana", "Demo", True)
        assert dana["TimeZoneSidKey"] == "Europe/Madrid"
        assert dana["LocaleSidKey"] == dana["LanguageLocaleKey"] == "en_US"
        assert users["Sam Rivera"]["Username"] == "sam.rivera@example.org"
        assert all(user["IsActive"] for user in users.values())
        assert org.user_by_username("pat@example.org") == dana


def test_empty_seed_has_only_users() -> None:
    """--seed empty creates the users and nothing else."""
    org = make_org(seed="empty")
    assert {name: org.store.count(name) for name in org.schema if org.store.count(name)} == {
        "User": 4
    }


def test_no_config_means_demo() -> None:
    """seeder_for(None) seeds the demo records."""
    org = Org.create(EmulatorConfig(seed="empty"), seeder_for(None))
    assert org.store.count("Account") == 60


def test_seed_is_deterministic() -> None:
    """Two demo orgs hold the same records and ids; only the timestamps follow the clock."""

    def snapshot(org: Org) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for name, record in all_records(org):
            obj = org.schema[name]
            moving = {f.name for f in obj.fields.values() if f.type in ("date", "datetime")}
            moving |= {"HasOpenActivity", "HasOverdueTask", "FiscalYear", "FiscalQuarter", "Fiscal"}
            out.append((name, {k: v for k, v in record.items() if k not in moving}))
        return out

    assert snapshot(make_org()) == snapshot(make_org())


def test_reset_restores_the_seed(org: Org) -> None:
    """Org.reset brings back exactly the seed records after changes."""
    acme = one(org, "Account", "Name", "Acme Corporation")
    with org.store.batch() as batch:
        batch.insert("Account", {"Id": org.store.new_id("Account"), "Name": "Temp"})
        batch.update("Account", acme["Id"], {"Name": "Renamed"})
    org.reset()
    assert org.store.count("Account") == 60
    assert one(org, "Account", "Name", "Acme Corporation")["Id"] == acme["Id"]
    assert not org.store.lookup("Account", "Name", "Temp")


def test_records_carry_system_fields(org: Org) -> None:
    """Every record has an 18-char id, owner, audit fields, and timestamps within the year."""
    now = org.now()
    users = {u["Id"] for u in org.store.records("User")}
    for name, record in all_records(org):
        obj = org.schema[name]
        for field in SYSTEM_FIELDS:
            assert record.get(field) is not None, (name, field)
        assert is_well_formed(record["Id"])
        assert len(record["Id"]) == 18
        assert record["Id"].startswith(obj.key_prefix)
        if obj.field("IsDeleted"):
            assert record["IsDeleted"] is False
        if obj.field("OwnerId"):
            assert record["OwnerId"] in users
        assert {record["CreatedById"], record["LastModifiedById"]} <= users
        created, modified = parse(record["CreatedDate"]), parse(record["LastModifiedDate"])
        assert now - dt.timedelta(days=401) <= created <= modified <= now, (name, record["Id"])
        assert record["SystemModstamp"] == record["LastModifiedDate"]


def test_records_fit_their_describe(org: Org) -> None:
    """Fields exist, types match, picklists are active values, text fits, references resolve."""
    ids = {record["Id"]: name for name, record in all_records(org)}
    for name, record in all_records(org):
        obj = org.schema[name]
        for key, value in record.items():
            field = obj.field(key)
            assert field is not None, f"{name}.{key} is not in the describe"
            if value is None:
                continue
            where = f"{name}.{key}={value!r}"
            if field.type == "boolean":
                assert isinstance(value, bool), where
            elif field.type in ("int", "currency", "double", "percent"):
                assert type(value) in (int, float), where
            elif field.type == "datetime":
                assert WIRE_DATETIME.match(value), where
            elif field.type == "date":
                assert WIRE_DATE.match(value), where
            elif field.type == "reference":
                assert ids.get(value) in field.reference_to, where
            else:
                assert isinstance(value, str), where
                assert field.length == 0 or len(value) <= field.length, where
            if field.type == "picklist":
                assert value in field.picklist_values, where
            if field.type == "email":
                assert EMAIL.match(value), where
        for field in obj.fields.values():
            if field.type == "boolean":
                assert isinstance(record.get(field.name), bool), f"{name}.{field.name} unset"
            if field.required_on_create:
                assert record.get(field.name) is not None, f"{name}.{field.name} missing"


def test_people_are_named_and_reachable(org: Org) -> None:
    """Names are FirstName LastName; phones and e-mails are fictional and never repeat."""
    phones: Counter[str] = Counter()
    emails: Counter[str] = Counter()
    for name in ("Contact", "Lead", "User"):
        for person in org.store.records(name):
            assert person["Name"] == f"{person['FirstName']} {person['LastName']}"
            emails[person["Email"]] += 1
    for name, record in all_records(org):
        for key in ("Phone", "MobilePhone"):
            if record.get(key) and name != "Case":
                assert PHONE.match(record[key]), record[key]
                phones[record[key]] += 1
    assert phones.most_common(1)[0][1] == 1
    assert emails.most_common(1)[0][1] == 1


@pytest.mark.parametrize(("sobject", "prefix"), [("Contact", "C-"), ("Lead", "L-")])
def test_external_ids_are_unique(org: Org, sobject: str, prefix: str) -> None:
    """Many contacts and leads have a unique External_Id__c like C-000123 / L-000045."""
    values = [r["External_Id__c"] for r in org.store.records(sobject) if r.get("External_Id__c")]
    assert len(values) > org.store.count(sobject) // 2
    assert len(set(values)) == len(values)
    assert all(re.fullmatch(rf"{prefix}\d{{6}}", value) for value in values)


def test_opportunities_and_cases_are_consistent(org: Org) -> None:
    """Stage drives IsClosed/IsWon/Probability/ForecastCategory; Status drives Case.IsClosed."""
    for opportunity in org.store.records("Opportunity"):
        stage = opportunity["StageName"]
        assert opportunity["IsClosed"] == stage.startswith("Closed")
        assert opportunity["IsWon"] == (stage == "Closed Won")
        assert opportunity["Probability"] == {"Closed Won": 100, "Closed Lost": 0}.get(
            stage, opportunity["Probability"]
        )
        assert (
            opportunity["ExpectedRevenue"]
            == opportunity["Amount"] * opportunity["Probability"] / 100
        )
    for case in org.store.records("Case"):
        assert case["IsClosed"] == (case["Status"] == "Closed")
        assert (case.get("ClosedDate") is not None) == case["IsClosed"]
        assert len(case["CaseNumber"]) == 8
    numbers = [c["CaseNumber"] for c in org.store.records("Case")]
    assert len(set(numbers)) == len(numbers)


def test_activities_are_consistent(org: Org) -> None:
    """Calls have call fields and a contact or lead; events last DurationInMinutes."""
    tasks = list(org.store.records("Task"))
    calls = [t for t in tasks if t["TaskSubtype"] == "Call"]
    assert len(calls) >= 20
    for call in calls:
        assert call["CallType"] in ("Inbound", "Outbound")
        assert call["CallDurationInSeconds"] > 0
        assert call["WhoId"][:3] in ("003", "00Q")
        assert call["Status"] == "Completed"
    for task in tasks:
        assert task["IsClosed"] == (task["Status"] == "Completed")
        assert task["IsHighPriority"] == (task["Priority"] == "High")
    events = list(org.store.records("Event"))
    assert any(parse(e["StartDateTime"]) > org.now() for e in events)
    for event in events:
        start, end = parse(event["StartDateTime"]), parse(event["EndDateTime"])
        assert end - start == dt.timedelta(minutes=event["DurationInMinutes"])
        assert event["ActivityDateTime"] == event["StartDateTime"]
        assert event["ActivityDate"] == start.astimezone(org.tz).date().isoformat()


def test_records_spread_over_the_year(org: Org) -> None:
    """Accounts were created across many months, not all at once."""
    months = {record["CreatedDate"][:7] for record in org.store.records("Account")}
    assert len(months) >= 8
