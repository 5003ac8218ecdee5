"""Configured actions as MCP tools: one tool per action, its arguments exactly its variables.

:func:`build_action_specs` checks an :class:`~server.actions.model.ActionSet` against the org and
makes one :class:`~server.toolkit.ToolSpec` per action, registered like the generic tools
(:func:`register_actions`), so the schema an agent sees is what its arguments are validated
against. How each variable is typed from the Salesforce field it fills, or is compared with in
SOQL, is :mod:`server.actions.variable_types`.

A call renders the templates with the values as data (never as template source), then goes
through the generic tool's own handler (run_query, create_record, update_record, upsert_record,
bulk_write or custom_api_call), so values are coerced exactly as there and the results match; a
search is one parameterized search (:mod:`server.actions.search`).
The call variables a template reads (``{{ call.id }}``) come from the request (the tool
context's :class:`~server.toolkit.call.Call`), never from the arguments: a required one the
request lacks is :class:`~server.toolkit.call.CallVariableMissing` before anything is sent.

:func:`build_action_specs` gives :class:`ActionTools`: the tools and the file's call bindings,
which :func:`server.app.build_server` serves as the process's.

Safety hints: query, search → READ; create and bulk insert → WRITE; update, upsert, bulk
update/upsert → IDEMPOTENT_WRITE; api_call → DESTRUCTIVE, except a GET under
``/services/data/`` (REST API reads; values are percent-encoded, so they cannot leave that
prefix) → READ.

Serving, reloading and exposure (``CALLFORCE_EXPOSE``) are in :mod:`server.actions.serving` and
:func:`server.toolkit.select_tools`.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from server.actions.check import CheckedAction, check_actions
from server.actions.model import Action, ActionConfig, ActionFileError, ActionSet
from server.actions.search import SearchResult, run_search
from server.actions.soql_template import Slot
from server.actions.templating import CALL, OMITTED, render_json
from server.actions.variable_types import argument_fields, arguments_model
from server.errors import InvalidArguments
from server.salesforce import collections
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.toolkit import DESTRUCTIVE, IDEMPOTENT_WRITE, READ, WRITE, ToolContext, ToolSpec
from server.toolkit.call import CallBindings, CallVariableMissing
from server.values import FieldProblem, ValueCoercionError, coerce_value
from tools.bulk_write import BulkWriteArgs, BulkWriteResult, bulk_write
from tools.create_record import CreateRecordArgs, CreateRecordResult, create_record
from tools.custom_api_call import CustomApiCallArgs, CustomApiCallResult, custom_api_call
from tools.run_query import RunQueryArgs, RunQueryResult, run_query
from tools.update_record import UpdateRecordArgs, UpdateRecordResult, update_record
from tools.upsert_record import UpsertRecordArgs, UpsertRecordResult, upsert_record

#: Records one bulk action call takes (one sObject Collections request: all_or_none holds).
MAX_BULK_RECORDS = collections.MAX_RECORDS
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# -- calls -------------------------------------------------------------------------------------


def _call_values(ctx: ToolContext, action: Action) -> dict[str, Any]:
    """The call variables the action reads, as ``call.<name>`` → value, from the request.

    CallVariableMissing (nothing is sent) when a required one is absent; an absent optional one
    is OMITTED, as an optional argument left out.
    """
    values: dict[str, Any] = {}
    for name in action.call_variables:
        value = ctx.call.get(name)
        if value is None:
            variable = ctx.call.variable(name)
            if variable.required:
                raise CallVariableMissing(variable)
            value = OMITTED
        values[f"{CALL}.{name}"] = value
    return values


def _values(
    checked: CheckedAction, args: BaseModel, calls: dict[str, Any] | None = None
) -> dict[str, Any]:
    values = dict(calls or {})
    for name in checked.action.variables:
        value = getattr(args, name)
        setting = checked.action.setting(name)
        if value is None and setting.default is not None:
            value = setting.default
        elif value is None and setting.required is False:
            value = OMITTED
        values[name] = value
    return values


def _soql_typer(ctx: ToolContext, checked: CheckedAction) -> Callable[[Slot, Any], Any]:
    """Coerce a value for its SOQL slot as the generic tools coerce a field's value."""
    fields = {
        use.slot: field for use, field in zip(checked.action.uses, checked.fields, strict=True)
    }
    settings = ctx.services.settings
    tz, order = ZoneInfo(settings.time_zone), settings.date_order

    def refuse(slot: Slot, what: str) -> ValueCoercionError:
        return ValueCoercionError([FieldProblem(slot.variable, f"{slot.variable}: {what}")])

    def typed(slot: Slot, value: Any) -> Any:
        field = fields.get(slot)
        if field is None or slot.operator in ("LIMIT", "OFFSET"):
            return value
        if slot.operator == "LIKE":
            if slot.digits is not None and field.type == "phone":
                value = str(coerce_value(field, value, tz=tz, date_order=order) or "")
                return value.split(" ext.")[0]  # the extension is not part of the stored number
            if not isinstance(value, str) or _CONTROL.search(value):
                raise refuse(slot, "give text without control characters")
            return value.strip()
        coerced = coerce_value(field, value, tz=tz, date_order=order)
        if coerced is None:  # "" would match every record whose field is empty
            raise refuse(slot, "is empty; give a value")
        return coerced

    return typed


def _handler(
    checked: CheckedAction, connection: str | None
) -> Callable[[ToolContext, Any], Awaitable[BaseModel]]:
    action = checked.action
    config = action.config

    async def handle(ctx: ToolContext, args: Any) -> BaseModel:
        calls = _call_values(ctx, action)
        if config.kind == "bulk":
            records = [
                render_json(action.template, _values(checked, item, calls)) for item in args.records
            ]
            return await bulk_write(
                ctx,
                BulkWriteArgs(
                    object=config.object or "",
                    operation=config.operation or "insert",
                    records=records,
                    external_id_field=config.external_id_field,
                    all_or_none=config.all_or_none,
                    connection=connection,
                ),
            )
        values = _values(checked, args, calls)
        if config.kind == "search":
            return await run_search(ctx, action, values, connection)
        if config.kind == "query" and action.soql is not None:
            soql = action.soql.render(values, _soql_typer(ctx, checked))
            args = RunQueryArgs(soql=soql, max_records=config.record_limit, connection=connection)
            return await run_query(ctx, args)
        if config.kind == "api_call":
            return await custom_api_call(
                ctx,
                CustomApiCallArgs(
                    method=config.method or "GET",
                    endpoint=action.endpoint.render(values) if action.endpoint else "",
                    headers={k: str(t.render(values)) for k, t in action.headers.items()} or None,
                    body=render_json(action.template, values),
                    connection=connection,
                ),
            )
        data = render_json(action.template, values)
        if not data:
            names = ", ".join(action.variables)
            raise InvalidArguments(
                f"Nothing to write: give at least one of {names}. Nothing was sent."
            )
        common = {"object": config.object or "", "data": data, "connection": connection}
        if config.kind == "update" and action.id is not None:
            record_id = str(action.id.render(values))
            return await update_record(ctx, UpdateRecordArgs(id=record_id, **common))
        if config.kind == "upsert":
            ext = config.external_id_field or ""
            return await upsert_record(ctx, UpsertRecordArgs(external_id_field=ext, **common))
        return await create_record(ctx, CreateRecordArgs(**common))

    return handle


_WRITE_NOTE = (
    " Values are converted to each field's type first; if one cannot be, nothing is written and "
    "the error names it: ask the caller and call again."
)


def _note(config: ActionConfig) -> str:
    """What the agent is told besides the operator's description."""
    if config.kind in ("query", "search"):
        return f" Returns at most {config.record_limit} records."
    if config.kind == "bulk" and config.all_or_none:
        return " If any record fails, none is saved; the result says which failed and why."
    if config.kind == "bulk":
        return " Each record is saved or fails on its own: check the failed count."
    return "" if config.kind == "api_call" else _WRITE_NOTE


_RESULTS: dict[str, type[BaseModel]] = {
    "query": RunQueryResult,
    "create": CreateRecordResult,
    "update": UpdateRecordResult,
    "upsert": UpsertRecordResult,
    "bulk": BulkWriteResult,
    "api_call": CustomApiCallResult,
    "search": SearchResult,
}


def _annotations(checked: CheckedAction) -> ToolAnnotations:
    config = checked.action.config
    if config.kind in ("query", "search"):
        return READ
    if config.kind == "api_call":
        reads = config.method == "GET" and (config.endpoint or "").startswith("/services/data/")
        return READ if reads else DESTRUCTIVE
    if config.kind == "create" or config.operation == "insert":
        return WRITE
    return IDEMPOTENT_WRITE


def _title(name: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").split()
    return " ".join(words).capitalize()


def action_spec(
    checked: CheckedAction, connection: str | None = None, origin: str | None = None
) -> ToolSpec[Any, Any]:
    """The tool of one checked action; ``origin`` is its file's digest."""
    config = checked.action.config
    fields = argument_fields(checked)
    if config.kind == "bulk":
        item = arguments_model(f"{config.name}_record", fields)
        records = Field(
            description=f"The {config.object} records, each an object of the values below.",
            min_length=1,
            max_length=MAX_BULK_RECORDS,
        )
        fields = {"records": (Annotated[list[item], records], ...)}  # type: ignore[valid-type]
    return ToolSpec(
        name=config.name,
        title=config.title or _title(config.name),
        description=config.summary + _note(config),
        annotations=_annotations(checked),
        arguments=arguments_model(f"{config.name}_arguments", fields),
        result=_RESULTS[config.kind],
        handler=_handler(checked, connection),
        origin=origin,
        budget="bulk" if config.kind == "bulk" else "call",
    )


class ActionTools(list[ToolSpec[Any, Any]]):
    """The tools of one action file, and the call variables they read (its ``[call]`` table
    over those there are without one): :func:`server.app.build_server` serves these bindings,
    so the action tools and the generic ones read the same headers."""

    def __init__(self, specs: Iterable[ToolSpec[Any, Any]], call_bindings: CallBindings) -> None:
        super().__init__(specs)
        self.call_bindings = call_bindings


async def build_action_specs(
    action_set: ActionSet,
    client: SalesforceClient,
    describe: DescribeCache,
    connection: str | None = None,
) -> ActionTools:
    """One ToolSpec per action; ActionFileError when the org check finds problems."""
    report = await check_actions(action_set, client, describe, connection)
    if not report.ok:
        raise ActionFileError(list(report.problems))
    conn = connection or action_set.connection
    specs = (action_spec(checked, conn, action_set.digest) for checked in report.actions)
    return ActionTools(specs, action_set.call)
