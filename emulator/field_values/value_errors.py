"""The errors a field value is refused with, in Salesforce's codes and wording.

A JSON value of the wrong kind is the parser's ``JSON_PARSER_ERROR``; a text value that cannot
become the field's type is ``INVALID_TYPE_ON_FIELD_IN_RECORD``; a reference that is not an id is
``MALFORMED_ID``. Messages name the field's label, ``fields`` its API name.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import SalesforceError, json_parser_error
from emulator.field_values.json_location import Locator
from emulator.schema import FieldSchema


def cannot_deserialize(type_name: str, value: Any, locate: Locator) -> SalesforceError:
    """Salesforce's JSON_PARSER_ERROR for a JSON value of the wrong kind."""
    if isinstance(value, dict | list):
        token = "START_OBJECT" if isinstance(value, dict) else "START_ARRAY"
        return json_parser_error(
            f"Cannot deserialize instance of {type_name} from {token} value {locate()}"
        )
    if isinstance(value, bool):
        token, text = ("VALUE_TRUE", "true") if value else ("VALUE_FALSE", "false")
    elif isinstance(value, int):
        token, text = "VALUE_NUMBER_INT", str(value)
    elif isinstance(value, float):
        token, text = "VALUE_NUMBER_FLOAT", repr(value)
    else:
        token, text = "VALUE_STRING", str(value)
    return json_parser_error(
        f"Cannot deserialize instance of {type_name} from {token} value {text} "
        f"or request may be missing a required field at {locate()}"
    )


def not_of_type(field: FieldSchema, value: Any) -> SalesforceError:
    """INVALID_TYPE_ON_FIELD_IN_RECORD: a value that cannot become the field's type."""
    return SalesforceError(
        400,
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        f"{field.label}: value not of required type: {value}",
        [field.name],
    )


def malformed_id(field: FieldSchema, value: Any) -> SalesforceError:
    """MALFORMED_ID: a value that is not a 15/18-character id."""
    return SalesforceError(
        400, "MALFORMED_ID", f"{field.label}: id value of incorrect type: {value}", [field.name]
    )
