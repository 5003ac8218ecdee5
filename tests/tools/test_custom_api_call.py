"""custom_api_call: raw calls on the org's own instance; hostile endpoints and headers refused."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers.demo_org import API, clear_log, request_log
from tests.helpers.org_records import read_record, unique
from tests.helpers.tool_calls import Tools


async def test_get_returns_status_body_and_safe_headers(tools: Tools) -> None:
    """A GET returns Salesforce's JSON, its status and a short list of headers."""
    result = await tools.ok("custom_api_call", {"method": "GET", "endpoint": f"{API}/limits"})
    assert result["status"] == 200
    assert "DailyApiRequests" in result["body"]
    assert result["truncated"] is False
    assert set(result["headers"]) <= {
        "content-type",
        "location",
        "etag",
        "last-modified",
        "sforce-limit-info",
    }
    assert "sforce-limit-info" in result["headers"]


async def test_query_parameters_in_the_endpoint_are_sent(tools: Tools) -> None:
    """'?q=' in the endpoint becomes the query string, spaces and quotes included."""
    result = await tools.ok(
        "custom_api_call",
        {
            "method": "GET",
            "endpoint": f"{API}/query?q=SELECT Name FROM Account WHERE Name = 'Acme Corporation'",  # noqa: S608 - test SOQL, the value is a hex tag
        },
    )
    assert result["body"]["records"][0]["Name"] == "Acme Corporation"


async def test_post_creates_with_a_json_body(tools: Tools, reader: httpx.AsyncClient) -> None:
    """A POST sends its JSON body as given and returns 201 with the Location."""
    name = unique("Raw-")
    result = await tools.ok(
        "custom_api_call",
        {
            "method": "POST",
            "endpoint": f"{API}/sobjects/Contact",
            "body": {"LastName": name},
            "headers": {"Sforce-Auto-Assign": "FALSE"},
        },
    )
    assert result["status"] == 201
    assert result["headers"]["location"].endswith(result["body"]["id"])
    assert (await read_record(reader, "Contact", result["body"]["id"]))["LastName"] == name


async def test_a_salesforce_error_is_a_tool_error(tools: Tools) -> None:
    """A 404 comes back as an error with status and errorCode, not as a result."""
    text = await tools.error(
        "custom_api_call", {"method": "GET", "endpoint": f"{API}/sobjects/NoSuchThing__c/describe"}
    )
    assert "404 NOT_FOUND" in text


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://evil.example.com/services/data/v62.0/limits",
        "//evil.example.com/services/data/v62.0/limits",
        "http:/services/data",
        "/services\\data/v62.0/limits",
        "/services/data/v62.0/../../oauth2/token",
        "/services/data/v62.0/%2e%2e/%2e%2e/oauth2/token",
        "/services/data/v62.0/%252e%252e/limits",
        "/services/data/v62.0/%25252e%25252e/limits",
        "/services/oauth2/token",
        "/services/OAuth2/revoke",
        "/services/%6fauth2/token",
        "/services/data/./v62.0/limits",
        "/services/data/v62.0/limits\r\nX-Evil: 1",
        "/services/data/v62.0/limits%0d%0aX-Evil: 1",
        "/services/data/v62.0/limits\x00",
        "/_emulator/requests",
        "/secur/frontdoor.jsp?sid=x",
        "/services/data/v62.0/limits#frag",
        "services/data/v62.0/limits",
    ],
)
async def test_hostile_endpoints_are_refused_with_nothing_sent(
    tools: Tools, control: httpx.AsyncClient, endpoint: str
) -> None:
    """Anything that could leave the instance's API is refused before a request exists."""
    await clear_log(control)
    text = await tools.error("custom_api_call", {"method": "GET", "endpoint": endpoint})
    assert "refused" in text or "endpoint" in text
    assert await request_log(control) == []


@pytest.mark.parametrize(
    "endpoint",
    ["/services/oauth2/token", "/services//oauth2/token", "/services/%2foauth2/userinfo"],
)
async def test_every_spelling_of_oauth2_is_refused_with_nothing_sent(
    tools: Tools, control: httpx.AsyncClient, endpoint: str
) -> None:
    """/services//oauth2/… and /services/%2foauth2/… mean /services/oauth2/…: refused alike."""
    await clear_log(control)
    text = await tools.error("custom_api_call", {"method": "GET", "endpoint": endpoint})
    assert "nothing was sent: the OAuth endpoints under /services/oauth2/" in text
    assert await request_log(control) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer stolen"},
        {"authorization": "Bearer stolen"},
        {"Host": "evil.example.com"},
        {"Cookie": "sid=x"},
        {"Content-Length": "0"},
        {"Transfer-Encoding": "chunked"},
        {"X-Ok": "a\r\nAuthorization: Bearer x"},
        {"X-Ok": "a\nb"},
        {"Bad Name": "x"},
        {"X-Evil\r\nHost": "x"},
    ],
)
async def test_hostile_headers_are_refused_with_nothing_sent(
    tools: Tools, control: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """Headers that would override auth or split the request are refused before sending."""
    await clear_log(control)
    text = await tools.error(
        "custom_api_call", {"method": "GET", "endpoint": f"{API}/limits", "headers": headers}
    )
    assert "refused" in text
    assert await request_log(control) == []


async def test_a_body_on_get_is_refused(tools: Tools, control: httpx.AsyncClient) -> None:
    """GET and DELETE take no body."""
    await clear_log(control)
    text = await tools.error(
        "custom_api_call", {"method": "GET", "endpoint": f"{API}/limits", "body": {"a": 1}}
    )
    assert "has no body" in text
    assert await request_log(control) == []
