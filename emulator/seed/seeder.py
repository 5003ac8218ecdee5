"""The seeding engine's toolbox: :class:`Seeder`, which gives records ids and the fields
Salesforce fills, and draws the random but deterministic values the generators need.

Every draw comes from one ``random.Random`` with a fixed seed, so the order of calls is part of
the seed: the same records, ids and values every time.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from emulator.org import Org
from emulator.schema import ObjectSchema
from emulator.seed import documented, vocabulary

Record = dict[str, Any]

_RANDOM_SEED = 20260501
_INDUSTRIES = tuple(vocabulary.INDUSTRY_NOUNS)
#: The components of an address, after its prefix (``BillingStreet``, ``MailingCity``…).
ADDRESS_PARTS = ("Street", "City", "State", "PostalCode", "Country")
DAY = dt.timedelta(days=1)


def ascii_slug(text: str) -> str:
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


class Seeder:
    """What every generator shares: the random source, the clock, the records built so far and
    the phone numbers, e-mail addresses and company names already given out.

    Records are built with Python values (``datetime`` in UTC, ``date``);
    :func:`emulator.seed.seeder_for` writes them in Salesforce's wire form."""

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
        people = (documented.ANA, documented.THEO, documented.MARCO)
        self.phones = {documented.ACME["Phone"], *(person["Phone"] for person in people)}
        self.emails = {person["Email"] for person in people}
        self.domains = {"acme", "brightline"}

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
        return self.between(self.now - first * DAY, self.now - last * DAY)

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
            code = area if attempt < 100 else self.rng.choice(vocabulary.CITIES)[3]
            number = f"+1 {code} 555 01{self.rng.randrange(100):02d}"
            if number not in self.phones:
                self.phones.add(number)
                return number
        raise RuntimeError("seed bug: ran out of fictional phone numbers")

    def email(self, first: str, last: str, domain: str) -> str:
        """An unused ``first.last@domain``."""
        base, n = f"{ascii_slug(first)}.{ascii_slug(last)}", 1
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
            name = f"{self.rng.choice(vocabulary.COMPANY_CORES)} "
            name += self.rng.choice(vocabulary.INDUSTRY_NOUNS[industry])
            if (slug := ascii_slug(name)) not in self.domains:
                self.domains.add(slug)
                name += self.rng.choice(vocabulary.COMPANY_SUFFIXES)
                return name, industry, f"{slug}.example.com"

    def person(self, taken: set[tuple[str, str]]) -> tuple[str, str]:
        """A first and last name not in ``taken`` (which it joins)."""
        while True:
            name = (self.rng.choice(vocabulary.FIRST_NAMES), self.rng.choice(vocabulary.LAST_NAMES))
            if name not in taken:
                taken.add(name)
                return name

    def address(self, prefix: str = "") -> tuple[Record, str]:
        """A US address as ``{prefix}Street``… fields, and its area code."""
        city, state, zip3, area = self.rng.choice(vocabulary.CITIES)
        street = f"{self.rng.randint(10, 4999)} {self.rng.choice(vocabulary.STREETS)}"
        values = (street, city, state, f"{zip3}{self.rng.randrange(100):02d}", "United States")
        parts = zip(ADDRESS_PARTS, values, strict=True)
        return {prefix + part: value for part, value in parts}, area

    def size(self) -> Record:
        """NumberOfEmployees and AnnualRevenue that go together."""
        employees = max(5, min(int(self.rng.lognormvariate(5, 1.4)), 90_000))
        revenue = round(employees * self.rng.randint(90, 320) * 1000, -4)
        return {"NumberOfEmployees": employees, "AnnualRevenue": revenue}
