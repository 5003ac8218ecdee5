"""The demo's sales records: accounts, their contacts, leads and opportunities.

The documented ones (Acme Corporation, Ana García, Marco Rossi, Acme's renewal) come first, from
:mod:`emulator.seed.documented`; the others are drawn from :mod:`emulator.seed.vocabulary`.
"""

from __future__ import annotations

import datetime as dt

from emulator.seed import documented, vocabulary
from emulator.seed.seeder import ADDRESS_PARTS, DAY, Record, Seeder

_COUNTS = {"Account": 60, "Contact": 150, "Lead": 60, "Opportunity": 40}
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


def accounts(seeder: Seeder) -> list[Record]:
    """Acme Corporation and other companies, mostly owned by the demo user."""
    owner = seeder.users_by_role["demo"]
    acme = {**documented.ACME, "OwnerId": owner, "CreatedDate": seeder.days_ago(340, 339)}
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
        name, industry, domain = seeder.company()
        billing, area = seeder.address("Billing")
        owner = seeder.rep()
        account: Record = {
            "Name": name,
            "Industry": industry,
            **billing,
            "Phone": seeder.phone(area),
            "Type": seeder.rng.choices(types, (4, 6, 2, 1, 1, 1))[0],
            "Website": f"https://{domain}",
            **seeder.size(),
            "Rating": seeder.rng.choice(("Hot", "Warm", "Warm", "Cold")),
            "Ownership": seeder.rng.choice(("Public", "Private", "Private", "Subsidiary")),
            "AccountSource": seeder.rng.choice(
                ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
            ),
            "AccountNumber": f"CF{100001 + len(records)}",
            "OwnerId": owner,
            "CreatedById": seeder.creator(owner),
            "CreatedDate": seeder.days_ago(360, 20),
        }
        if seeder.rng.random() < 0.5:
            where = f"{billing['BillingCity']}, {billing['BillingState']}"
            account["Description"] = f"{name} is a {industry.lower()} company in {where}."
        if seeder.rng.random() < 0.4:
            account.update({f"Shipping{part}": billing[f"Billing{part}"] for part in ADDRESS_PARTS})
        records.append(account)
    return seeder.register("Account", records)


def contacts(seeder: Seeder, accounts: list[Record]) -> list[Record]:
    """Ana García at Acme, and at least one contact at every other account."""
    acme = next(a for a in accounts if a["Name"] == documented.ACME["Name"])
    ana = {
        **documented.ANA,
        "AccountId": acme["Id"],
        "OwnerId": acme["OwnerId"],
        "CreatedDate": acme["CreatedDate"] + 2 * dt.timedelta(hours=1),
    }
    ana.update({f"Mailing{part}": acme[f"Billing{part}"] for part in ADDRESS_PARTS})
    records, names, external = [ana], {(ana["FirstName"], ana["LastName"])}, 1
    # Every account gets a contact; the rest go to accounts at random.
    parents = [a for a in accounts if a is not acme]
    parents += seeder.rng.choices(accounts, k=_COUNTS["Contact"] - len(accounts))
    for account in parents:
        first, last = seeder.person(names)
        title, department = seeder.rng.choice(vocabulary.TITLES)
        area = account["Phone"].split()[1]
        contact: Record = {
            "AccountId": account["Id"],
            "FirstName": first,
            "LastName": last,
            "Name": f"{first} {last}",
            "Title": title,
            "Department": department,
            "Email": seeder.email(first, last, account["Website"].removeprefix("https://")),
            "Phone": seeder.phone(area),
            "OwnerId": account["OwnerId"],
            "LeadSource": seeder.rng.choice(("Web", "Phone Inquiry", "Partner Referral")),
            "CreatedById": seeder.creator(account["OwnerId"]),
            "CreatedDate": seeder.between(account["CreatedDate"], seeder.now - 2 * DAY),
        }
        contact.update({f"Mailing{part}": account[f"Billing{part}"] for part in ADDRESS_PARTS})
        if seeder.rng.random() < 0.5:
            contact["MobilePhone"] = seeder.phone(area)
        if seeder.rng.random() < 0.3:
            contact["Salutation"] = seeder.rng.choice(("Mr.", "Ms.", "Mrs.", "Dr."))
        if seeder.rng.random() < 0.6:
            external += 1
            contact["External_Id__c"] = f"C-{external:06d}"
        records.append(contact)
    # Theo replaces the first drawn contact after the draws, so the rest of the seed is unchanged.
    records[1].update(documented.THEO)
    flags = {"DoNotCall": (25, 11), "HasOptedOutOfEmail": (20, 5), "HasOptedOutOfFax": (50, 31)}
    _opt_out(records[2:], flags)
    return seeder.register("Contact", records)


def leads(seeder: Seeder) -> list[Record]:
    """Marco Rossi of Brightline Solar, and leads at companies that are not accounts."""
    owner = seeder.users_by_role["demo"]
    records = [{**documented.MARCO, "OwnerId": owner, "CreatedDate": seeder.days_ago(6, 5)}]
    statuses = ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted")
    names, external = {(documented.MARCO["FirstName"], documented.MARCO["LastName"])}, 1
    while len(records) < _COUNTS["Lead"]:
        company, industry, domain = seeder.company()
        first, last = seeder.person(names)
        address, area = seeder.address()
        owner = seeder.rep()
        lead: Record = {
            "FirstName": first,
            "LastName": last,
            "Name": f"{first} {last}",
            "Title": seeder.rng.choice(vocabulary.TITLES)[0],
            "Company": company,
            "Industry": industry,
            "Email": seeder.email(first, last, domain),
            "Phone": seeder.phone(area),
            **address,
            "Website": f"https://{domain}",
            "Status": seeder.rng.choices(statuses, (4, 4, 2))[0],
            **seeder.size(),
            "LeadSource": seeder.rng.choice(("Web", "Phone Inquiry", "Purchased List", "Other")),
            "Rating": seeder.rng.choice(("Hot", "Warm", "Cold")),
            "OwnerId": owner,
            "CreatedById": seeder.creator(owner),
            "CreatedDate": seeder.days_ago(300, 1),
        }
        if seeder.rng.random() < 0.65:
            external += 1
            lead["External_Id__c"] = f"L-{external:06d}"
        records.append(lead)
    _opt_out(records[1:], {"DoNotCall": (20, 8), "HasOptedOutOfEmail": (15, 3)})
    return seeder.register("Lead", records)


def _opt_out(people: list[Record], flags: dict[str, tuple[int, int]]) -> None:
    """Set each flag on every ``n``-th person from ``start`` (``flags``: name → (n, start)).

    By position, not by a random draw: the draws that follow stay what they were."""
    for flag, (every, start) in flags.items():
        for person in people[start::every]:
            person[flag] = True


def opportunities(seeder: Seeder, accounts: list[Record]) -> list[Record]:
    """Acme's renewal, and open and closed deals with the stage-derived fields filled."""
    acme = next(a for a in accounts if a["Name"] == documented.ACME["Name"])
    product, stage, amount, days = documented.ACME_RENEWAL
    close = seeder.today + days * DAY
    records = [_opportunity(seeder, acme, product, stage, amount, close, seeder.days_ago(45, 44))]
    while len(records) < _COUNTS["Opportunity"]:
        account = seeder.rng.choice(accounts)
        created = seeder.between(account["CreatedDate"], seeder.now - 3 * DAY)
        if seeder.rng.random() < 0.3:
            stage = seeder.rng.choices(("Closed Won", "Closed Lost"), (3, 2))[0]
            close = seeder.local_date(seeder.between(created, seeder.now))
        else:
            stage = seeder.rng.choice(_OPEN_STAGES)
            close = seeder.today + seeder.rng.randint(5, 150) * DAY
        product = seeder.rng.choice(vocabulary.PRODUCTS)
        amount = seeder.rng.randrange(5_000, 250_000, 500)
        records.append(_opportunity(seeder, account, product, stage, amount, close, created))
    return seeder.register("Opportunity", records)


def _opportunity(
    seeder: Seeder,
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
        "Type": seeder.rng.choice(
            ("Existing Customer - Upgrade", "New Customer", "Existing Customer - Replacement")
        ),
        "LeadSource": seeder.rng.choice(("Web", "Phone Inquiry", "Partner Referral")),
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
        record["NextStep"] = seeder.rng.choice(vocabulary.NEXT_STEPS)
    return record
