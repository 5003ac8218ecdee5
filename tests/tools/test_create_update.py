"""create_record and update_record: coercion through the tool, refusals, Salesforce errors."""

from __future__ import annotations

import httpx

from server.values import parse_id
from tests.helpers.demo_org import API, add_fault, clear_log, request_log
from tests.helpers.org_records import read_record, unique
from tests.helpers.tool_calls import Tools


def _writes(log: list[dict[str, object]]) -> list[dict[str, object]]:
    return [entry for entry in log if entry["method"] in ("POST", "PATCH", "PUT", "DELETE")]


async def test_create_coerces_spoken_values(tools: Tools, reader: httpx.AsyncClient) -> None:
    """Spoken values are stored in each field's type (read back from the org)."""
    name = unique("Okafor-")
    created = await tools.ok(
        "create_record",
        {
            "object": "Lead",
            "data": {
                "LastName": name,
                "Company": "Acme Corporation",
                "IsUnreadByOwner": "Yes",
                "NumberOfEmployees": "1,250",
                "AnnualRevenue": "$12,500",
                "Rating": "hot",
                "Email": " Ana@Example.COM ",
                "Phone": "+1 (415) 555-0100",
            },
        },
    )
    assert created["object"] == "Lead"
    assert created["id"].startswith("00Q")
    assert len(created["id"]) == 18
    assert created["url"].endswith("/" + created["id"])
    lead = await read_record(reader, "Lead", created["id"])
    assert lead["LastName"] == name
    assert lead["IsUnreadByOwner"] is True
    assert lead["NumberOfEmployees"] == 1250
    assert lead["AnnualRevenue"] == 12500
    assert lead["Rating"] == "Hot"
    assert lead["Email"] == "Ana@example.com"
    assert lead["Phone"] == "+14155550100"


async def test_create_reads_a_spoken_date(tools: Tools, reader: httpx.AsyncClient) -> None:
    """'March 5, 1990' is stored as 1990-03-05."""
    created = await tools.ok(
        "create_record",
        {"object": "Contact", "data": {"LastName": unique("Diaz-"), "Birthdate": "March 5, 1990"}},
    )
    contact = await read_record(reader, "Contact", created["id"])
    assert contact["Birthdate"] == "1990-03-05"


async def test_template_syntax_is_stored_verbatim(tools: Tools, reader: httpx.AsyncClient) -> None:
    """A value that looks like a template is text: '{{ 7*7 }}' is stored as written."""
    created = await tools.ok(
        "create_record",
        {
            "object": "Contact",
            "data": {"LastName": "{{ 7*7 }}", "Description": "{% for x in y %}{{ x }}{% endfor %}"},
        },
    )
    contact = await read_record(reader, "Contact", created["id"])
    assert contact["LastName"] == "{{ 7*7 }}"
    assert contact["Description"] == "{% for x in y %}{{ x }}{% endfor %}"


async def test_a_warm_create_is_one_request(tools: Tools, control: httpx.AsyncClient) -> None:
    """With the describe cached, a create sends only its POST."""
    await tools.ok("create_record", {"object": "Contact", "data": {"LastName": unique()}})
    await clear_log(control)
    await tools.ok("create_record", {"object": "Contact", "data": {"LastName": unique()}})
    log = await request_log(control)
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", f"{API}/sobjects/Contact", 201)
    ]


async def test_unknown_object_suggests_the_closest(tools: Tools) -> None:
    """A misspelt object name is answered with 'did you mean'."""
    text = await tools.error("create_record", {"object": "Contcat", "data": {"LastName": "x"}})
    assert "no object named 'Contcat'" in text
    assert "did you mean Contact" in text


async def test_unknown_field_suggests_the_closest_and_sends_nothing(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """A misspelt field is refused with suggestions, before any write."""
    await clear_log(control)
    text = await tools.error("create_record", {"object": "Contact", "data": {"LastNam": "Smith"}})
    assert "Nothing was sent to Salesforce" in text
    assert "no field 'LastNam'" in text
    assert "did you mean LastName" in text
    assert _writes(await request_log(control)) == []


async def test_every_problem_is_reported_at_once(tools: Tools) -> None:
    """A wrong type, a bad email and a missing required field come back in one error."""
    text = await tools.error(
        "create_record",
        {
            "object": "Lead",
            "data": {"LastName": "Lee", "NumberOfEmployees": "twelve", "Email": "ana@@example"},
        },
    )
    assert "NumberOfEmployees" in text
    assert "'twelve'" in text
    assert "Email" in text
    assert "not a valid email address" in text
    assert "Missing required fields: Company" in text


async def test_restricted_picklist_lists_the_allowed_values(tools: Tools) -> None:
    """A value outside a restricted picklist is refused with the allowed values."""
    text = await tools.error(
        "create_record",
        {"object": "Contact", "data": {"LastName": "Lee", "CleanStatus": "Shiny"}},
    )
    assert "CleanStatus" in text
    assert "use one of" in text


async def test_salesforce_unknown_field_refreshes_the_describe(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """INVALID_FIELD from Salesforce drops the cached describe; the next call reads it again."""
    data = {"object": "Contact", "data": {"LastName": unique()}}
    await tools.ok("create_record", data)
    await add_fault(
        control,
        method="POST",
        path=f"{API}/sobjects/Contact",
        status=400,
        body=[
            {
                "message": "No such column 'Foo' on sobject of type Contact",
                "errorCode": "INVALID_FIELD",
            }
        ],
    )
    text = await tools.error("create_record", data)
    assert "INVALID_FIELD" in text
    assert "refreshed" in text
    await clear_log(control)
    await tools.ok("create_record", data)
    paths = [(e["method"], e["path"]) for e in await request_log(control)]
    assert paths == [
        ("GET", f"{API}/sobjects/Contact/describe"),
        ("POST", f"{API}/sobjects/Contact"),
    ]


async def test_request_limit_is_reported_with_its_code(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """403 REQUEST_LIMIT_EXCEEDED reaches the agent as the daily allowance used up, with the
    numbers (the refusal says the count is at the allowance) and that nothing was done."""
    await tools.ok("describe_object", {"object": "Contact"})
    await add_fault(
        control,
        path=f"{API}/sobjects/Contact",
        method="POST",
        status=403,
        body=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    text = await tools.error("create_record", {"object": "Contact", "data": {"LastName": "x"}})
    assert "The Salesforce org's daily API allowance is used up (15,000 of 15,000 requests)" in text
    assert "REQUEST_LIMIT_EXCEEDED); nothing was done." in text


async def test_unavailable_salesforce_is_reported_and_a_create_not_repeated(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """A 503 on a create is reported, and the create is not sent a second time."""
    await tools.ok("describe_object", {"object": "Contact"})
    await add_fault(
        control,
        path=f"{API}/sobjects/Contact",
        method="POST",
        status=503,
        body=[{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}],
        times=2,
    )
    await clear_log(control)
    text = await tools.error("create_record", {"object": "Contact", "data": {"LastName": "x"}})
    assert "503 SERVER_UNAVAILABLE" in text
    assert len(_writes(await request_log(control))) == 1


async def test_update_changes_only_the_given_fields(
    tools: Tools, reader: httpx.AsyncClient
) -> None:
    """update_record coerces and writes the fields in data; the rest stays."""
    name = unique("Nguyen-")
    created = await tools.ok(
        "create_record", {"object": "Lead", "data": {"LastName": name, "Company": "Initech"}}
    )
    updated = await tools.ok(
        "update_record",
        {
            "object": "lead",
            "id": created["id"],
            "data": {"Rating": "WARM", "Phone": "(415) 555-0199"},
        },
    )
    assert updated == {"id": created["id"], "object": "Lead"}
    lead = await read_record(reader, "Lead", created["id"])
    assert (lead["Rating"], lead["Phone"]) == ("Warm", "(415) 555-0199")
    assert (lead["LastName"], lead["Company"]) == (name, "Initech")


async def test_update_accepts_the_15_character_id(tools: Tools, reader: httpx.AsyncClient) -> None:
    """A 15-character id is accepted and answered in its 18-character form."""
    created = await tools.ok("create_record", {"object": "Contact", "data": {"LastName": unique()}})
    updated = await tools.ok(
        "update_record", {"object": "Contact", "id": created["id"][:15], "data": {"Title": "CFO"}}
    )
    assert updated["id"] == created["id"]
    assert (await read_record(reader, "Contact", created["id"]))["Title"] == "CFO"


async def test_a_warm_update_is_one_request(tools: Tools, control: httpx.AsyncClient) -> None:
    """With the describe cached, an update sends only its PATCH."""
    created = await tools.ok("create_record", {"object": "Contact", "data": {"LastName": unique()}})
    await clear_log(control)
    await tools.ok(
        "update_record", {"object": "Contact", "id": created["id"], "data": {"Title": "VP"}}
    )
    log = await request_log(control)
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("PATCH", f"{API}/sobjects/Contact/{created['id']}", 204)
    ]


async def test_update_of_a_missing_record_says_so(tools: Tools) -> None:
    """A well-formed id that matches no record is reported as not found."""
    missing = parse_id("00Q5g00000ZZZZZ")
    text = await tools.error(
        "update_record", {"object": "Lead", "id": missing, "data": {"Title": "x"}}
    )
    assert f"no Lead record with id {missing}" in text


async def test_malformed_ids_are_refused_before_any_request(
    tools: Tools, control: httpx.AsyncClient
) -> None:
    """A bad checksum, bad characters or a bad length never reach Salesforce."""
    good = parse_id("0035g00000Bn2Tq")
    bad_checksum = good[:15] + ("AAA" if good[15:] != "AAA" else "BBB")
    await clear_log(control)
    for record_id in (bad_checksum, "003/../../limits", "003"):
        text = await tools.error(
            "update_record", {"object": "Contact", "id": record_id, "data": {"Title": "x"}}
        )
        assert "id" in text.lower()
    assert await request_log(control) == []  # checked before even the describe


async def test_an_id_of_another_object_is_refused(tools: Tools, control: httpx.AsyncClient) -> None:
    """An Account id given for a Lead is refused before the PATCH."""
    accounts = await tools.ok("run_query", {"soql": "SELECT Id FROM Account LIMIT 1"})
    account_id = accounts["records"][0]["Id"]
    await clear_log(control)
    text = await tools.error(
        "update_record", {"object": "Lead", "id": account_id, "data": {"Title": "x"}}
    )
    assert "not the id of a Lead record" in text
    assert "00Q" in text
    assert _writes(await request_log(control)) == []


async def test_update_refuses_fields_that_cannot_change(tools: Tools) -> None:
    """A read-only field in data is refused by name."""
    created = await tools.ok("create_record", {"object": "Contact", "data": {"LastName": unique()}})
    text = await tools.error(
        "update_record",
        {"object": "Contact", "id": created["id"], "data": {"CreatedDate": "today"}},
    )
    assert "CreatedDate" in text
