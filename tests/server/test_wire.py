"""How a request's URL is put on the wire: encoding kept where it is, added where a URL needs it."""

from __future__ import annotations

import httpx
import pytest

from server.errors import RequestRefused
from server.salesforce.wire import _encoded, target

BASE = "https://acme.my.salesforce.com"


@pytest.mark.parametrize(
    ("path", "params", "url"),
    [
        ("/services/data/v62.0/limits", None, "/services/data/v62.0/limits"),
        (
            "/services/data/v62.0/sobjects/Lead/External_Id__c/%231%2F2",
            None,
            "/services/data/v62.0/sobjects/Lead/External_Id__c/%231%2F2",
        ),
        ("/services/apexrest/café", None, "/services/apexrest/caf%C3%A9"),
        (
            "/services/data/v62.0/query?q=SELECT Id FROM Account",
            None,
            "/services/data/v62.0/query?q=SELECT%20Id%20FROM%20Account",
        ),
        (
            "/services/data/v62.0/query",
            {"q": "SELECT Id, Name FROM Account WHERE Name = 'A&B'"},
            "/services/data/v62.0/query?q=SELECT+Id%2C+Name+FROM+Account+WHERE+Name+%3D+%27A%26B%27",
        ),
        ("/services/data/v62.0/x?a=1", {"b": 2}, "/services/data/v62.0/x?a=1&b=2"),
    ],
)
def test_the_url_is_encoded_once_and_only_where_needed(
    path: str, params: dict[str, str | int] | None, url: str
) -> None:
    """Percent-encoded data keeps its encoding; raw spaces and non-ASCII are encoded; params
    are form-encoded as httpx encodes them."""
    assert target(BASE, path, params) == BASE + url


def test_params_read_back_as_given() -> None:
    """What the server decodes is exactly the SOQL that was given."""
    soql = "SELECT Id FROM Contact WHERE Email = 'ana+1@example.com' AND Name LIKE '50%'"
    sent = httpx.URL(target(BASE, "/services/data/v62.0/query", {"q": soql}))
    assert sent.params["q"] == soql


@pytest.mark.parametrize(
    ("headers", "body"),
    [({"X-Caller": "García"}, None), (None, {"Amount": float("inf")}), (None, {"Name": "\ud800"})],
)
def test_what_cannot_go_on_the_wire_is_refused_before_sending(
    headers: dict[str, str] | None, body: object
) -> None:
    """A non-ASCII header value or a body JSON cannot carry is a refusal, not a crash."""
    with pytest.raises(RequestRefused):
        _encoded(headers, "token", body)
