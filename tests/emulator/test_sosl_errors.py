"""SOSL refusals: MALFORMED_SEARCH and RETURNING's SOQL codes, with SOSL's echo/caret layout
(the column counted from 0, as both recorded refusals show)."""

from __future__ import annotations

import re

import httpx
import pytest

from emulator import sosl
from emulator.schema import load_schema
from tests.helpers.emulator.searches import refused

SCHEMA = load_schema()
NO_TERM = "No search term found. The search term must be enclosed in braces."
TOO_SHORT = "search term must be longer than one character"
LAYOUT = re.compile(
    r"\n(?P<echo>[^\n]*)\n(?P<pad> *)\^\nERROR at Row:1:Column:(?P<column>\d+)\n(?P<text>.+)",
    re.DOTALL,
)


def refusal(text: str) -> sosl.SoslError:
    """The error ``parse`` raises for ``text``."""
    with pytest.raises(sosl.SoslError) as caught:
        sosl.parse(text, SCHEMA)
    return caught.value


def test_unescaped_pipe_is_refused_where_it_stands() -> None:
    """The recorded answer to a ``|`` in the search text (restforce#688), byte for byte."""
    error = refusal("FIND {John|jane_gray@uoa.edu} RETURNING Contact")
    assert error.error_code == "MALFORMED_SEARCH"
    assert error.message == (
        "\nFIND {John|jane_gray@uoa.edu} RETURNING Contact\n         ^\n"
        "ERROR at Row:1:Column:10\nline 1:10 mismatched character '|' expecting '}'"
    )


def test_unknown_search_group_is_a_malformed_token() -> None:
    """The recorded answer to ``IN ALL TYPE`` (force-rest-api#92), byte for byte."""
    error = refusal("FIND {name} IN ALL TYPE RETURNING Account(name)")
    assert error.error_code == "MALFORMED_SEARCH"
    assert error.message == (
        "\nFIND {name} IN ALL TYPE RETURNING Account(name)\n                  ^\n"
        "ERROR at Row:1:Column:19\nMalformed search token: TYPE"
    )


@pytest.mark.parametrize("text", ["Acme", "FIND Acme", "SELECT Id FROM Account", "FIND", " "])
def test_a_statement_without_braces_has_no_search_term(text: str) -> None:
    """Anything but ``FIND {…}`` at the start is "No search term found", without a caret."""
    error = refusal(text)
    assert (error.error_code, error.message) == ("MALFORMED_SEARCH", NO_TERM)


@pytest.mark.parametrize("text", ["FIND {a}", "FIND {a*}", "FIND {?}", "FIND {}", "FIND {( )}"])
def test_a_search_of_one_character_is_too_short(text: str) -> None:
    """A search needs two letters or digits."""
    error = refusal(text)
    assert (error.error_code, error.message) == ("MALFORMED_SEARCH", TOO_SHORT)


@pytest.mark.parametrize(
    ("text", "code", "culprit", "explanation"),
    [
        ("FIND {Acme", "MALFORMED_SEARCH", "", "line 1:10 mismatched character '<EOF>'"),
        ("FIND {Acme} IN FOO FIELDS", "MALFORMED_SEARCH", "FOO", "Malformed search token: FOO"),
        ("FIND {Acme} IN ALL FIELD", "MALFORMED_SEARCH", "FIELD", "Malformed search token:"),
        ("FIND {Acme} WITH SNIPPET", "MALFORMED_SEARCH", "WITH", "Malformed search token: WITH"),
        ("FIND {Acme} RETURNING", "MALFORMED_SEARCH", "", "unexpected token: '<EOF>'"),
        (
            "FIND {Acme} RETURNING Account(Name WHERE)",
            "MALFORMED_SEARCH",
            ")",
            "unexpected token: ')'",
        ),
        ("FIND {Acme} RETURNING Acount", "INVALID_TYPE", "Acount", "sObject type 'Acount'"),
        (
            "FIND {Acme} RETURNING Account(Name, Nmae)",
            "INVALID_FIELD",
            "Nmae",
            "No such column 'Nmae' on entity 'Account'",
        ),
        (
            "FIND {Acme} RETURNING Contact(Name WHERE DoNotCall LIKE 'x')",
            "INVALID_QUERY_FILTER_OPERATOR",
            "LIKE",
            "invalid operator on boolean field",
        ),
        (
            "FIND {Acme} RETURNING Contact(Name OFFSET 2001)",
            "NUMBER_OUTSIDE_VALID_RANGE",
            "2001",
            "Maximum SOQL offset allowed is 2000",
        ),
        ("FIND {Acme} @", "MALFORMED_SEARCH", "@", "no viable alternative at character '@'"),
        ("FIND {Acme} LIMIT 1.5", "MALFORMED_SEARCH", "1.5", "unexpected token: '1.5'"),
    ],
)
def test_located_refusals(text: str, code: str, culprit: str, explanation: str) -> None:
    """Echo, caret and a 0-based column one left of the culprit (SOSL's recorded layout)."""
    error = refusal(text)
    assert error.error_code == code
    parts = LAYOUT.fullmatch(error.message)
    assert parts, error.message
    column = int(parts["column"])
    assert parts["echo"] == text
    assert len(parts["pad"]) == column - 1
    assert text[column:].startswith(culprit) if culprit else column == len(text)
    assert explanation in parts["text"]
    assert error.explanation == parts["text"]


async def test_refusals_over_http(client: httpx.AsyncClient) -> None:
    """/search answers a refusal 400 with Salesforce's error array."""
    error = await refused(client, "FIND {Acme} RETURNING Acount")
    assert error["errorCode"] == "INVALID_TYPE"
    assert error["message"].startswith("\nFIND {Acme} RETURNING Acount\n")
    assert set(error) == {"message", "errorCode"}
    assert (await refused(client, "FIND {a}")) == {
        "message": TOO_SHORT,
        "errorCode": "MALFORMED_SEARCH",
    }
