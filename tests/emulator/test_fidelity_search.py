"""Search answers like the real recordings (tests.helpers.oracles), by shape.

The Nango recordings (a real org, v58 and v59) are replayed as recorded: path, version and
parameters; their org found nothing for "Acme", ours finds Acme Corporation, so the records'
shape is the demo org's and the answer's envelope and headers are compared. restforce's samples
are hand-written around real shapes (object "Whizbang", API v23.0, before the answer was wrapped
in ``searchRecords``): their shape is compared with the oldest version the emulator serves.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.helpers.emulator import is_id18
from tests.helpers.oracles import LIMIT_INFO, assert_same_shape, load

SEARCH = "fixtures/search"


def check_replayed(recording: dict[str, Any], response: httpx.Response) -> None:
    """Status, headers and body shape of ``response`` are the recorded ones."""
    real = recording["response"]
    assert response.status_code == real["status"]
    assert response.headers["content-type"] == real["headers"]["content-type"]
    assert LIMIT_INFO.match(response.headers["sforce-limit-info"])
    # queryid is an opaque id, e.g. -1383673vfvqa8: a dash and 13 lower-case base-36 characters.
    assert re.fullmatch(r"-[0-9a-z]{13}", real["headers"]["queryid"])
    assert re.fullmatch(r"-[0-9a-z]{13}", response.headers["queryid"])
    ours = response.json()
    assert_same_shape(real["body"], ours)
    assert ours["searchRecords"], "the replayed search found nothing to compare"
    version = recording["request"]["path"].split("/")[3]
    for record in ours["searchRecords"]:
        assert list(record) == ["attributes", "Id"]
        assert is_id18(record["Id"], "")
        kind = record["attributes"]["type"]
        assert (
            record["attributes"]["url"]
            == f"/services/data/{version}/sobjects/{kind}/{record['Id']}"
        )


async def test_sosl_search_matches_recording(client: httpx.AsyncClient) -> None:
    """GET /search?q=FIND {Acme} at v58.0, as recorded."""
    recording = load(f"{SEARCH}/nango__search_empty_v58_200.json")
    request = recording["request"]
    response = await client.get(request["path"], params=request["params"])
    check_replayed(recording, response)


async def test_parameterized_search_matches_recording(client: httpx.AsyncClient) -> None:
    """GET /parameterizedSearch?q=Acme&sObject=Account at v59.0, as recorded."""
    recording = load(f"{SEARCH}/nango__parameterizedSearch_empty_v59_200.json")
    request = recording["request"]
    response = await client.get(request["path"], params=request["params"])
    check_replayed(recording, response)
    assert {r["attributes"]["type"] for r in response.json()["searchRecords"]} == {"Account"}


async def test_old_search_answer_is_a_bare_list(client: httpx.AsyncClient) -> None:
    """restforce's v23 search answer is a bare list of records; so is ours before v37.0."""
    real = load(f"{SEARCH}/restforce__search_success_response.json")
    response = await client.get(
        "/services/data/v31.0/search", params={"q": "FIND {Acme} RETURNING Account"}
    )
    assert response.status_code == 200
    ours = response.json()
    assert ours
    assert_same_shape(real, ours)


async def test_search_without_braces_matches_recording(client: httpx.AsyncClient) -> None:
    """A statement without ``FIND {…}`` is answered exactly as restforce's recorded body."""
    real = load(f"{SEARCH}/restforce__search_error_response.json")
    response = await client.get("/services/data/v62.0/search", params={"q": "FIND Acme"})
    assert response.status_code == 400
    assert response.json() == real
