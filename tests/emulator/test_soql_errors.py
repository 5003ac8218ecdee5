"""SOQL refusals: Salesforce's error codes, texts and the echo/caret layout of the message."""

from __future__ import annotations

import pytest

from emulator import soql
from emulator.schema import load_schema

SCHEMA = load_schema()

FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)
RELATIONSHIP_HINT = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the "
    "custom relationship name. Please reference your WSDL or the describe call for the "
    "appropriate names."
)


def refusal(text: str) -> soql.SoqlError:
    """The error ``parse`` raises for ``text``."""
    with pytest.raises(soql.SoqlError) as caught:
        soql.parse(text, SCHEMA)
    return caught.value


def caret_message(query: str, column: int, explanation: str, row: int = 1) -> str:
    """Salesforce's layout: echo, caret line, position, explanation."""
    return f"\n{query}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{explanation}"


def test_unknown_object_is_invalid_type() -> None:
    """The recorded Salesforce answer for ``FROM XYZZY``, byte for byte."""
    error = refusal("SELECT Id, FirstName, LastName FROM XYZZY ")
    assert error.error_code == "INVALID_TYPE"
    assert error.message == (
        "\nSELECT Id, FirstName, LastName FROM XYZZY\n                                    ^\n"
        "ERROR at Row:1:Column:37\nsObject type 'XYZZY' is not supported. If you are attempting "
        "to use a custom object, be sure to append the '__c' after the entity name. Please "
        "reference your WSDL or the describe call for the appropriate names."
    )


def test_unknown_field_in_select() -> None:
    """INVALID_FIELD with the caret under the field (CONTRACT.md §5's example)."""
    error = refusal("SELECT Foo FROM Account")
    assert error.error_code == "INVALID_FIELD"
    assert error.message == caret_message(
        "SELECT Foo FROM Account", 8, f"No such column 'Foo' on entity 'Account'. {FIELD_HINT}"
    )


@pytest.mark.parametrize(
    ("query", "column", "explanation"),
    [
        (
            "SELECT Id FROM Contact WHERE Emial = 'a'",
            30,
            f"No such column 'Emial' on entity 'Contact'. {FIELD_HINT}",
        ),
        (
            "SELECT Id FROM Contact ORDER BY Account.Nmae",
            33,
            f"No such column 'Nmae' on entity 'Account'. {FIELD_HINT}",
        ),
        (
            "SELECT Id, Acount.Name FROM Contact",
            12,
            f"Didn't understand relationship 'Acount' in field path. {RELATIONSHIP_HINT}",
        ),
        ("SELECT Who.Foo FROM Task", 8, f"No such column 'Foo' on entity 'Name'. {FIELD_HINT}"),
        (
            "SELECT Who.Account.Name FROM Task",
            8,
            f"Didn't understand relationship 'Account' in field path. {RELATIONSHIP_HINT}",
        ),
        (
            "SELECT Account FROM Contact",
            8,
            f"No such column 'Account' on entity 'Contact'. {FIELD_HINT}",
        ),
        (
            "SELECT (SELECT Bogus FROM Contacts) FROM Account",
            16,
            f"No such column 'Bogus' on entity 'Contact'. {FIELD_HINT}",
        ),
    ],
)
def test_unknown_fields_and_relationships(query: str, column: int, explanation: str) -> None:
    """Unknown names anywhere are INVALID_FIELD, the caret at the start of the path."""
    error = refusal(query)
    assert error.error_code == "INVALID_FIELD"
    assert error.message == caret_message(query, column, explanation)


def test_unknown_child_relationship_is_invalid_type() -> None:
    """A subquery FROM that is no child relationship of the parent."""
    query = "SELECT Id, (SELECT Id FROM Contactz) FROM Account"
    error = refusal(query)
    assert error.error_code == "INVALID_TYPE"
    assert error.message == caret_message(
        query,
        28,
        "Didn't understand relationship 'Contactz' in FROM part of query call. "
        + RELATIONSHIP_HINT,
    )


@pytest.mark.parametrize(
    ("query", "column", "explanation"),
    [
        ("SELECT Id, FROM Account", 12, "unexpected token: 'FROM'"),
        ("SELECT Id FROM Account WHERE", 29, "unexpected token: '<EOF>'"),
        (
            "SELECT Id FROM Account WHERE Name = 'a' AND Id = null OR Name = 'b'",
            55,
            "unexpected token: 'OR'",
        ),
        ("SELECT Id FROM Account WHERE Name = Acme", 37, "unexpected token: 'Acme'"),
        (
            "SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS",
            44,
            "unexpected token: 'LAST_N_DAYS'",
        ),
        ("SELECT Id FROM Account WHERE CreatedDate = TODAY:3", 44, "unexpected token: 'TODAY'"),
        ("SELECT Id FROM Account LIMIT 1.5", 30, "unexpected token: '1.5'"),
        ("SELECT Name n FROM Account", 13, "unexpected token: 'n'"),
        (
            "SELECT Id FROM Account WHERE Name # 'a'",
            35,
            "line 1:34 no viable alternative at character '#'",
        ),
        (
            'SELECT Id FROM Account WHERE Name = "a"',
            37,
            "line 1:36 no viable alternative at character '\"'",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'a",
            39,
            "line 1:38 mismatched character '<EOF>' expecting '''",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = 2026-02-30",
            46,
            "unexpected token: '2026-02-30'",
        ),
        (
            "SELECT COUNT(), Name FROM Account",
            8,
            "COUNT() must be the only element in the SELECT list",
        ),
        ("SELECT Name, COUNT(Id) FROM Account", 8, "Field must be grouped or aggregated: Name"),
        ("SELECT FOO(Id) FROM Account", 8, "unexpected token: 'FOO'"),
    ],
)
def test_malformed_queries(query: str, column: int, explanation: str) -> None:
    """Syntax errors are MALFORMED_QUERY with the caret under the offending token."""
    error = refusal(query)
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message == caret_message(query, column, explanation)


@pytest.mark.parametrize(
    ("literal", "sequence"),
    [("'a\\%'", "\\%"), ("'a\\_b'", "\\_"), ("'\\x'", "\\x"), ("'\\u12'", "\\u"), ("'\\a'", "\\a")],
)
def test_illegal_escapes_are_malformed(literal: str, sequence: str) -> None:
    """Backslash sequences outside the list (and \\% \\_ outside LIKE) are refused."""
    query = f"SELECT Id FROM Account WHERE Name = {literal}"  # noqa: S608 - SOQL test text, no SQL database
    error = refusal(query)
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message == caret_message(
        query,
        37,
        f"Invalid string literal {literal}. Illegal character sequence '{sequence}' in string "
        "literal.",
    )


@pytest.mark.parametrize(
    ("where", "type_name", "quoted"),
    [
        ("Name = 5", "string", True),
        ("Name = true", "string", True),
        ("Name = TODAY", "string", True),
        ("NumberOfEmployees = '5'", "integer", False),
        ("AnnualRevenue = '5'", "double", False),
        ("IsDeleted = 'true'", "boolean", False),
        ("IsDeleted = 1", "boolean", False),
        ("CreatedDate = 2026-01-01", "dateTime", False),
        ("CreatedDate = '2026-01-01T00:00:00Z'", "dateTime", False),
        ("Id = 5", "id", True),
    ],
)
def test_literal_of_the_wrong_type_is_invalid_field(
    where: str, type_name: str, quoted: bool
) -> None:
    """Salesforce's "value of filter criterion" text, the caret under the value."""
    query = f"SELECT Id FROM Account WHERE {where}"  # noqa: S608 - SOQL test text, no SQL database
    error = refusal(query)
    assert error.error_code == "INVALID_FIELD"
    field = where.split()[0]
    enclosed = "should be enclosed" if quoted else "should not be enclosed"
    value_column = query.index(where.split()[2]) + 1
    assert error.message == caret_message(
        query,
        value_column,
        f"value of filter criterion for field '{field}' must be of type {type_name} and "
        f"{enclosed} in quotes",
    )


def test_datetime_literal_on_a_date_field() -> None:
    """A datetime literal against a date field is refused as well."""
    error = refusal("SELECT Id FROM Opportunity WHERE CloseDate > 2026-01-01T00:00:00Z")
    assert error.error_code == "INVALID_FIELD"
    assert "must be of type date and should not be enclosed in quotes" in error.message


@pytest.mark.parametrize(
    ("where", "field_type", "column"),
    [
        ("NumberOfEmployees LIKE '5%'", "int", 48),
        ("IsDeleted LIKE 'true'", "boolean", 40),
        ("IsDeleted > false", "boolean", 40),
        ("Id LIKE '001%'", "id", 33),
        ("Industry INCLUDES ('a')", "picklist", 39),
    ],
)
def test_operator_not_valid_for_the_type(where: str, field_type: str, column: int) -> None:
    """INVALID_QUERY_FILTER_OPERATOR, the caret under the operator."""
    query = f"SELECT Id FROM Account WHERE {where}"  # noqa: S608 - SOQL test text, no SQL database
    error = refusal(query)
    assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert error.message == caret_message(query, column, f"invalid operator on {field_type} field")


def test_malformed_id_literal() -> None:
    """An id literal that is not 15/18 characters: "invalid ID field"."""
    query = "SELECT Id FROM Contact WHERE AccountId IN ('001000000000000AAA', 'abc')"
    error = refusal(query)
    assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert error.message == caret_message(query, 66, "invalid ID field: abc")


def test_long_text_cannot_be_filtered_or_sorted() -> None:
    """Description is neither filterable nor sortable."""
    error = refusal("SELECT Id FROM Account WHERE Description = 'x'")
    assert (error.error_code, error.message.rsplit("\n", 1)[1]) == (
        "INVALID_FIELD",
        "field 'Description' can not be filtered in query call",
    )
    error = refusal("SELECT Id FROM Account ORDER BY Description")
    assert (error.error_code, error.message.rsplit("\n", 1)[1]) == (
        "INVALID_FIELD",
        "field 'Description' can not be sorted in a query call",
    )


def test_sum_of_text_is_refused() -> None:
    """SUM and AVG take numbers only."""
    error = refusal("SELECT SUM(Name) FROM Account")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith("field Name does not support aggregate operator SUM")


def test_offset_above_2000() -> None:
    """OFFSET is at most 2000."""
    query = "SELECT Id FROM Account OFFSET 2001"
    error = refusal(query)
    assert error.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert error.message == caret_message(query, 31, "Maximum SOQL offset allowed is 2000")
    soql.parse("SELECT Id FROM Account OFFSET 2000", SCHEMA)


def test_multi_line_query_points_at_the_row() -> None:
    """Row and column count lines; the echo is the offending line."""
    error = refusal("SELECT Id\n  FROM Account\n WHERE Nope = 1")
    assert error.message == caret_message(
        " WHERE Nope = 1", 8, f"No such column 'Nope' on entity 'Account'. {FIELD_HINT}", row=3
    )


def test_keywords_are_case_insensitive_and_reserved() -> None:
    """Lower-case keywords parse; a keyword is never a field name."""
    soql.parse(
        "select id from account where name like 'a%' order by name desc nulls last "
        "limit 5 offset 1",
        SCHEMA,
    )
    assert refusal("SELECT Id, Limit FROM Account").message.endswith("unexpected token: 'Limit'")


def test_deeply_nested_conditions_are_too_complicated() -> None:
    """Nesting is bounded, so no query can exhaust the interpreter's recursion limit."""
    error = refusal("SELECT Id FROM Account WHERE " + "NOT " * 500 + "Name = 'a'")
    assert error.error_code == "QUERY_TOO_COMPLICATED"
    assert error.message == (
        "Query is either selecting too many fields or the filter conditions are too complicated."
    )
    soql.parse("SELECT Id FROM Account WHERE " + "NOT " * 40 + "Name = 'a'", SCHEMA)
