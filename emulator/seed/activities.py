"""The demo's activities: calls and other tasks, events, and what they roll up to their records.

Ana García's call yesterday at 10:15 is documented; the other calls, tasks and events are drawn
around the records built before them.
"""

from __future__ import annotations

import datetime as dt

from emulator.seed import documented, vocabulary
from emulator.seed.seeder import DAY, Record, Seeder

_CALLS, _OTHER_TASKS, _EVENTS = 25, 15, 20
_ACTIVITY_REFS = ("WhoId", "WhatId", "AccountId")


def tasks(
    seeder: Seeder, contacts: list[Record], leads: list[Record], opportunities: list[Record]
) -> None:
    """Ana García's call yesterday, other completed calls, and tasks on opportunities."""
    ana = next(c for c in contacts if c["Email"] == documented.ANA["Email"])
    yesterday = seeder.local(seeder.today - DAY, 10, 15)
    notes = documented.ANA_CALL_NOTES
    records = [_call(seeder, ana, yesterday, "Call", "Outbound", 420, "Connected", notes)]
    for _ in range(_CALLS - 1):
        who = seeder.rng.choice(contacts) if seeder.rng.random() < 0.8 else seeder.rng.choice(leads)
        records.append(
            _call(
                seeder,
                who,
                seeder.between(who["CreatedDate"], seeder.now - dt.timedelta(hours=1)),
                seeder.rng.choice(vocabulary.CALL_SUBJECTS),
                seeder.rng.choices(("Outbound", "Inbound"), (7, 3))[0],
                seeder.rng.randint(45, 1800),
                seeder.rng.choice(vocabulary.CALL_DISPOSITIONS),
                seeder.rng.choice(vocabulary.CALL_NOTES),
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
        opportunity = seeder.rng.choice(opportunities)
        account_id = opportunity["AccountId"]
        people = [c for c in contacts if c["AccountId"] == account_id]
        status = seeder.rng.choices(statuses, (4, 2, 4, 1, 1))[0]
        priority = seeder.rng.choices(("High", "Normal", "Low"), (2, 6, 2))[0]
        created = seeder.between(opportunity["CreatedDate"], seeder.now - dt.timedelta(hours=3))
        task: Record = {
            "WhoId": seeder.rng.choice(people)["Id"] if people else None,
            "WhatId": seeder.rng.choice((opportunity["Id"], account_id)),
            "AccountId": account_id,
            "Subject": seeder.rng.choice(vocabulary.TASK_SUBJECTS),
            "TaskSubtype": "Task",
            "Status": status,
            "Priority": priority,
            "IsHighPriority": priority == "High",
            "IsClosed": status == "Completed",
            "OwnerId": opportunity["OwnerId"],
            "CreatedDate": created,
            "ActivityDate": seeder.today + seeder.rng.randint(-5, 21) * DAY,
        }
        if task["IsClosed"]:
            done = seeder.between(created, seeder.now)
            task.update(
                ActivityDate=seeder.local_date(done),
                CompletedDateTime=done,
                LastModifiedDate=done,
            )
        records.append(task)
    seeder.register("Task", records)


def _call(
    seeder: Seeder,
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
        "ActivityDate": seeder.local_date(at),
        "CompletedDateTime": at,
        "OwnerId": who["OwnerId"],
        "CreatedDate": at,
        "LastModifiedDate": at,
    }


def events(seeder: Seeder, contacts: list[Record], opportunities: list[Record]) -> None:
    """Meetings with contacts known a day before, half past and half upcoming."""
    records = []
    for n in range(_EVENTS):
        # Half in the past two months, half in the coming month, in business hours.
        offset = -seeder.rng.randint(1, 60) if n % 2 == 0 else seeder.rng.randint(1, 30)
        day = seeder.today + offset * DAY
        start = seeder.local(day, seeder.rng.randint(9, 16), seeder.rng.choice((0, 30)))
        known_before = start - DAY
        contact = seeder.rng.choice([c for c in contacts if c["CreatedDate"] < known_before])
        minutes = seeder.rng.choice((30, 45, 60, 90))
        end = start + dt.timedelta(minutes=minutes)
        account_id = contact["AccountId"]
        deals = [o["Id"] for o in opportunities if o["AccountId"] == account_id]
        latest = min(start, seeder.now) - dt.timedelta(hours=1)
        earliest = min(max(contact["CreatedDate"], start - 30 * DAY), latest)
        records.append(
            {
                "WhoId": contact["Id"],
                "AccountId": account_id,
                "WhatId": seeder.rng.choice(deals) if deals and n % 3 == 0 else account_id,
                "Subject": seeder.rng.choice(vocabulary.EVENT_SUBJECTS),
                "Location": seeder.rng.choice(vocabulary.EVENT_LOCATIONS),
                "StartDateTime": start,
                "EndDateTime": end,
                "ActivityDateTime": start,
                "ActivityDate": day,
                "EndDate": seeder.local_date(end),
                "DurationInMinutes": minutes,
                "EventSubtype": "Event",
                "OwnerId": contact["OwnerId"],
                "CreatedDate": seeder.between(earliest, latest),
            }
        )
    seeder.register("Event", records)


def roll_up_activities(seeder: Seeder) -> None:
    """``LastActivityDate`` (latest completed task or past event) of the records activities
    point at, and ``HasOpenActivity`` / ``HasOverdueTask`` of opportunities."""
    for sobject in ("Task", "Event"):
        for activity in seeder.records.get(sobject, []):
            day: dt.date = activity["ActivityDate"]
            is_open = day >= seeder.today if sobject == "Event" else not activity["IsClosed"]
            for key in _ACTIVITY_REFS:
                target = seeder.by_id.get(activity.get(key) or "")
                if target is None:
                    continue
                if is_open and "HasOpenActivity" in target:
                    target["HasOpenActivity"] = True
                    if sobject == "Task" and day < seeder.today:
                        target["HasOverdueTask"] = True
                if not is_open and "LastActivityDate" in target:
                    target["LastActivityDate"] = max(target["LastActivityDate"] or day, day)
