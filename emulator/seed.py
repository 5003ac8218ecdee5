"""The org's seed: its users and, for ``--seed demo``, a few hundred realistic records.

Seeding runs on every ``Org.create`` of a new database and on every reset, so it is one
``store.batch()`` and takes milliseconds. It is deterministic: the same records, ids and values
every time (``random.Random`` with a fixed seed); only the timestamps move with ``org.now()``, as
they are spread over the year before it.

Records carry what Salesforce fills itself: ``Id``, ``IsDeleted``, ``OwnerId``, ``CreatedDate``,
``CreatedById``, ``LastModifiedDate``, ``LastModifiedById``, ``SystemModstamp``, the ``Name`` of
people (FirstName + LastName), defaulted picklists and every boolean, the stage-derived fields
of opportunities, ``IsClosed`` of cases and tasks, ``CaseNumber``, ``PhotoUrl``, the
``AccountId`` of activities, ``LastActivityDate`` and ``HasOpenActivity``. Compound address
fields are not stored (they are views over their components). An absent field reads as null.

Users (both seeds; ``<domain>`` is the domain of ``config.username``):

- ``config.username`` (``demo@callforce.dev``): **Dana Demo**, the demo user, who logs in;
- ``sam.rivera@<domain>``: Sam Rivera, account executive;
- ``priya.patel@<domain>``: Priya Patel, support manager (owns most cases);
- ``integration@<domain>``: **Integration User**, who created the imported records.

Documented demo records (the README, docs and tests rely on them; values in
:mod:`emulator.seed_data`):

- Account **Acme Corporation**: Manufacturing, San Francisco, Phone ``+1 415 555 0199``,
  Website ``https://acme.example.com``, owned by Dana Demo.
- Contact **Ana García** at Acme Corporation: Email ``ana@example.com``,
  Phone ``+1 415 555 0100``, External_Id__c ``C-000001``.
- Lead **Marco Rossi** of Brightline Solar: External_Id__c ``L-000001``,
  Email ``marco.rossi@brightline.example.com``, Phone ``+1 512 555 0142``.
- Opportunity **Acme Corporation - Platform Renewal**: Negotiation/Review, Amount 120000,
  CloseDate 30 days from today.
- Case **Shipment arrived damaged** from Ana García: New, Phone, High.
- Task **Call** with Ana García on Acme Corporation, yesterday at 10:15: a completed outbound
  call (TaskSubtype Call).

Phone numbers and e-mail addresses are unique across the org, so a caller-id lookup finds one
person. Other contacts and leads may have ``External_Id__c`` values ``C-000002``… and
``L-000002``….
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from emulator import seed_data as data
from emulator.config import EmulatorConfig
from emulator.org import Org
from emulator.schema import ObjectSchema

Record = dict[str, Any]

_RANDOM_SEED = 20260501
_COUNTS = {"Account": 60, "Contact": 150, "Lead": 60, "Opportunity": 40, "Case": 30}
_CALLS, _OTHER_TASKS, _EVENTS = 25, 15, 20
_ADDRESS = ("Street", "City", "State", "PostalCode", "Country")
_ACTIVITY_REFS = ("WhoId", "WhatId", "AccountId")
_INDUSTRIES = tuple(data.INDUSTRY_NOUNS)
_DAY = dt.timedelta(days=1)

#: Users: role, first name, last name, title, department, time zone (None: the org's).
_USERS = (
    ("demo", "Dana", "Demo", "Account Executive", "Sales", None),
    ("sam", "Sam", "Rivera", "Account Executive", "Sales", "America/New_York"),
    ("priya", "Priya", "Patel", "Support Manager", "Customer Support", "America/Chicago"),
    ("integration", "Integration", "User", None, None, None),
)
#: Probability, ForecastCategory and ForecastCategoryName of each standard opportunity stage.
_STAGES = {
    "Prospecting": (10, "Pipeline", "Pipeline"),
    "Qualification": (10, "Pipeline", "Pipeline"),
    "Needs Analysis": (20, "Pipeline", "Pipeline"),
    "Value Proposition": (50, "Pipeline", "Pipeline"),
    "Id. Decision Makers": (60, "Pipeline", "Pipeline"),
    "Perception Analysis": (70, "Pipeline", "Pipeline"),
    "Proposal/Price Quote": (75, "Pipeline", "Pipeline"),
    "Negotiation/Review": (90, "Pipeline", "Pipeline"),
    "Closed Won": (100, "Closed", "Closed"),
    "Closed Lost": (0, "Omitted", "Omitted"),
}
_OPEN_STAGES = tuple(stage for stage in _STAGES if not stage.startswith("Closed"))


def seeder_for(config: EmulatorConfig | None) -> Callable[[Org], None]:
    """The seeding function for ``config.seed``: ``"empty"`` (users only) or ``"demo"``."""
    demo = config is None or config.seed == "demo"

    def seed(org: Org) -> None:
        with org.store.batch() as batch:
            seeder = _Seeder(org)
            seeder.users()
            if demo:
                seeder.demo_records()
            for sobject, records in seeder.records.items():
                fields = org.schema[sobject].fields.values()
                temporal = frozenset(f.name for f in fields if f.type in ("date", "datetime"))
                for record in records:
                    batch.insert(sobject, _to_wire(record, temporal))

    return seed


def _to_wire(record: Record, temporal: frozenset[str]) -> Record:
    """Datetimes and dates (the ``temporal`` fields) in Salesforce's JSON format."""
    for name in temporal.intersection(record):
        value = record[name]
        if isinstance(value, dt.datetime):
            # isoformat is several times faster than strftime, and seeding runs on every reset.
            utc = value.astimezone(dt.UTC).replace(tzinfo=None)
            record[name] = utc.isoformat(timespec="milliseconds") + "+0000"
        elif isinstance(value, dt.date):
            record[name] = value.isoformat()
    return record


def _ascii(text: str) -> str:
    """Lower-case ASCII letters and digits of ``text`` (``"García"`` → ``"garcia"``)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", folded)


def _defaults(obj: ObjectSchema) -> Record:
    """What Salesforce sets on insert when a field is not given: booleans, default picklists."""
    out: Record = {}
    for field in obj.fields.values():
        if field.type == "boolean":
            out[field.name] = field.default_value is True
        elif field.type == "picklist" and field.default_picklist_value is not None:
            out[field.name] = field.default_picklist_value
    return out


class _Seeder:
    """Builds the records with Python values (``datetime`` in UTC, ``date``); ``seed`` writes."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.rng = random.Random(_RANDOM_SEED)
        # Every instant kept is in UTC: comparing datetimes of one tzinfo is cheap.
        self.now = org.now().astimezone(dt.UTC).replace(microsecond=0)
        self.tz = org.tz
        self.today = self.now.astimezone(self.tz).date()
        self.records: dict[str, list[Record]] = {}
        self.by_id: dict[str, Record] = {}
        self.users_by_role: dict[str, str] = {}
        self.phones = {data.ACME["Phone"], data.ANA["Phone"], data.MARCO["Phone"]}
        self.emails = {data.ANA["Email"], data.MARCO["Email"]}
        self.domains = {"acme", "brightline"}

    # -- shared -------------------------------------------------------------------------------

    def register(
        self,
        sobject: str,
        records: list[Record],
        after_id: Callable[[int, Record], None] | None = None,
    ) -> list[Record]:
        """Give ``records`` ids in creation order and the fields Salesforce fills; keep them."""
        obj = self.org.schema[sobject]
        defaults, known = _defaults(obj), obj.fields.keys()
        done = []
        for index, given in enumerate(sorted(records, key=lambda r: r["CreatedDate"])):
            if unknown := given.keys() - known:
                raise ValueError(f"seed bug: {sobject} has no field {sorted(unknown)}")
            record: Record = {"Id": self.org.store.new_id(sobject), **defaults, **given}
            # The first user, the demo user, created itself.
            creator = record.get("OwnerId") or self.users_by_role.get("demo") or record["Id"]
            record.setdefault("CreatedById", creator)
            record.setdefault("LastModifiedDate", self.edited(record["CreatedDate"]))
            record.setdefault("LastModifiedById", record["CreatedById"])
            record["SystemModstamp"] = record["LastModifiedDate"]
            if "LastActivityDate" in known:
                record.setdefault("LastActivityDate", None)
            if "PhotoUrl" in known and sobject != "User":
                record["PhotoUrl"] = f"/services/images/photo/{record['Id']}"
            if after_id is not None:
                after_id(index, record)
            done.append(record)
            self.by_id[record["Id"]] = record
        self.records.setdefault(sobject, []).extend(done)
        return done

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        """A random instant in ``[start, end]``, to the second (``start`` if the span is empty)."""
        span = max((end - start).total_seconds(), 0.0)
        return start + dt.timedelta(seconds=int(span * self.rng.random()))

    def edited(self, created: dt.datetime) -> dt.datetime:
        """LastModifiedDate: about half the records were edited after creation."""
        return created if self.rng.random() < 0.5 else self.between(created, self.now)

    def days_ago(self, first: int, last: int) -> dt.datetime:
        """A random instant between ``first`` and ``last`` days before now."""
        return self.between(self.now - first * _DAY, self.now - last * _DAY)

    def local(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """``day`` at ``hour:minute`` in the org's time zone, in UTC."""
        return dt.datetime.combine(day, dt.time(hour, minute), self.tz).astimezone(dt.UTC)

    def local_date(self, instant: dt.datetime) -> dt.date:
        """The date of ``instant`` in the org's time zone."""
        return instant.astimezone(self.tz).date()

    def rep(self) -> str:
        """A record owner: mostly the demo user."""
        roles = self.rng.choices(("demo", "sam", "priya"), (5, 3, 2))
        return self.users_by_role[roles[0]]

    def creator(self, owner: str) -> str:
        """Who created a record: its owner, or the Integration User for imported ones."""
        return self.users_by_role["integration"] if self.rng.random() < 0.15 else owner

    def phone(self, area: str) -> str:
        """An unused fictional number ``+1 AAA 555 01NN``, in ``area`` while one is free."""
        for attempt in range(1000):
            code = area if attempt < 100 else self.rng.choice(data.CITIES)[3]
            number = f"+1 {code} 555 01{self.rng.randrange(100):02d}"
            if number not in self.phones:
                self.phones.add(number)
                return number
        raise RuntimeError("seed bug: ran out of fictional phone numbers")

    def email(self, first: str, last: str, domain: str) -> str:
        """An unused ``first.last@domain``."""
        base, n = f"{_ascii(first)}.{_ascii(last)}", 1
        address = f"{base}@{domain}"
        while address in self.emails:
            n += 1
            address = f"{base}{n}@{domain}"
        self.emails.add(address)
        return address

    def company(self) -> tuple[str, str, str]:
        """An unused company name, its Industry and its own web domain."""
        while True:
            industry = self.rng.choice(_INDUSTRIES)
            name = f"{self.rng.choice(data.COMPANY_CORES)} "
            name += self.rng.choice(data.INDUSTRY_NOUNS[industry])
            if (slug := _ascii(name)) not in self.domains:
                self.domains.add(slug)
                name += self.rng.choice(data.COMPANY_SUFFIXES)
                return name, industry, f"{slug}.example.com"

    def person(self, taken: set[tuple[str, str]]) -> tuple[str, str]:
        """A first and last name not in ``taken`` (which it joins)."""
        while True:
            name = (self.rng.choice(data.FIRST_NAMES), self.rng.choice(data.LAST_NAMES))
            if name not in taken:
                taken.add(name)
                return name

    def address(self, prefix: str = "") -> tuple[Record, str]:
        """A US address as ``{prefix}Street``… fields, and its area code."""
        city, state, zip3, area = self.rng.choice(data.CITIES)
        street = f"{self.rng.randint(10, 4999)} {self.rng.choice(data.STREETS)}"
        values = (street, city, state, f"{zip3}{self.rng.randrange(100):02d}", "United States")
        return {prefix + part: value for part, value in zip(_ADDRESS, values, strict=True)}, area

    def size(self) -> Record:
        """NumberOfEmployees and AnnualRevenue that go together."""
        employees = max(5, min(int(self.rng.lognormvariate(5, 1.4)), 90_000))
        revenue = round(employees * self.rng.randint(90, 320) * 1000, -4)
        return {"NumberOfEmployees": employees, "AnnualRevenue": revenue}

    # -- users --------------------------------------------------------------------------------

    def users(self) -> None:
        """The demo user, two colleagues who own records, and the Integration User."""
        config = self.org.config
        domain = config.username.partition("@")[2] or "callforce.dev"
        start = self.now - 400 * _DAY
        for n, (role, first, last, title, department, zone) in enumerate(_USERS):
            username = f"{_ascii(first)}.{_ascii(last)}@{domain}"
            if role in ("demo", "integration"):
                username = config.username if role == "demo" else f"integration@{domain}"
            user: Record = {
                "Username": username,
                "Email": username,
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Alias": (first[0] + last[:4]).lower(),
                "CommunityNickname": f"{_ascii(first)}.{_ascii(last)}",
                "IsActive": True,
                "Title": title,
                "Department": department,
                "CompanyName": config.org_name,
                "TimeZoneSidKey": zone or config.time_zone,
                "LocaleSidKey": "en_US",
                "LanguageLocaleKey": "en_US",
                "EmailEncodingKey": "UTF-8",
                "ProfileId": None,
                "UserType": "Standard",
                "CreatedDate": start + n * dt.timedelta(minutes=5),
            }
            (record,) = self.register("User", [user])
            self.users_by_role[role] = record["Id"]

    # -- demo records -------------------------------------------------------------------------

    def demo_records(self) -> None:
        """Accounts, contacts, leads, opportunities, cases, tasks and events."""
        accounts = self.accounts()
        contacts = self.contacts(accounts)
        leads = self.leads()
        opportunities = self.opportunities(accounts)
        self.cases(contacts)
        self.tasks(contacts, leads, opportunities)
        self.events(contacts, opportunities)
        self.roll_up_activities()

    def accounts(self) -> list[Record]:
        owner = self.users_by_role["demo"]
        acme = {**data.ACME, "OwnerId": owner, "CreatedDate": self.days_ago(340, 339)}
        records = [acme]
        types = (
            "Prospect",
            "Customer - Direct",
            "Customer - Channel",
            "Channel Partner / Reseller",
            "Technology Partner",
            "Other",
        )
        while len(records) < _COUNTS["Account"]:
            name, industry, domain = self.company()
            billing, area = self.address("Billing")
            owner = self.rep()
            account: Record = {
                "Name": name,
                "Industry": industry,
                **billing,
                "Phone": self.phone(area),
                "Type": self.rng.choices(types, (4, 6, 2, 1, 1, 1))[0],
                "Website": f"https://{domain}",
                **self.size(),
                "Rating": self.rng.choice(("Hot", "Warm", "Warm", "Cold")),
                "Ownership": self.rng.choice(("Public", "Private", "Private", "Subsidiary")),
                "AccountSource": self.rng.choice(
                    ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
                ),
                "AccountNumber": f"CF{100001 + len(records)}",
                "OwnerId": owner,
                "CreatedById": self.creator(owner),
                "CreatedDate": self.days_ago(360, 20),
            }
            if self.rng.random() < 0.5:
                where = f"{billing['BillingCity']}, {billing['BillingState']}"
                account["Description"] = f"{name} is a {industry.lower()} company in {where}."
            if self.rng.random() < 0.4:
                account.update({f"Shipping{part}": billing[f"Billing{part}"] for part in _ADDRESS})
            records.append(account)
        return self.register("Account", records)

    def contacts(self, accounts: list[Record]) -> list[Record]:
        acme = next(a for a in accounts if a["Name"] == data.ACME["Name"])
        ana = {
            **data.ANA,
            "AccountId": acme["Id"],
            "OwnerId": acme["OwnerId"],
            "CreatedDate": acme["CreatedDate"] + 2 * dt.timedelta(hours=1),
        }
        ana.update({f"Mailing{part}": acme[f"Billing{part}"] for part in _ADDRESS})
        records, names, external = [ana], {(ana["FirstName"], ana["LastName"])}, 1
        # Every account gets a contact; the rest go to accounts at random.
        parents = [a for a in accounts if a is not acme]
        parents += self.rng.choices(accounts, k=_COUNTS["Contact"] - len(accounts))
        for account in parents:
            first, last = self.person(names)
            title, department = self.rng.choice(data.TITLES)
            area = account["Phone"].split()[1]
            contact: Record = {
                "AccountId": account["Id"],
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Title": title,
                "Department": department,
                "Email": self.email(first, last, account["Website"].removeprefix("https://")),
                "Phone": self.phone(area),
                "OwnerId": account["OwnerId"],
                "LeadSource": self.rng.choice(("Web", "Phone Inquiry", "Partner Referral")),
                "CreatedById": self.creator(account["OwnerId"]),
                "CreatedDate": self.between(account["CreatedDate"], self.now - 2 * _DAY),
            }
            contact.update({f"Mailing{part}": account[f"Billing{part}"] for part in _ADDRESS})
            if self.rng.random() < 0.5:
                contact["MobilePhone"] = self.phone(area)
            if self.rng.random() < 0.3:
                contact["Salutation"] = self.rng.choice(("Mr.", "Ms.", "Mrs.", "Dr."))
            if self.rng.random() < 0.6:
                external += 1
                contact["External_Id__c"] = f"C-{external:06d}"
            records.append(contact)
        return self.register("Contact", records)

    def leads(self) -> list[Record]:
        owner = self.users_by_role["demo"]
        records = [{**data.MARCO, "OwnerId": owner, "CreatedDate": self.days_ago(6, 5)}]
        statuses = ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted")
        names, external = {(data.MARCO["FirstName"], data.MARCO["LastName"])}, 1
        while len(records) < _COUNTS["Lead"]:
            company, industry, domain = self.company()
            first, last = self.person(names)
            address, area = self.address()
            owner = self.rep()
            lead: Record = {
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Title": self.rng.choice(data.TITLES)[0],
                "Company": company,
                "Industry": industry,
                "Email": self.email(first, last, domain),
                "Phone": self.phone(area),
                **address,
                "Website": f"https://{domain}",
                "Status": self.rng.choices(statuses, (4, 4, 2))[0],
                **self.size(),
                "LeadSource": self.rng.choice(("Web", "Phone Inquiry", "Purchased List", "Other")),
                "Rating": self.rng.choice(("Hot", "Warm", "Cold")),
                "OwnerId": owner,
                "CreatedById": self.creator(owner),
                "CreatedDate": self.days_ago(300, 1),
            }
            if self.rng.random() < 0.65:
                external += 1
                lead["External_Id__c"] = f"L-{external:06d}"
            records.append(lead)
        return self.register("Lead", records)

    def opportunities(self, accounts: list[Record]) -> list[Record]:
        acme = next(a for a in accounts if a["Name"] == data.ACME["Name"])
        product, stage, amount, days = data.ACME_RENEWAL
        close = self.today + days * _DAY
        records = [self._opportunity(acme, product, stage, amount, close, self.days_ago(45, 44))]
        while len(records) < _COUNTS["Opportunity"]:
            account = self.rng.choice(accounts)
            created = self.between(account["CreatedDate"], self.now - 3 * _DAY)
            if self.rng.random() < 0.3:
                stage = self.rng.choices(("Closed Won", "Closed Lost"), (3, 2))[0]
                close = self.local_date(self.between(created, self.now))
            else:
                stage = self.rng.choice(_OPEN_STAGES)
                close = self.today + self.rng.randint(5, 150) * _DAY
            product = self.rng.choice(data.PRODUCTS)
            amount = self.rng.randrange(5_000, 250_000, 500)
            records.append(self._opportunity(account, product, stage, amount, close, created))
        return self.register("Opportunity", records)

    def _opportunity(
        self,
        account: Record,
        product: str,
        stage: str,
        amount: int,
        close: dt.date,
        created: dt.datetime,
    ) -> Record:
        probability, category, category_name = _STAGES[stage]
        quarter = (close.month - 1) // 3 + 1
        record: Record = {
            "AccountId": account["Id"],
            "Name": f"{account['Name']} - {product}"[:120],
            "StageName": stage,
            "Amount": amount,
            "Probability": probability,
            "ExpectedRevenue": amount * probability // 100,
            "CloseDate": close,
            "Type": self.rng.choice(
                ("Existing Customer - Upgrade", "New Customer", "Existing Customer - Replacement")
            ),
            "LeadSource": self.rng.choice(("Web", "Phone Inquiry", "Partner Referral")),
            "IsClosed": stage.startswith("Closed"),
            "IsWon": stage == "Closed Won",
            "ForecastCategory": category,
            "ForecastCategoryName": category_name,
            "FiscalYear": close.year,
            "FiscalQuarter": quarter,
            "Fiscal": f"{close.year} {quarter}",
            "OwnerId": account["OwnerId"],
            "CreatedDate": created,
        }
        if not record["IsClosed"]:
            record["NextStep"] = self.rng.choice(data.NEXT_STEPS)
        return record

    def cases(self, contacts: list[Record]) -> None:
        ana = next(c for c in contacts if c["Email"] == data.ANA["Email"])
        subject, status, origin, priority = data.ANA_CASE
        created = self.now - dt.timedelta(days=1, hours=4)
        records = [self._case(ana, subject, status, origin, priority, created)]
        statuses = ("New", "Working", "Escalated", "Closed")
        while len(records) < _COUNTS["Case"]:
            contact = self.rng.choice(contacts)
            records.append(
                self._case(
                    contact,
                    self.rng.choice(data.CASE_SUBJECTS),
                    self.rng.choices(statuses, (3, 3, 1, 3))[0],
                    self.rng.choice(("Phone", "Email", "Web")),
                    self.rng.choices(("High", "Medium", "Low"), (2, 5, 3))[0],
                    self.between(contact["CreatedDate"], self.now - dt.timedelta(hours=2)),
                )
            )

        def number(index: int, record: Record) -> None:
            record["CaseNumber"] = f"{1001 + index:08d}"

        self.register("Case", records, number)

    def _case(
        self,
        contact: Record,
        subject: tuple[str, str, str],
        status: str,
        origin: str,
        priority: str,
        created: dt.datetime,
    ) -> Record:
        title, case_type, reason = subject
        owner = self.rng.choices((self.users_by_role["priya"], contact["OwnerId"]), (2, 1))[0]
        record: Record = {
            "ContactId": contact["Id"],
            "AccountId": contact["AccountId"],
            "Subject": title,
            "Type": case_type,
            "Reason": reason,
            "Status": status,
            "Origin": origin,
            "Priority": priority,
            "Description": f"{title}. Reported by {contact['Name']}.",
            "IsClosed": status == "Closed",
            "IsEscalated": status == "Escalated",
            "ContactPhone": contact.get("Phone"),
            "ContactMobile": contact.get("MobilePhone"),
            "ContactEmail": contact.get("Email"),
            "OwnerId": owner,
            "CreatedDate": created,
        }
        if record["IsClosed"]:
            record["ClosedDate"] = record["LastModifiedDate"] = self.between(created, self.now)
        return record

    def tasks(
        self, contacts: list[Record], leads: list[Record], opportunities: list[Record]
    ) -> None:
        ana = next(c for c in contacts if c["Email"] == data.ANA["Email"])
        yesterday = self.local(self.today - _DAY, 10, 15)
        records = [
            self._call(ana, yesterday, "Call", "Outbound", 420, "Connected", data.ANA_CALL_NOTES)
        ]
        for _ in range(_CALLS - 1):
            who = self.rng.choice(contacts) if self.rng.random() < 0.8 else self.rng.choice(leads)
            records.append(
                self._call(
                    who,
                    self.between(who["CreatedDate"], self.now - dt.timedelta(hours=1)),
                    self.rng.choice(data.CALL_SUBJECTS),
                    self.rng.choices(("Outbound", "Inbound"), (7, 3))[0],
                    self.rng.randint(45, 1800),
                    self.rng.choice(data.CALL_DISPOSITIONS),
                    self.rng.choice(data.CALL_NOTES),
                )
            )
        statuses = (
            "Not Started",
            "In Progress",
            "Completed",
            "Waiting on someone else",
            "Deferred",
        )
        for _ in range(_OTHER_TASKS):
            opportunity = self.rng.choice(opportunities)
            account_id = opportunity["AccountId"]
            people = [c for c in contacts if c["AccountId"] == account_id]
            status = self.rng.choices(statuses, (4, 2, 4, 1, 1))[0]
            priority = self.rng.choices(("High", "Normal", "Low"), (2, 6, 2))[0]
            created = self.between(opportunity["CreatedDate"], self.now - dt.timedelta(hours=3))
            task: Record = {
                "WhoId": self.rng.choice(people)["Id"] if people else None,
                "WhatId": self.rng.choice((opportunity["Id"], account_id)),
                "AccountId": account_id,
                "Subject": self.rng.choice(data.TASK_SUBJECTS),
                "TaskSubtype": "Task",
                "Status": status,
                "Priority": priority,
                "IsHighPriority": priority == "High",
                "IsClosed": status == "Completed",
                "OwnerId": opportunity["OwnerId"],
                "CreatedDate": created,
                "ActivityDate": self.today + self.rng.randint(-5, 21) * _DAY,
            }
            if task["IsClosed"]:
                done = self.between(created, self.now)
                task.update(
                    ActivityDate=self.local_date(done),
                    CompletedDateTime=done,
                    LastModifiedDate=done,
                )
            records.append(task)
        self.register("Task", records)

    def _call(
        self,
        who: Record,
        at: dt.datetime,
        subject: str,
        call_type: str,
        seconds: int,
        disposition: str,
        notes: str,
    ) -> Record:
        account_id = who.get("AccountId")  # a lead has none, and then no WhatId either
        return {
            "WhoId": who["Id"],
            "WhatId": account_id,
            "AccountId": account_id,
            "Subject": subject,
            "TaskSubtype": "Call",
            "CallType": call_type,
            "CallDurationInSeconds": seconds,
            "CallDisposition": disposition,
            "Description": notes,
            "Status": "Completed",
            "Priority": "Normal",
            "IsClosed": True,
            "ActivityDate": self.local_date(at),
            "CompletedDateTime": at,
            "OwnerId": who["OwnerId"],
            "CreatedDate": at,
            "LastModifiedDate": at,
        }

    def events(self, contacts: list[Record], opportunities: list[Record]) -> None:
        records = []
        for n in range(_EVENTS):
            # Half in the past two months, half in the coming month, in business hours.
            offset = -self.rng.randint(1, 60) if n % 2 == 0 else self.rng.randint(1, 30)
            day = self.today + offset * _DAY
            start = self.local(day, self.rng.randint(9, 16), self.rng.choice((0, 30)))
            known_before = start - _DAY
            contact = self.rng.choice([c for c in contacts if c["CreatedDate"] < known_before])
            minutes = self.rng.choice((30, 45, 60, 90))
            end = start + dt.timedelta(minutes=minutes)
            account_id = contact["AccountId"]
            deals = [o["Id"] for o in opportunities if o["AccountId"] == account_id]
            latest = min(start, self.now) - dt.timedelta(hours=1)
            earliest = min(max(contact["CreatedDate"], start - 30 * _DAY), latest)
            records.append(
                {
                    "WhoId": contact["Id"],
                    "AccountId": account_id,
                    "WhatId": self.rng.choice(deals) if deals and n % 3 == 0 else account_id,
                    "Subject": self.rng.choice(data.EVENT_SUBJECTS),
                    "Location": self.rng.choice(data.EVENT_LOCATIONS),
                    "StartDateTime": start,
                    "EndDateTime": end,
                    "ActivityDateTime": start,
                    "ActivityDate": day,
                    "EndDate": self.local_date(end),
                    "DurationInMinutes": minutes,
                    "EventSubtype": "Event",
                    "OwnerId": contact["OwnerId"],
                    "CreatedDate": self.between(earliest, latest),
                }
            )
        self.register("Event", records)

    def roll_up_activities(self) -> None:
        """``LastActivityDate`` (latest completed task or past event) of the records activities
        point at, and ``HasOpenActivity`` / ``HasOverdueTask`` of opportunities."""
        for sobject in ("Task", "Event"):
            for activity in self.records.get(sobject, []):
                day: dt.date = activity["ActivityDate"]
                is_open = day >= self.today if sobject == "Event" else not activity["IsClosed"]
                for key in _ACTIVITY_REFS:
                    target = self.by_id.get(activity.get(key) or "")
                    if target is None:
                        continue
                    if is_open and "HasOpenActivity" in target:
                        target["HasOpenActivity"] = True
                        if sobject == "Task" and day < self.today:
                            target["HasOverdueTask"] = True
                    if not is_open and "LastActivityDate" in target:
                        target["LastActivityDate"] = max(target["LastActivityDate"] or day, day)
