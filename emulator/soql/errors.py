"""The one exception of the SOQL engine and Salesforce's message layout.

Salesforce echoes the query, puts a caret under the offending token and names the position:
``"\\n<query>\\n<spaces>^\\nERROR at Row:1:Column:N\\n<text>"`` (CONTRACT.md §5). For a query
spanning several lines the emulator echoes the offending line only; for very long lines
Salesforce shows a window around the token, the emulator the whole line.
"""

from __future__ import annotations

from emulator.soql.syntax import Pos

MALFORMED_QUERY = "MALFORMED_QUERY"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
INVALID_QUERY_FILTER_OPERATOR = "INVALID_QUERY_FILTER_OPERATOR"
NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"
QUERY_TOO_COMPLICATED = "QUERY_TOO_COMPLICATED"

TOO_COMPLICATED = (
    "Query is either selecting too many fields or the filter conditions are too complicated."
)

_CUSTOM_FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom "
    "field name. Please reference your WSDL or the describe call for the appropriate names."
)
_CUSTOM_RELATIONSHIP_HINT = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the "
    "custom relationship name. Please reference your WSDL or the describe call for the "
    "appropriate names."
)


class SoqlError(Exception):
    """A query Salesforce would refuse: ``error_code`` and the full ``message`` of its answer."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


class LocatedError(Exception):
    """A refusal found while reading or checking a query, before the text is attached; the public
    entry point turns it into a :class:`SoqlError` with :func:`locate`."""

    def __init__(self, pos: Pos | None, error_code: str, explanation: str) -> None:
        super().__init__(explanation)
        self.pos = pos
        self.error_code = error_code
        self.explanation = explanation


def locate(text: str, pos: Pos | None, error_code: str, explanation: str) -> SoqlError:
    """A :class:`SoqlError` whose message echoes ``text`` with a caret at ``pos`` (just the
    explanation when the refusal has no position)."""
    if pos is None:
        return SoqlError(error_code, explanation)
    lines = text.split("\n")
    line = lines[pos.row - 1] if 0 < pos.row <= len(lines) else text
    caret = " " * (pos.column - 1) + "^"
    message = f"\n{line}\n{caret}\nERROR at Row:{pos.row}:Column:{pos.column}\n{explanation}"
    return SoqlError(error_code, message)


def no_such_column(name: str, entity: str) -> str:
    """Salesforce's text for an unknown field."""
    return f"No such column '{name}' on entity '{entity}'. {_CUSTOM_FIELD_HINT}"


def unknown_relationship(name: str) -> str:
    """Salesforce's text for an unknown parent relationship in a field path."""
    return f"Didn't understand relationship '{name}' in field path. {_CUSTOM_RELATIONSHIP_HINT}"


def unknown_child_relationship(name: str) -> str:
    """Salesforce's text for an unknown child relationship in a subquery's FROM."""
    return (
        f"Didn't understand relationship '{name}' in FROM part of query call. "
        f"{_CUSTOM_RELATIONSHIP_HINT}"
    )


def unsupported_sobject(name: str) -> str:
    """Salesforce's text for an unknown object in FROM."""
    return (
        f"sObject type '{name}' is not supported. If you are attempting to use a custom object, "
        "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )
