"""The one endpoint-path policy: normalise first (decode, collapse, resolve), then decide."""

from __future__ import annotations

import pytest

from server.errors import RequestRefused
from server.salesforce.endpoints import check_endpoint, check_headers, normalise

OAUTH = "the OAuth endpoints under /services/oauth2/ are not available."
ONE_MEANING = "the endpoint cannot contain empty, '.' or '..' segments, even encoded."
OUTSIDE = "the endpoint must start with /services/ on the org's instance."


def _reason(endpoint: str) -> str:
    with pytest.raises(RequestRefused) as refused:
        check_endpoint(endpoint)
    return refused.value.reason


@pytest.mark.parametrize(
    "endpoint",
    [
        "/services/oauth2/token",
        "/services//oauth2/token",
        "/services/%2foauth2/userinfo",
        "/services/%2Foauth2/userinfo",
        "/services/%252foauth2/token",
        "/services/OAuth2/revoke",
        "/services/%6fauth2/token",
        "/services/data/../oauth2/token",
        "/services/data/v62.0/%2e%2e/%2e%2e/oauth2/token",
        "/services/./oauth2/token",
        "/services/data/..%2foauth2/token",
    ],
)
def test_every_spelling_of_the_oauth_endpoints_is_refused_as_such(endpoint: str) -> None:
    """Whatever the spelling, a path that means /services/oauth2/… is refused as that."""
    assert _reason(endpoint) == OAUTH


@pytest.mark.parametrize(
    "endpoint",
    [
        "/services/data//v62.0/limits",
        "/services/data/./v62.0/limits",
        "/services/data/v62.0/x/../limits",
        "/services/data/v62.0/sobjects/Lead/External_Id__c/%2E%2E",
        "/services/data/v62.0/%252e%252e/limits",
        "/services/data/v62.0/sobjects/Lead/External_Id__c/a%2F%2Fb",
    ],
)
def test_a_path_that_normalising_changes_is_refused_even_when_it_lands_inside(
    endpoint: str,
) -> None:
    """Empty and dot segments, raw or encoded, are refused: what is sent means one thing."""
    assert _reason(endpoint) == ONE_MEANING


@pytest.mark.parametrize(
    "endpoint",
    ["/services/", "/services", "/_emulator/requests", "/secur/frontdoor.jsp?sid=x", "/id/0/1",
     "/services/data/../../etc/passwd", "/services/%2e%2e/secur/frontdoor.jsp"],
)  # fmt: skip
def test_paths_outside_services_are_refused(endpoint: str) -> None:
    """Only paths under /services/ (after normalising) are Salesforce's API."""
    assert _reason(endpoint) == OUTSIDE


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("https://evil.example/services/data", "not a URL"),
        ("//evil.example/services/data", "not a URL"),
        ("services/data/v62.0/limits", "not a URL"),
        ("/services/data\\..\\x", "control characters or a backslash"),
        ("/services/data/v62.0/limits\r\nX-Evil: 1", "control characters or a backslash"),
        ("/services/data/v62.0/limits%0d%0aX-Evil:1", "control characters or a backslash"),
        ("/services/data/v62.0/%5c..%5cx", "control characters or a backslash"),
        ("/services/data/v62.0/limits#frag", "cannot contain '#'"),
        ("/services/data/v62.0/query?q=x#frag", "cannot contain '#'"),
        ("/services/data/v62.0/two words", "cannot contain spaces"),
        ("/services/data/%" + "25" * 12 + "2e", "percent-encoded too many times"),
    ],
)
def test_raw_tricks_are_refused_with_what_to_fix(endpoint: str, reason: str) -> None:
    """URLs, backslashes, control characters, fragments and endless encodings say why."""
    assert reason in _reason(endpoint)


@pytest.mark.parametrize(
    ("endpoint", "path", "query"),
    [
        ("/services/data/v62.0/limits", "/services/data/v62.0/limits", ()),
        (
            "/services/data/v62.0/sobjects/Lead/External_Id__c/%231%2F2",
            "/services/data/v62.0/sobjects/Lead/External_Id__c/%231%2F2",
            (),
        ),
        ("/services/apexrest/cases/", "/services/apexrest/cases/", ()),
        (
            "/services/data/v62.0/query?q=SELECT Id FROM Account",
            "/services/data/v62.0/query",
            (("q", "SELECT Id FROM Account"),),
        ),
        ("/services/data/v62.0/sobjects/Lead/Name/two%20words", None, ()),
    ],
)
def test_paths_inside_the_api_pass_with_their_encoding_kept(
    endpoint: str, path: str | None, query: tuple[tuple[str, str], ...]
) -> None:
    """Encoded data inside a segment is data: the path is sent exactly as given."""
    checked = check_endpoint(endpoint)
    assert checked.path == (path or endpoint.partition("?")[0])
    assert checked.query == query


def test_normalise_says_what_a_path_means() -> None:
    """Decoded until stable, empty segments collapsed, dot segments resolved."""
    assert normalise("/services//oauth2/token") == ("/services/oauth2/token", True)
    assert normalise("/services/%2foauth2/userinfo") == ("/services/oauth2/userinfo", True)
    assert normalise("/services/data/v62.0/../limits") == ("/services/data/limits", True)
    assert normalise("/services/data/v62.0/limits/") == ("/services/data/v62.0/limits/", False)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Authorization": "Bearer x"}, "set by callforce"),
        ({"content-type": "text/plain"}, "set by callforce"),
        ({"X-Ok": "a\r\nHost: evil"}, "line breaks"),
        ({"Bad Name": "x"}, "not a valid header name"),
    ],
)
def test_headers_the_transport_owns_are_refused(headers: dict[str, str], reason: str) -> None:
    """A caller cannot set auth, framing or content type, nor split the request."""
    with pytest.raises(RequestRefused) as refused:
        check_headers(headers)
    assert reason in refused.value.reason
    assert check_headers({"Sforce-Call-Options": "client=agent"}) == {
        "Sforce-Call-Options": "client=agent"
    }
