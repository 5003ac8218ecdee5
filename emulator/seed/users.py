"""The org's users, seeded by both seeds (see :mod:`emulator.seed`)."""

from __future__ import annotations

import datetime as dt

from emulator.seed.seeder import DAY, Record, Seeder, ascii_slug

#: Users: role, first name, last name, title, department, time zone (None: the org's).
_USERS = (
    ("demo", "Dana", "Demo", "Account Executive", "Sales", None),
    ("sam", "Sam", "Rivera", "Account Executive", "Sales", "America/New_York"),
    ("priya", "Priya", "Patel", "Support Manager", "Customer Support", "America/Chicago"),
    ("integration", "Integration", "User", None, None, None),
)


def add_users(seeder: Seeder) -> None:
    """The demo user, two colleagues who own records, and the Integration User."""
    config = seeder.org.config
    domain = config.username.partition("@")[2] or "callforce.dev"
    start = seeder.now - 400 * DAY
    for n, (role, first, last, title, department, zone) in enumerate(_USERS):
        username = f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}"
        if role in ("demo", "integration"):
            username = config.username if role == "demo" else f"integration@{domain}"
        user: Record = {
            "Username": username,
            "Email": username,
            "FirstName": first,
            "LastName": last,
            "Name": f"{first} {last}",
            "Alias": (first[0] + last[:4]).lower(),
            "CommunityNickname": f"{ascii_slug(first)}.{ascii_slug(last)}",
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
        (record,) = seeder.register("User", [user])
        seeder.users_by_role[role] = record["Id"]
