"""Coercion of spoken and transcribed values to Salesforce field types.

`coerce_record` turns an agent's ``data`` into the JSON body Salesforce expects: canonical API
field names, Salesforce wire formats. Everything wrong is collected into one
`ValueCoercionError` whose text has one sentence per problem, naming the field, what was given
and the expected form with an example, so an agent can fix it or ask the caller.

The rules are the documented behaviour (tests/values/ checks each); each is written
in the module that implements it:

- `server.values.records`: `coerce_record` — field names, ``Id``, what each operation may
  write, compound fields, missing required fields, the upsert key.
- `server.values.coerce`: `coerce_value` — empty values, lists and objects, over-long text for a
  parsed type, and which field type goes to which module below.
- `server.values.text`: text, textarea and url values; length as Salesforce counts it.
- `server.values.booleans`: boolean values.
- `server.values.numbers`: int, long, double, currency and percent values.
- `server.values.dates`: date, datetime and time values.
- `server.values.emails`: email addresses.
- `server.values.phones`: phone numbers.
- `server.values.picklists`: picklist, combobox and multipicklist values.
- `server.values.ids`: record ids and references; `parse_id`.
- `server.values.problems`: `FieldProblem`, `ValueCoercionError` and how messages quote values.
- `server.values.context`: ``Operation``, ``DateOrder`` and the settings a coercion runs with.
"""

from server.values.coerce import coerce_value
from server.values.context import DateOrder, Operation
from server.values.ids import parse_id
from server.values.problems import FieldProblem, ValueCoercionError
from server.values.records import coerce_record

__all__ = [
    "DateOrder",
    "FieldProblem",
    "Operation",
    "ValueCoercionError",
    "coerce_record",
    "coerce_value",
    "parse_id",
]
