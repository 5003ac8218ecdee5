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
:mod:`emulator.seed.documented`):

- Account **Acme Corporation**: Manufacturing, San Francisco, Phone ``+1 415 555 0199``,
  Website ``https://acme.example.com``, owned by Dana Demo.
- Contact **Ana García** at Acme Corporation: Email ``ana@example.com``,
  Phone ``+1 415 555 0100``, External_Id__c ``C-000001``.
- Contact **Theo Adeyemi**, a caller who opted out: ``DoNotCall`` and ``HasOptedOutOfEmail``
  true, Email ``theo.adeyemi@example.com``, Phone ``(720) 555-0163`` (written as Salesforce's
  US-locale UI writes numbers).
- Lead **Marco Rossi** of Brightline Solar: External_Id__c ``L-000001``,
  Email ``marco.rossi@brightline.example.com``, Phone ``+1 512 555 0142``.
- Opportunity **Acme Corporation - Platform Renewal**: Negotiation/Review, Amount 120000,
  CloseDate 30 days from today.
- Case **Shipment arrived damaged** from Ana García: New, Phone, High.
- Task **Call** with Ana García on Acme Corporation, yesterday at 10:15: a completed outbound
  call (TaskSubtype Call).

Phone numbers and e-mail addresses are unique across the org, so a caller-id lookup finds one
person. Other contacts and leads may have ``External_Id__c`` values ``C-000002``… and
``L-000002``…; a few have ``DoNotCall``, ``HasOptedOutOfEmail`` or ``HasOptedOutOfFax`` set
(Ana García and Marco Rossi have none).

Modules: :mod:`.seeder` (ids, system fields and the random draws every generator shares),
:mod:`.users`, :mod:`.sales` (accounts, contacts, leads, opportunities), :mod:`.support`
(cases), :mod:`.activities` (tasks, events and their roll-ups); the data they draw from is in
:mod:`.vocabulary` and :mod:`.documented`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from emulator.config import EmulatorConfig
from emulator.org import Org
from emulator.seed import activities, sales, support, users
from emulator.seed.seeder import Record, Seeder

__all__ = ["seeder_for"]


def seeder_for(config: EmulatorConfig | None) -> Callable[[Org], None]:
    """The seeding function for ``config.seed``: ``"empty"`` (users only) or ``"demo"``."""
    demo = config is None or config.seed == "demo"

    def seed(org: Org) -> None:
        with org.store.batch() as batch:
            seeder = Seeder(org)
            users.add_users(seeder)
            if demo:
                _demo_records(seeder)
            for sobject, records in seeder.records.items():
                fields = org.schema[sobject].fields.values()
                temporal = frozenset(f.name for f in fields if f.type in ("date", "datetime"))
                for record in records:
                    batch.insert(sobject, _to_wire(record, temporal))

    return seed


def _demo_records(seeder: Seeder) -> None:
    """Accounts, contacts, leads, opportunities, cases, tasks and events."""
    accounts = sales.accounts(seeder)
    contacts = sales.contacts(seeder, accounts)
    leads = sales.leads(seeder)
    opportunities = sales.opportunities(seeder, accounts)
    support.cases(seeder, contacts)
    activities.tasks(seeder, contacts, leads, opportunities)
    activities.events(seeder, contacts, opportunities)
    activities.roll_up_activities(seeder)


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
