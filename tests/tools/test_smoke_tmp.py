from tests.tools.conftest import Tools, request_log, clear_log, read_record, text_of
import httpx

async def test_smoke(tools: Tools, control: httpx.AsyncClient, reader: httpx.AsyncClient) -> None:
    """tmp."""
    r = await tools.ok("run_query", {"soql": "SELECT Id, Name, (SELECT LastName FROM Contacts), Owner.Name FROM Account LIMIT 2"})
    print(r)
    r = await tools.ok("create_record", {"object": "Contact", "data": {"LastName": "X", "Birthdate": "March 5, 1990", "Description": "{{ 7*7 }}"}})
    print(r)
    print(await read_record(reader, "Contact", r["id"]))
    for args in [{"object": "Contcat", "data": {"LastName": "x"}}, {"object": "Contact", "data": {"LastNam": "x", "Email": "ana at example dot com"}}]:
        print(await tools.error("create_record", args))
    r = await tools.call("describe_object", {"object": "Lead"})
    print(text_of(r)[:500])
    print(await tools.ok("connection_status", {}))
