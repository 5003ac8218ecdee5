"""The demo's cases: Ana García's damaged shipment (documented) and others from contacts."""

from __future__ import annotations

import datetime as dt

from emulator.seed import documented, vocabulary
from emulator.seed.seeder import Record, Seeder

_CASES = 30


def cases(seeder: Seeder, contacts: list[Record]) -> None:
    """Ana García's case, then cases from other contacts, numbered in creation order."""
    ana = next(c for c in contacts if c["Email"] == documented.ANA["Email"])
    subject, status, origin, priority = documented.ANA_CASE
    created = seeder.now - dt.timedelta(days=1, hours=4)
    records = [_case(seeder, ana, subject, status, origin, priority, created)]
    statuses = ("New", "Working", "Escalated", "Closed")
    while len(records) < _CASES:
        contact = seeder.rng.choice(contacts)
        records.append(
            _case(
                seeder,
                contact,
                seeder.rng.choice(vocabulary.CASE_SUBJECTS),
                seeder.rng.choices(statuses, (3, 3, 1, 3))[0],
                seeder.rng.choice(("Phone", "Email", "Web")),
                seeder.rng.choices(("High", "Medium", "Low"), (2, 5, 3))[0],
                seeder.between(contact["CreatedDate"], seeder.now - dt.timedelta(hours=2)),
            )
        )

    def number(index: int, record: Record) -> None:
        record["CaseNumber"] = f"{1001 + index:08d}"

    seeder.register("Case", records, number)


def _case(
    seeder: Seeder,
    contact: Record,
    subject: tuple[str, str, str],
    status: str,
    origin: str,
    priority: str,
    created: dt.datetime,
) -> Record:
    title, case_type, reason = subject
    owner = seeder.rng.choices((seeder.users_by_role["priya"], contact["OwnerId"]), (2, 1))[0]
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
        record["ClosedDate"] = record["LastModifiedDate"] = seeder.between(created, seeder.now)
    return record
