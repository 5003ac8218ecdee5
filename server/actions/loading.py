r"""Reading an action file: :func:`load_actions` parses the TOML and checks what needs no org.

It checks the keys each kind takes, tool and variable names, template syntax, where every
SOQL variable stands, a search's text and objects, and the ``[call]`` table (and that each
``{{ call.<name> }}`` is one of its call variables), and compiles the templates into
:class:`~server.actions.model.Action`\ s. Every problem found is collected into one
:class:`~server.actions.model.ActionFileError`, each naming the file, the action and the key.
Checking against the connected org is :func:`server.actions.check.check_actions`.
"""

from __future__ import annotations

import difflib
import hashlib
import keyword
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from server.actions.call_table import call_use_problems, read_call_table
from server.actions.model import (
    COMMON_KEYS,
    GENERIC_TOOL_NAMES,
    KIND_KEYS,
    TOOL_NAME,
    Action,
    ActionConfig,
    ActionFileError,
    ActionSet,
    Problem,
    ReturningConfig,
    Use,
)
from server.actions.search import search_shape_problems
from server.actions.soql_template import SoqlTemplate
from server.actions.templating import (
    CALL,
    TemplateError,
    TextTemplate,
    call_variable,
    compile_json,
    json_leaves,
)
from server.errors import RequestRefused
from server.salesforce.endpoints import check_endpoint, check_headers
from server.toolkit.call import CallBindings

#: The largest action file read.
MAX_FILE_BYTES = 1_000_000


class _Refused(Exception):  # noqa: N818 - internal: carries problems out of _analyse
    def __init__(self, found: list[tuple[str | None, str]]) -> None:
        self.found = found


def load_actions(path: Path | str, calls: CallBindings | None = None) -> ActionSet:
    """Read and check an action file; ActionFileError lists each problem with its place.

    ``calls`` are the call variables there are without a ``[call]`` table (those of
    ``CALLFORCE_CALL_HEADERS``; default: id and caller_number); the file's table replaces or
    adds to them.
    """
    path = Path(path)
    file = str(path)

    def fail(message: str) -> ActionFileError:
        return ActionFileError([Problem(file, None, None, message)])

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise fail(f"the file is larger than {MAX_FILE_BYTES} bytes")
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise fail(f"not valid TOML: {exc}") from None
    problems = [
        Problem(file, None, key, "unknown key; a file has [[action]] tables, [call] and connection")
        for key in document
        if key not in ("action", "connection", CALL)
    ]
    bindings, found = read_call_table(document.get(CALL), calls or CallBindings())
    problems += [Problem(file, None, where, message) for where, message in found]
    entries = document.get("action")
    connection = document.get("connection")
    if not isinstance(entries, list) or not entries:
        problems.append(Problem(file, None, "action", "add at least one [[action]] table"))
        entries = []
    if connection is not None and not isinstance(connection, str):
        problems.append(Problem(file, None, "connection", "give the connection's name as text"))
    actions: list[Action] = []
    names: dict[str, str] = {}
    for index, entry in enumerate(entries, 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        label = f"'{name}'" if isinstance(name, str) and name else f"#{index}"
        try:
            action = _analyse(entry, label, bindings)
        except _Refused as refused:
            problems += [Problem(file, label, where, message) for where, message in refused.found]
            continue
        if action.config.name.lower() in names:
            message = f"the name is already used by action {names[action.config.name.lower()]}"
            problems.append(Problem(file, label, "name", message))
        names[action.config.name.lower()] = label
        actions.append(action)
    if problems:
        raise ActionFileError(problems)
    return ActionSet(
        path,
        tuple(actions),
        connection if isinstance(connection, str) else None,
        digest=file_digest(raw),
        call=bindings,
    )


def file_digest(raw: bytes) -> str:
    """The version of an action file's bytes (what the reload watcher compares)."""
    return hashlib.sha256(raw).hexdigest()


def _validate(entry: Any) -> ActionConfig:
    if not isinstance(entry, dict):
        raise _Refused([(None, "each [[action]] must be a table")])
    try:
        return ActionConfig.model_validate(entry)
    except ValidationError as exc:
        found: list[tuple[str | None, str]] = []
        for error in exc.errors(include_url=False, include_input=False):
            loc = error["loc"]
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)[1:] or None
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                known: list[str] = ["description"]
                if len(loc) == 1:
                    known = [ActionConfig.toml_key(name) for name in ActionConfig.model_fields]
                elif loc[0] == "returning":
                    known = list(ReturningConfig.model_fields)
                close = difflib.get_close_matches(str(loc[-1]), known, n=1)
                message = "unknown key" + (f"; did you mean {close[0]}?" if close else "")
            found.append((where, message))
        raise _Refused(found) from None


def _variable_name_problem(name: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", name):
        return "a variable name has letters, digits and _, and starts with a letter"
    if keyword.iskeyword(name) or name in ("ctx", CALL) or hasattr(BaseModel, name):
        return f"'{name}' is a reserved word; choose another variable name"
    return None


def _leaf_uses(key: str, tree: Any, *, fields: bool) -> Iterator[Use]:
    for path, template in json_leaves(tree):
        where = ".".join([key, *(str(part) for part in path)])
        field = str(path[0]) if fields and len(path) == 1 else None
        for variable in sorted(template.variables):
            yield Use(variable, where, field, template.whole == variable)


def _analyse(entry: Any, label: str, calls: CallBindings) -> Action:
    """The compiled action; _Refused with every problem found."""
    config = _validate(entry)
    found: list[tuple[str | None, str]] = []
    given = {ActionConfig.toml_key(name) for name in config.model_fields_set} - COMMON_KEYS
    needed, optional = KIND_KEYS[config.kind]
    found += [(key, f"a {config.kind} action needs {key}") for key in sorted(needed - given)]
    found += [
        (key, f"a {config.kind} action has no {key}") for key in sorted(given - needed - optional)
    ]
    if not TOOL_NAME.fullmatch(config.name):
        found.append(("name", "a tool name has 1-64 letters, digits and _, starting with a letter"))
    elif config.name in GENERIC_TOOL_NAMES:
        found.append(("name", f"{config.name} is the name of a built-in tool; choose another"))
    if found:
        raise _Refused(found)
    template: Any = None
    soql = id_ = endpoint = search = None
    headers: dict[str, TextTemplate] = {}
    uses: list[Use] = []
    key = {"bulk": "records", "api_call": "body"}.get(config.kind, "data")
    try:
        where = "soql"
        if config.soql is not None:
            soql = SoqlTemplate.parse(config.soql)
            uses += [Use(s.variable, "soql", s.field, True, s) for s in soql.slots]
        where = "id"
        if config.id is not None:
            id_ = TextTemplate.parse(config.id)
            if id_.whole is None and not id_.static:
                raise TemplateError("give one variable, '{{ recordId }}', or a record id")
            uses += [Use(v, "id", "Id", True) for v in id_.variables]
        where = "endpoint"
        if config.endpoint is not None:
            endpoint = TextTemplate.parse(config.endpoint, mode="url")
            uses += [Use(v, "endpoint", None, False) for v in sorted(endpoint.variables)]
        for name, text in (config.headers or {}).items():
            where = f"headers.{name}"
            headers[name] = TextTemplate.parse(text)
            uses += [Use(v, where, None, False) for v in sorted(headers[name].variables)]
        where = "search"
        if config.search is not None:
            search = TextTemplate.parse(config.search, mode="search")
            uses += [Use(v, "search", None, False) for v in sorted(search.variables)]
        where = key
        template = compile_json(getattr(config, key))
        uses += _leaf_uses(key, template, fields=key != "body")
    except TemplateError as exc:
        raise _Refused([(f"{where}.{exc.where}" if exc.where else where, str(exc))]) from None
    named = dict.fromkeys(use.variable for use in uses)
    action = Action(
        config, label, template, soql, id_, endpoint, headers, tuple(uses),
        tuple(name for name in named if call_variable(name) is None),
        tuple(called for name in named if (called := call_variable(name)) is not None),
        search,
    )  # fmt: skip
    found += call_use_problems(((use.variable, use.where) for use in uses), calls)
    found += _shape_problems(action)
    found += search_shape_problems(action)
    if found:
        raise _Refused(found)
    return action


def _shape_problems(action: Action) -> list[tuple[str | None, str]]:
    """What is wrong with the action's variables and record templates, without the org."""
    config = action.config
    found: list[tuple[str | None, str]] = []
    for variable in action.variables:
        problem = _variable_name_problem(variable)
        if problem:
            found.append((f"{{{{ {variable} }}}}", problem))
    for name, setting in config.variables.items():
        if name == CALL or call_variable(name) is not None:
            message = "the call variables come from the voice platform, not from the agent: "
            found.append((f"variables.{name}", message + "configure them in [call]"))
        elif name not in action.variables:
            close = difflib.get_close_matches(name, action.variables, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            found.append((f"variables.{name}", f"no template uses {name}{hint}"))
        elif setting.required is False and not all(
            use.whole and use.where.split(".")[0] in ("data", "records", "body")
            for use in action.uses
            if use.variable == name
        ):
            message = (
                "only a variable that is a whole value of data, records or body can be left out"
            )
            found.append((f"variables.{name}.required", message))
    record = config.data if config.kind != "bulk" else config.records
    key = "records" if config.kind == "bulk" else "data"
    for field, value in (record or {}).items():
        if isinstance(value, dict | list):
            found.append((f"{key}.{field}", "a field takes one value, not a table or a list"))
    lowered = {field.lower() for field in record or {}}
    ext = config.external_id_field
    if config.kind == "upsert" or config.operation == "upsert":
        if ext is None:
            found.append(("external_id_field", "an upsert needs external_id_field"))
        elif ext.lower() not in lowered:
            found.append((key, f"add {ext}: its value says which record to update or create"))
    elif config.kind == "bulk" and ext is not None:
        found.append(("external_id_field", "external_id_field is for operation upsert"))
    if config.operation == "update" and "id" not in lowered:
        found.append(("records", 'add Id = "{{ recordId }}": an update needs each record\'s id'))
    if config.method in ("GET", "DELETE") and config.body is not None:
        found.append(("body", f"a {config.method} request has no body"))
    sample = dict.fromkeys((use.variable for use in action.uses), "x")
    try:
        if action.endpoint is not None:
            check_endpoint(action.endpoint.render(sample))
        check_headers(dict.fromkeys(action.headers, "x"))
    except RequestRefused as exc:
        found.append(("endpoint", exc.reason))
    return found
