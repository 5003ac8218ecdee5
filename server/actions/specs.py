"""Configured actions as MCP tools: one tool per action, its arguments exactly its variables.

:func:`build_action_specs` checks an :class:`~server.actions.model.ActionSet` against the org and
makes one :class:`~server.toolkit.ToolSpec` per action, registered like the generic tools
(:func:`register_actions`), so the schema an agent sees is what its arguments are validated
against. Each variable is typed from the Salesforce field it fills, or is compared with in
SOQL: email, date, datetime (formats), numbers with the field's bounds, boolean, picklist (an
enum of its active values; a value is matched as the generic tools match it: any case, or its
label), reference (an id pattern), text (max length, enforced but not advertised: see
:func:`~server.toolkit.agent_text.portable_schema`). A ``type`` in the file wins. A
variable's example, or a combobox's usual values, and its default are said in its description
(the ``examples`` and ``default`` keywords are not portable); null stands for the default, or
for "leave it out".

A call renders the templates with the values as data (never as template source), then goes
through the generic tool's own handler (run_query, create_record, update_record, upsert_record,
bulk_write or custom_api_call), so values are coerced exactly as there and the results match.

Safety hints: query → READ; create and bulk insert → WRITE; update, upsert, bulk update/upsert →
IDEMPOTENT_WRITE; api_call → DESTRUCTIVE, except a GET under ``/services/data/`` (REST API
reads; values are percent-encoded, so they cannot leave that prefix) → READ.

Serving, reloading and exposure (``CALLFORCE_EXPOSE``) are in :mod:`server.actions.serving` and
:func:`server.toolkit.select_tools`.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from mcp.types import ToolAnnotations
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from server.actions.check import CheckedAction, check_actions, typing_use
from server.actions.model import ActionConfig, ActionFileError, ActionSet, Use
from server.actions.soql_template import Slot
from server.actions.templating import MAX_VALUE_CHARS, OMITTED, render_json
from server.errors import InvalidArguments
from server.salesforce import collections
from server.salesforce.client import SalesforceClient
from server.salesforce.describe_cache import DescribeCache
from server.salesforce.fields import FieldInfo
from server.toolkit import (
    DESTRUCTIVE,
    IDEMPOTENT_WRITE,
    READ,
    WRITE,
    ToolContext,
    ToolSpec,
    with_default,
)
from server.toolkit.agent_text import said_with
from server.values import FieldProblem, ValueCoercionError, coerce_value
from tools.bulk_write import BulkWriteArgs, BulkWriteResult, bulk_write
from tools.create_record import CreateRecordArgs, CreateRecordResult, create_record
from tools.custom_api_call import CustomApiCallArgs, CustomApiCallResult, custom_api_call
from tools.run_query import RunQueryArgs, RunQueryResult, run_query
from tools.update_record import UpdateRecordArgs, UpdateRecordResult, update_record
from tools.upsert_record import UpsertRecordArgs, UpsertRecordResult, upsert_record

ID_PATTERN = r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$"
#: Records one bulk action call takes (one sObject Collections request: all_or_none holds).
MAX_BULK_RECORDS = collections.MAX_RECORDS
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EXPLICIT: dict[str, tuple[Any, dict[str, Any]]] = {
    "string": (str, {"max_length": MAX_VALUE_CHARS}),
    "integer": (int, {}),
    "number": (float, {}),
    "boolean": (bool, {}),
    "date": (str, {"max_length": 64, "json_schema_extra": {"format": "date"}}),
    "datetime": (str, {"max_length": 64, "json_schema_extra": {"format": "date-time"}}),
    "email": (str, {"max_length": 254, "json_schema_extra": {"format": "email"}}),
    "id": (str, {"pattern": ID_PATTERN}),
}


# -- argument types ----------------------------------------------------------------------------


def _enum(values: Sequence[str]) -> Any:
    # Literal[...] of run-time values; mypy cannot check a computed type.
    return operator.getitem(Literal, tuple(values))


def _picklist(field: FieldInfo) -> Any:
    """An enum of the field's active values that also takes a value's label, in any case and
    with extra spaces, as the generic tools do (:mod:`server.values.picklists`): "warm" is
    Warm, a label its API value. The schema still lists the values."""

    def named(value: Any) -> Any:
        return (field.picklist_value(value) or value) if isinstance(value, str) else value

    return Annotated[_enum(field.picklist_values), BeforeValidator(named)]


def _split_values(value: Any) -> Any:
    """A multipicklist's values given as one text, "a;b", as a list (what create_record takes)."""
    if isinstance(value, str):
        return [item for item in value.split(";") if item.strip()]
    return value


def _field_type(field: FieldInfo) -> tuple[Any, dict[str, Any]]:
    """The annotation and Field settings of a value that fills ``field``."""
    kind, text = field.type, {"max_length": field.length or MAX_VALUE_CHARS}
    if kind in ("int", "long"):
        bound = 10 ** (field.digits or (9 if kind == "int" else 18)) - 1
        low, high = (
            (max(-bound, -(2**31)), min(bound, 2**31 - 1)) if kind == "int" else (-bound, bound)
        )
        return int, {"ge": low, "le": high}
    if kind in ("double", "currency", "percent"):
        # Inclusive bounds: Gemini's schema has no exclusive ones; a value of exactly the bound
        # is refused by the value coercion, which says the field's digits.
        bound = 10 ** (field.precision - field.scale) if field.precision else None
        return float, {"ge": -bound, "le": bound} if bound else {}
    if kind == "boolean":
        return bool, {}
    if kind in ("picklist", "multipicklist") and field.picklist_values:
        enum = _picklist(field)
        if kind == "multipicklist":
            return Annotated[list[enum], BeforeValidator(_split_values)], {"min_length": 1}  # type: ignore[valid-type]
        return enum, {}
    formats = {"email": "email", "date": "date", "datetime": "date-time", "time": "time"}
    if kind in formats:
        limit = field.length if kind == "email" and field.length else 64
        return str, {"max_length": limit, "json_schema_extra": {"format": formats[kind]}}
    if kind in ("reference", "id"):
        return str, {"pattern": ID_PATTERN}
    if kind == "combobox":
        return str, {**text, "suggested": list(field.picklist_values[:5]) or None}
    return str, text


def _derived(
    use: Use, field: FieldInfo | None, within: FieldInfo | None, sobject: str | None
) -> tuple[Any, dict[str, Any], str]:
    """Type, Field settings and description of a variable from the use that types it.

    ``field`` types the value (the variable is the field's whole value); ``within`` is the field
    the use touches at all (a LIKE pattern, text mixed into a field), for its label and length.
    """
    slot: Slot | None = use.slot
    if slot is not None and slot.operator in ("LIMIT", "OFFSET"):
        bounds = {"ge": 1, "le": 200} if slot.operator == "LIMIT" else {"ge": 0, "le": 2000}
        said = "Most records to return." if slot.operator == "LIMIT" else "Records to skip."
        return int, bounds, said
    if slot is not None and slot.digits is not None:
        said = f"The phone number as heard, in any format, with at least {slot.digits} digits."
        return str, {"min_length": 1, "max_length": 64}, said
    if within is None:
        limit = 1000 if use.where.startswith(("headers", "endpoint")) else MAX_VALUE_CHARS
        return str, {"max_length": limit}, f"Text for {use.where}."
    where = f"{within.label} ({sobject}.{within.name})"
    if field is None:
        text = {"max_length": within.length or MAX_VALUE_CHARS}
        if slot is not None:  # a LIKE pattern
            return str, {"min_length": 1, **text}, f"Text to look for in {where}."
        return str, text, f"Text used in {where}."
    annotation, settings = _field_type(field)
    said = f"The {where} to look for." if slot is not None else f"{where}."
    if field.type == "id" and use.where == "id":
        said = f"The id of the {sobject} record, from a query result."
    elif field.type == "reference":
        said += f" The id of a {' or '.join(field.reference_to[:3])} record, from a query result."
    elif field.type == "date":
        said += " A date, e.g. 2026-03-05."
    elif field.type == "datetime":
        said += " A date and time, e.g. 2026-03-05T14:30:00Z."
    return annotation, settings, said


def _arguments(checked: CheckedAction) -> dict[str, Any]:
    """``name → (annotation, FieldInfo)`` for create_model, one per variable."""
    action = checked.action
    sobject = action.soql.sobject if action.soql is not None else action.config.object
    out: dict[str, Any] = {}
    for name in action.variables:
        setting = action.setting(name)
        use, field = typing_use(checked, name)
        within = checked.fields[action.uses.index(use)]
        annotation, settings, said = _derived(use, field, within, sobject)
        if setting.type is not None:
            annotation, settings = _EXPLICIT[setting.type]
        settings = {k: v for k, v in settings.items() if v is not None}
        suggested = settings.pop("suggested", None)
        description = _described(setting.description or said, setting.example, suggested)
        typed: Any = Annotated[annotation, Field(**settings)]
        default: Any = ...
        if setting.default is not None:
            # Null stands for the default: strict-mode clients must send every argument.
            typed, default = typed | None, setting.default
            description = with_default(description, setting.default)
        elif setting.required is False:
            typed, default = typed | None, None
        out[name] = (typed, Field(default, description=description))
    return out


def _described(description: str, example: Any, suggested: Sequence[str] | None) -> str:
    """The variable's description with its example (or a combobox's usual values) in it: the
    ``examples`` keyword is not one every LLM converter accepts."""
    if example is not None:
        said = json.dumps(example, ensure_ascii=False)
        if str(example) not in description and said not in description:
            return said_with(description, f"E.g. {said}.")
        return description
    if suggested:
        return said_with(description, f"Usual values: {', '.join(suggested)}.")
    return description


def _model(name: str, fields: dict[str, Any]) -> type[BaseModel]:
    config = ConfigDict(extra="forbid")
    model: type[BaseModel] = create_model(name, __config__=config, **fields)
    return model


# -- calls -------------------------------------------------------------------------------------


def _values(checked: CheckedAction, args: BaseModel) -> dict[str, Any]:
    values = {}
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
        if config.kind == "bulk":
            records = [
                render_json(action.template, _values(checked, item)) for item in args.records
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
        values = _values(checked, args)
        if config.kind == "query" and action.soql is not None:
            soql = action.soql.render(values, _soql_typer(ctx, checked))
            args = RunQueryArgs(soql=soql, max_records=config.max_records, connection=connection)
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
    if config.kind == "query":
        return f" Returns at most {config.max_records} records."
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
}


def _annotations(checked: CheckedAction) -> ToolAnnotations:
    config = checked.action.config
    if config.kind == "query":
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
    fields = _arguments(checked)
    if config.kind == "bulk":
        item = _model(f"{config.name}_record", fields)
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
        arguments=_model(f"{config.name}_arguments", fields),
        result=_RESULTS[config.kind],
        handler=_handler(checked, connection),
        origin=origin,
        budget="bulk" if config.kind == "bulk" else "call",
    )


async def build_action_specs(
    action_set: ActionSet,
    client: SalesforceClient,
    describe: DescribeCache,
    connection: str | None = None,
) -> list[ToolSpec[Any, Any]]:
    """One ToolSpec per action; ActionFileError when the org check finds problems."""
    report = await check_actions(action_set, client, describe, connection)
    if not report.ok:
        raise ActionFileError(list(report.problems))
    conn = connection or action_set.connection
    return [action_spec(checked, conn, action_set.digest) for checked in report.actions]
