"""An action file's ``[call]`` table, and where its templates may read the call variables.

The table maps a name to the request header the voice platform sends it in, with its type and
whether a tool that uses it may run without it::

    [call]
    id = { header = "X-Call-Id" }
    caller_number = { header = "X-Caller-Number", type = "phone" }
    agent = { header = "X-Agent-Name", required = false }

Its entries replace or add to the bindings there are without it (``CALLFORCE_CALL_HEADERS``,
else ``id`` ← X-Call-Id and ``caller_number`` ← X-Caller-Number): :func:`read_call_table`.
Every variable is also read from a request's ``_meta["callforce/call"]`` (stdio clients), see
:mod:`server.toolkit.call`. Templates read them as ``{{ call.<name> }}``;
:func:`call_use_problems` refuses a name that is not bound, and an optional one where leaving it
out would change what is asked (SOQL, a record id, an endpoint).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError, field_validator

from server.actions.templating import VARIABLE_NAME, call_variable
from server.toolkit.call import CallBindings, CallVariable

#: A header name as HTTP defines it (a token, RFC 9110 §5.6.2).
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}")
#: Headers that carry the client's credentials: a template could write them into a record.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
#: Where an optional call variable may stand: leaving it out drops a value or empties text.
_OPTIONAL_PLACES = ("data", "records", "body", "headers")


class CallConfig(BaseModel):
    """``[call] <name> = { header = "…", type = "text", required = true }``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: str
    type: Literal["text", "phone"] = "text"
    #: false: a tool that uses it runs without it (it renders as an omitted optional variable).
    required: StrictBool = True

    @field_validator("header")
    @classmethod
    def _header(cls, value: str) -> str:
        if not HEADER_NAME.fullmatch(value):
            raise ValueError(
                f"'{value}' is not an HTTP header name: letters, digits and !#$%&'*+-.^_`|~, "
                "no spaces or colons"
            )
        if value.lower() in SECRET_HEADERS:
            raise ValueError(f"{value} carries the client's credentials; choose another header")
        return value


def read_call_table(table: Any, base: CallBindings) -> tuple[CallBindings, list[tuple[str, str]]]:
    """The bindings of ``base`` with the table's entries, and ``(where, message)`` problems."""
    if table is None:
        return base, []
    if not isinstance(table, dict):
        return base, [("call", 'give a [call] table: name = { header = "X-…" }')]
    found: list[tuple[str, str]] = []
    configured: dict[str, CallVariable] = {}
    for name, entry in table.items():
        where = f"call.{name}"
        if not VARIABLE_NAME.fullmatch(name):
            found.append((where, "a call variable's name has letters, digits and _, and starts "
                                 "with a letter"))  # fmt: skip
            continue
        if not isinstance(entry, dict):
            found.append((where, f'give a table: {name} = {{ header = "X-…" }}'))
            configured[name] = CallVariable(name)
            continue
        try:
            config = CallConfig.model_validate(entry)
        except ValidationError as exc:
            found += [_located(where, error) for error in exc.errors(include_url=False)]
            configured[name] = CallVariable(name)  # known: its uses are not problems too
            continue
        configured[name] = CallVariable(name, config.header, config.type, config.required)
    return base.extended(configured), found


def _located(where: str, error: Any) -> tuple[str, str]:
    key = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, list(CallConfig.model_fields), n=1)
        message = "unknown key" + (f"; did you mean {close[0]}?" if close else "")
    elif error["type"] == "missing":
        message = 'give the header the platform sends it in: header = "X-…"'
    return f"{where}.{key}" if key else where, message


def call_use_problems(
    uses: Iterable[tuple[str, str]], bindings: CallBindings
) -> list[tuple[str | None, str]]:
    """What is wrong with the ``(variable, where)`` uses of call variables in one action."""
    found: list[tuple[str | None, str]] = []
    for variable, where in dict.fromkeys(uses):
        name = call_variable(variable)
        if name is None:
            continue
        bound = bindings.variables.get(name)
        if bound is None:
            there = ", ".join(f"call.{known}" for known in bindings.variables)
            message = f"there is no call.{name}; the call variables are {there} (see [call])"
            close = difflib.get_close_matches(name, list(bindings.variables), n=1)
            found.append((where, message + (f" — did you mean call.{close[0]}?" if close else "")))
        elif not bound.required and where.split(".")[0] not in _OPTIONAL_PLACES:
            found.append(
                (where, f"call.{name} is optional (required = false in [call]): it can stand "
                        "only in data, records, body or headers")
            )  # fmt: skip
    return found
