"""A small in-memory org for the SOQL engine's tests, and running a query against it.

The org has users, accounts (one deleted), contacts, a lead, opportunities, tasks and a case,
with values chosen for the filter, ordering and aggregate cases; ``org.ids`` names every record.
Queries run at :data:`NOW` in :data:`NEW_YORK`, at :data:`API_VERSION`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from emulator import soql
from emulator.schema import Schema, load_schema
from emulator.store import OrgStore

#: Wednesday 2026-05-13, 11:00 in New York.
NOW = dt.datetime(2026, 5, 13, 15, 0, tzinfo=dt.UTC)
NEW_YORK = ZoneInfo("America/New_York")
API_VERSION = "62.0"


@dataclass
class Org:
    """A small org: the store and the ids of its records by a short name."""

    schema: Schema
    store: OrgStore
    ids: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, sobject: str, **values: Any) -> str:
        """Insert a record and remember its id under ``name``."""
        record_id = self.store.new_id(sobject)
        with self.store.batch() as batch:
            batch.insert(sobject, {"Id": record_id, "IsDeleted": False, **values})
        self.ids[name] = record_id
        return record_id


_SCHEMA = load_schema()


def make_org() -> Org:
    """Users, accounts (one deleted), contacts, a lead, opportunities, tasks and a case."""
    org = Org(_SCHEMA, OrgStore(_SCHEMA))
    dana = org.add(
        "dana",
        "User",
        FirstName="Dana",
        LastName="Demo",
        Name="Dana Demo",
        Email="dana@example.com",
        Username="dana@example.com",
    )
    sam = org.add(
        "sam",
        "User",
        FirstName="Sam",
        LastName="Seller",
        Name="Sam Seller",
        Email="sam@example.com",
        Username="sam@example.com",
    )
    acme = org.add(
        "acme",
        "Account",
        Name="Acme",
        Industry="Technology",
        AnnualRevenue=1000000.0,
        NumberOfEmployees=50,
        OwnerId=dana,
        BillingStreet="1 Rue de Rivoli",
        BillingCity="Paris",
        BillingCountry="France",
        Description="Long text",
        CreatedDate="2026-05-13T14:00:00.000+0000",
    )
    globex = org.add(
        "globex",
        "Account",
        Name="Globex",
        Industry="Energy",
        AnnualRevenue=None,
        NumberOfEmployees=500,
        OwnerId=sam,
        CreatedDate="2026-05-12T03:30:00.000+0000",
    )
    org.add(
        "initech",
        "Account",
        Name="initech",
        Industry=None,
        AnnualRevenue=250.5,
        NumberOfEmployees=None,
        OwnerId=dana,
        CreatedDate="2026-04-01T12:00:00.000+0000",
    )
    org.add(
        "umbrella",
        "Account",
        Name="Umbrella_Corp 100%",
        Industry="Technology",
        AnnualRevenue=75.0,
        NumberOfEmployees=7,
        OwnerId=sam,
        CreatedDate="2025-12-31T23:59:59.000+0000",
    )
    org.add("deleted", "Account", Name="Gone Inc", IsDeleted=True, OwnerId=dana)
    ada = org.add(
        "ada",
        "Contact",
        FirstName="Ada",
        LastName="Lovelace",
        AccountId=acme,
        Email="ada@acme.com",
        Birthdate="1990-12-10",
        OwnerId=dana,
    )
    org.add(
        "alan",
        "Contact",
        FirstName="Alan",
        LastName="Turing",
        AccountId=acme,
        Email="alan@acme.com",
        Birthdate=None,
        OwnerId=sam,
    )
    org.add(
        "grace",
        "Contact",
        FirstName="Grace",
        LastName="Hopper",
        AccountId=None,
        Email=None,
        OwnerId=sam,
    )
    lee = org.add(
        "lee",
        "Lead",
        FirstName="Lee",
        LastName="Lead",
        Name="Lee Lead",
        Company="Leadco",
        OwnerId=dana,
    )
    big = org.add(
        "big",
        "Opportunity",
        Name="Big Deal",
        AccountId=acme,
        Amount=5000.0,
        CloseDate="2026-05-13",
        StageName="Prospecting",
        IsWon=False,
        OwnerId=dana,
    )
    org.add(
        "small",
        "Opportunity",
        Name="Small Deal",
        AccountId=globex,
        Amount=100.0,
        CloseDate="2026-06-30",
        StageName="Closed Won",
        IsWon=True,
        OwnerId=sam,
    )
    org.add("call", "Task", Subject="Call", WhoId=ada, WhatId=acme, OwnerId=dana)
    org.add("mail", "Task", Subject="Email", WhoId=lee, WhatId=big, OwnerId=dana)
    org.add("todo", "Task", Subject="Todo", WhoId=None, WhatId=None, OwnerId=sam)
    org.add("case", "Case", Subject="Broken", AccountId=acme, OwnerId=dana, Status="New")
    return org


def run(
    org: Org,
    text: str,
    *,
    include_deleted: bool = False,
    now: dt.datetime = NOW,
    tz: ZoneInfo = NEW_YORK,
) -> soql.QueryResult:
    """Parse and execute ``text`` against ``org``."""
    query = soql.parse(text, org.schema)
    return soql.execute(
        query, org.store, include_deleted=include_deleted, api_version=API_VERSION, now=now, tz=tz
    )


def values(org: Org, text: str, key: str = "Name", **options: Any) -> list[Any]:
    """The ``key`` of every returned record, in order."""
    return [record[key] for record in run(org, text, **options).records]
