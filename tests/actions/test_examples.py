"""The example action file: it passes the org check, and every example tool works."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from server.actions.check import check_actions
from server.actions.loading import load_actions
from server.actions.specs import build_action_specs
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


async def test_find_company_by_the_words_the_caller_says(
    examples: Tools, control: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    """Each word is searched, whatever its case; caller text with search operators is searched
    as plain words, in one request."""
    name = unique("Bellweather ")
    (account,) = await insert_many(reader, "Account", [{"Name": name, "BillingCity": "Denver"}])
    await examples.ok("find_company", {"company": name})  # the describes, once
    await clear_log(control)
    found = await examples.ok("find_company", {"company": name.upper()})
    assert [e["method"] for e in await request_log(control)] == ["POST"]
    assert [(r["object"], r["Id"], r["BillingCity"]) for r in found["records"]] == [
        ("Account", account, "Denver")
    ]
    hostile = await examples.ok("find_company", {"company": f"{name} OR Acme*"})
    assert account not in {r["Id"] for r in hostile["records"]}  # "OR" is a word to find


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


async def test_request_callback_files_a_task_on_the_call(
    examples: Tools, reader: httpx.AsyncClient
) -> None:
    """The Task carries the call's id from the platform (never from the model), the topic in
    its subject, and the caller as WhoId."""
    ana = await examples.ok("find_contact_by_email", {"email": "ana@example.com"})
    who = ana["records"][0]["Id"]
    filed = await examples.ok(
        "request_callback",
        {"topic": "replacement shipment", "details": "Arrived damaged.", "whoId": who},
        meta={"callforce/call": {"id": "call-example-1"}},
    )
    task = await read_record(reader, "Task", filed["id"])
    assert (task["Subject"], task["WhoId"], task["CallObject"]) == (
        "Call back: replacement shipment",
        who,
        "call-example-1",
    )
    assert (task["Status"], task["Priority"], task["Description"]) == (
        "Not Started",
        "High",
        "Arrived damaged.",
    )


async def test_request_callback_without_a_call_id_still_files_the_task(
    examples: Tools, reader: httpx.AsyncClient
) -> None:
    """The example file's call id is optional: without one the Task has no CallObject."""
    filed = await examples.ok("request_callback", {"topic": "opening hours"})
    task = await read_record(reader, "Task", filed["id"])
    assert task["Subject"] == "Call back: opening hours"
    assert task["CallObject"] is None


async def test_the_documented_files_load_and_check(tmp_path: Path, org_access: OrgAccess) -> None:
    """Every TOML example in docs/actions.md and the README is a valid action file for the
    demo org."""
    text = DOCS.read_text(encoding="utf-8") + README.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, re.DOTALL) if "[[action]]" in b]
    assert len(blocks) == 7
    for index, block in enumerate(blocks):
        action_set = load_actions(write_actions(tmp_path, block, f"doc{index}.toml"))
        report = await check_actions(
            action_set, org_access.client, org_access.describe, connection="demo"
        )
        assert report.ok, str(report)


def test_the_voice_platforms_example_is_the_shipped_file() -> None:
    """docs/voice-platforms.md quotes the example file (which the tests above run), verbatim."""
    doc = (DOCS.parent / "voice-platforms.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```toml\n(.*?)```", doc, re.DOTALL)
    shipped = EXAMPLES.read_text(encoding="utf-8")
    for part in block.strip().split("\n\n"):
        assert part in shipped, part
