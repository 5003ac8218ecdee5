"""The example action file: it passes the org check, and every example tool works."""

from __future__ import annotations

import random
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from server.actions.check import check_actions
from server.actions.loading import load_actions
from server.actions.specs import build_action_specs
from server.settings import Settings
from tests.helpers.action_files import EXAMPLE_TOOLS, EXAMPLES, OrgAccess, write_actions
from tests.helpers.demo_org import clear_log, request_log
from tests.helpers.org_records import insert_many, read_record, unique
from tests.helpers.tool_calls import Tools


async def test_examples_pass_the_check(org_access: OrgAccess) -> None:
    """The shipped example file has no problems against the demo org."""
    report = await check_actions(load_actions(EXAMPLES), org_access.client, org_access.describe)
    assert report.ok, str(report)
    assert [checked.action.config.name for checked in report.actions] == EXAMPLE_TOOLS


#: The design document's action file, vendored: no test reads ../shared/design/.
DESIGN_EXAMPLE = Path(__file__).with_name("data") / "design_document_actions.toml"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "actions.md"
README = Path(__file__).resolve().parents[2] / "README.md"


async def test_the_design_documents_example_file_works(
    tmp_path: Path, org_access: OrgAccess
) -> None:
    """The action file of the team's design document, verbatim (upsert_lead has no
    description there): it checks clean and its tools get descriptions."""
    path = write_actions(tmp_path, DESIGN_EXAMPLE.read_text(encoding="utf-8"))
    report = await check_actions(load_actions(path), org_access.client, org_access.describe)
    assert report.ok, str(report)
    specs = {spec.name: spec for spec in await build_action_specs(
        load_actions(path), org_access.client, org_access.describe
    )}  # fmt: skip
    assert list(specs) == ["find_contact_by_email", "create_contact", "upsert_lead"]
    assert specs["upsert_lead"].description.startswith(
        "Create or update a Lead record by External_Id__c."
    )


async def test_find_contact_by_email(examples: Tools) -> None:
    """The seed's query finds Ana García by her email."""
    found = await examples.ok("find_contact_by_email", {"email": "ana@example.com"})
    assert [(r["FirstName"], r["LastName"]) for r in found["records"]] == [("Ana", "García")]


async def test_a_spoken_email_is_refused_like_the_generic_tools_refuse_it(
    examples: Tools, control: httpx.AsyncClient
) -> None:
    """The query's value goes through the generic coercion: a spoken email is sent back."""
    await clear_log(control)
    text = await examples.error("find_contact_by_email", {"email": "ana at example dot com"})
    assert text.startswith("Error executing tool find_contact_by_email: Nothing was sent")
    assert "ana@example.com" in text
    assert [e for e in await request_log(control) if e["path"].endswith("/query")] == []


async def test_find_caller_by_phone_in_any_format(
    examples: Tools, reader: httpx.AsyncClient
) -> None:
    """However the caller says it and however it was stored, the number finds the contact."""
    line = f"{random.randrange(10_000):04d}"
    stored = [f"+1 979 555 {line}", f"(979) 555-{line}", f"979.555.{line}"]
    ids = await insert_many(
        reader, "Contact", [{"LastName": unique("Phone-"), "MobilePhone": s} for s in stored]
    )
    for spoken in (f"979-555-{line}", f"+1 (979) 555 {line}", f"1979555{line}", f"979555{line}"):
        found = await examples.ok("find_caller_by_phone", {"phone": spoken})
        assert set(ids) <= {r["Id"] for r in found["records"]}, spoken
        for record in found["records"]:  # anything else found ends in the same ten digits
            numbers = [re.sub(r"\D", "", record[f] or "") for f in ("Phone", "MobilePhone")]
            assert any(n.endswith(f"979555{line}") for n in numbers), record
    found = await examples.ok("find_caller_by_phone", {"phone": "415.555.0100 ext. 7"})
    assert [(r["FirstName"], r["LastName"]) for r in found["records"]] == [("Ana", "García")]
    text = await examples.error("find_caller_by_phone", {"phone": "555 0100"})
    assert "at least 10 digits" in text


async def test_create_contact_with_and_without_an_account(
    examples: Tools, reader: httpx.AsyncClient
) -> None:
    """accountId is optional: given, the contact is linked; left out, it is not sent."""
    acme = await examples.ok(
        "run_query", {"soql": "SELECT Id FROM Account WHERE Name = 'Acme Corporation'"}
    )
    account_id = acme["records"][0]["Id"]
    name = unique("García-")
    linked = await examples.ok(
        "create_contact",
        {
            "lastName": name,
            "firstName": "Ana",
            "email": "ana.g@example.com",
            "accountId": account_id,
        },
    )
    contact = await read_record(reader, "Contact", linked["id"])
    assert (contact["LastName"], contact["AccountId"]) == (name, account_id)
    alone = await examples.ok(
        "create_contact", {"lastName": name, "firstName": "Ana", "email": "ana.g@example.com"}
    )
    assert (await read_record(reader, "Contact", alone["id"]))["AccountId"] is None


async def test_update_account_changes_only_what_is_given(
    examples: Tools, reader: httpx.AsyncClient
) -> None:
    """Website alone, then the name alone; the other field is untouched."""
    [account_id] = await insert_many(
        reader, "Account", [{"Name": unique("Acct-"), "Website": "https://old.example.com"}]
    )
    await examples.ok(
        "update_account", {"accountId": account_id, "website": "https://new.example.com"}
    )
    name = unique("Renamed-")
    await examples.ok("update_account", {"accountId": account_id, "name": name})
    account = await read_record(reader, "Account", account_id)
    assert (account["Name"], account["Website"]) == (name, "https://new.example.com")
    text = await examples.error("update_account", {"accountId": account_id})
    assert "give at least one of" in text


async def test_upsert_lead_is_safe_to_retry(examples: Tools, reader: httpx.AsyncClient) -> None:
    """The same external id twice: one lead, updated."""
    arguments = {
        "leadExternalId": unique("L-"),
        "company": "Brightline Solar",
        "lastName": "Rossi",
        "email": "marco@example.com",
    }
    first = await examples.ok("upsert_lead", arguments)
    second = await examples.ok("upsert_lead", arguments | {"company": "Brightline Wind"})
    assert (first["created"], second["created"], second["id"]) == (True, False, first["id"])
    lead = await read_record(reader, "Lead", first["id"])
    assert lead["Company"] == "Brightline Wind"


async def test_log_call_creates_a_completed_call_task(
    examples: Tools, reader: httpx.AsyncClient, settings: Settings
) -> None:
    """Defaults fill the subject and today's date; status and subtype are the file's constants."""
    ana = await examples.ok("find_contact_by_email", {"email": "ana@example.com"})
    who = ana["records"][0]["Id"]
    logged = await examples.ok(
        "log_call", {"whoId": who, "summary": "Shipment arrived damaged.\nSending a new one."}
    )
    task = await read_record(reader, "Task", logged["id"])
    today = datetime.now(ZoneInfo(settings.time_zone)).date().isoformat()
    assert (task["Subject"], task["WhoId"], task["ActivityDate"]) == ("Call", who, today)
    assert (task["Status"], task["TaskSubtype"]) == ("Completed", "Call")
    assert task["Description"] == "Shipment arrived damaged.\nSending a new one."


async def test_the_documented_files_load_and_check(tmp_path: Path, org_access: OrgAccess) -> None:
    """Every TOML example in docs/actions.md and the README is a valid action file for the
    demo org."""
    text = DOCS.read_text(encoding="utf-8") + README.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, re.DOTALL) if "[[action]]" in b]
    assert len(blocks) == 4
    for index, block in enumerate(blocks):
        action_set = load_actions(write_actions(tmp_path, block, f"doc{index}.toml"))
        report = await check_actions(
            action_set, org_access.client, org_access.describe, connection="demo"
        )
        assert report.ok, str(report)
