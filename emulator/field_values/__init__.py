"""One field value, checked and converted to Salesforce's wire form, per field type.

A value goes through two steps:

1. **Reading** (:func:`from_json` or :func:`from_text`) — what Salesforce's request parser does.
   JSON bodies are read the way Salesforce's Jackson-based parser reads them: a wrong JSON
   type, or a string that cannot become the field's type, is a ``JSON_PARSER_ERROR``
   ("Cannot deserialize instance of boolean from VALUE_STRING value yes or request may be
   missing a required field at [line:1, column:25]"; objects and arrays: "… from START_ARRAY
   value [line:1, column:51]"). Text values (Bulk API CSV cells, external ids in a URL) that
   cannot become the field's type are ``INVALID_TYPE_ON_FIELD_IN_RECORD`` ("<Label>: value not
   of required type: <v>"), as Bulk API results report them.
2. **Checking** (:func:`finish`) — what the save does with a well-typed value: text length
   (``STRING_TOO_LONG``), e-mail syntax (``INVALID_EMAIL_ADDRESS``), restricted picklists
   (``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``), number precision (``NUMBER_OUTSIDE_VALID_RANGE``;
   extra decimals are rounded half-up to the field's scale, as Salesforce does) and id syntax
   (``MALFORMED_ID``). Messages name the field **label**; ``fields`` names the API name.

Coercions JSON accepts (decided from recordings and client reports; strict where unsure):
numbers as numeric strings (``"NumberOfEmployees": "10000"`` is in a real recording); booleans
as ``"true"``/``"false"`` (any case: Jackson's textual booleans); numbers and booleans for text
fields (rendered as text); ``""`` clears number, date, datetime, time and reference fields and
is stored as null for text (Salesforce never stores empty strings). Rejected: numbers for
booleans, non-finite numbers, dates not ``YYYY-MM-DD``, datetimes without a time part.
Datetimes are stored in UTC as ``YYYY-MM-DDTHH:MM:SS.000+0000`` (Salesforce keeps seconds).

Modules: :mod:`.reading` (step 1), :mod:`.origins` (a JSON body or text: which reading applies),
:mod:`.checking` (step 2), :mod:`.value_errors` (the errors both steps raise),
:mod:`.json_location` (where a value sits in the request text, for parser errors).
"""

from __future__ import annotations

from emulator.field_values.checking import finish
from emulator.field_values.json_location import Locator, json_location
from emulator.field_values.origins import TEXT, JsonOrigin, Origin, TextOrigin, read_value
from emulator.field_values.reading import DATETIME_FORMAT, from_json, from_text, normalize_datetime
from emulator.field_values.value_errors import cannot_deserialize, malformed_id, not_of_type

__all__ = [
    "DATETIME_FORMAT",
    "TEXT",
    "JsonOrigin",
    "Locator",
    "Origin",
    "TextOrigin",
    "cannot_deserialize",
    "finish",
    "from_json",
    "from_text",
    "json_location",
    "malformed_id",
    "normalize_datetime",
    "not_of_type",
    "read_value",
]
