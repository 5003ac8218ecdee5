"""describe_object: what an agent needs to fill a record, compact enough to read mid-call.

By default the answer is the fields that can be written, one short line each (API name, type,
required on create, length of text, picklist values up to :data:`PICKLIST_BRIEF`, what a lookup
points to) and the read-only fields by name; ``fields`` names fields to describe in full
(label, permissions, every active picklist value up to :data:`PICKLIST_SHOWN`), read-only ones
included. The default answer is made once per cached describe (:class:`server.toolkit.Derived`):
a warm call renders nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Annotated

from pydantic import BaseModel, Field

from server.errors import InvalidArguments
from server.salesforce.fields import FieldInfo, ObjectInfo
from server.toolkit import READ, Answer, ConnectionArg, ObjectArg, ToolContext, ToolSpec

#: Picklist values in the structured result, and in the text of a field asked for by name.
PICKLIST_SHOWN = 50
#: Picklist values in the default answer's text; the rest are counted.
PICKLIST_BRIEF = 10
#: Objects a lookup's line names; the rest are counted.
TARGETS_SHOWN = 3
#: Fields one call may name.
MAX_FIELDS = 50
#: Types whose length an agent needs (a value longer than it is refused).
_TEXT_TYPES = frozenset({"string", "textarea", "encryptedstring"})
_NUMBER_TYPES = frozenset({"double", "currency", "percent"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")

FieldName = Annotated[str, Field(min_length=1, max_length=80)]


class DescribeObjectArgs(BaseModel):
    """Arguments of describe_object."""

    object: ObjectArg
    fields: Annotated[
        Annotated[list[FieldName], Field(min_length=1, max_length=MAX_FIELDS)] | None,
        Field(description="Fields to describe in full; null: all writable ones, briefly."),
    ] = None
    connection: ConnectionArg = None


class FieldSummary(BaseModel):
    """One field, as an agent needs it to read or write records."""

    name: str = Field(description="API name, used in SOQL and in data.")
    label: str = Field(description="The label users see.")
    type: str = Field(description="Salesforce type: string, email, phone, date, picklist, …")
    required: bool = Field(description="A create must set it.")
    createable: bool
    updateable: bool
    external_id: bool = Field(
        description="Identifies records for upsert_record's external_id_field (External ID or "
        "lookup fields such as Email, and Id)."
    )
    length: int = Field(description="Maximum length of text fields (0 when not text).")
    picklist_values: list[str] = Field(description=f"Active values (the first {PICKLIST_SHOWN}).")
    more_picklist_values: int = Field(description="How many active values were left out.")
    reference_to: list[str] = Field(description="Objects a reference (lookup) field points to.")


class DescribeObjectResult(BaseModel):
    """The object and the fields described, in Salesforce's order."""

    name: str = Field(description="The object's API name.")
    label: str
    key_prefix: str | None = Field(description="First three characters of its record ids.")
    createable: bool
    updateable: bool
    fields: list[FieldSummary] = Field(
        description="The fields that can be written, or the fields asked for by name."
    )
    read_only_fields: list[str] = Field(
        description="API names of the fields that cannot be written (when no fields were named)."
    )


def _summary(field: FieldInfo) -> FieldSummary:
    values = field.picklist_values
    return FieldSummary(
        name=field.name,
        label=field.label,
        type=field.type,
        required=field.required_on_create,
        createable=field.createable,
        updateable=field.updateable,
        external_id=field.external_id or field.id_lookup,
        length=field.length,
        picklist_values=list(values[:PICKLIST_SHOWN]),
        more_picklist_values=max(0, len(values) - PICKLIST_SHOWN),
        reference_to=list(field.reference_to),
    )


def _writable(field: FieldInfo) -> bool:
    return field.createable or field.updateable


def _squash(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower().removesuffix("__c"))


def _label_says_more(field: FieldInfo) -> bool:
    """Whether the label tells what the API name does not ("SIC Code" for Sic does not)."""
    name, label = _squash(field.name), _squash(field.label)
    bare = name.removesuffix("id")
    return not (label in name or name in label or (bare and bare in label))


def _listed(items: Sequence[str], shown: int, separator: str = "|") -> str:
    rest = len(items) - shown
    return separator.join(items[:shown]) + (f"{separator}+{rest} more" if rest > 0 else "")


def _kind(field: FieldInfo, *, picklist_shown: int) -> str:
    """The field's type, as much of it as a value needs: length, values, targets."""
    if field.type in _TEXT_TYPES and field.length:
        return f"{field.type}({field.length})"
    if field.type in _NUMBER_TYPES and field.precision:
        return f"{field.type}({field.precision},{field.scale})"
    if field.type in ("picklist", "multipicklist") and field.picklist_values:
        return f"{field.type} {_listed(field.picklist_values, picklist_shown)}"
    if field.type == "reference" and field.reference_to:
        return f"id of {_listed(field.reference_to, TARGETS_SHOWN)}"
    return field.type


def _brief_line(field: FieldInfo) -> str:
    """``Name*: string(255)``: * when a create must set it."""
    head = field.name + ("*" if field.required_on_create else "")
    if _label_says_more(field):
        head += f" ({field.label})"
    notes = [_kind(field, picklist_shown=PICKLIST_BRIEF)]
    if not field.updateable:
        notes.append("create only")
    elif not field.createable:
        notes.append("update only")
    if field.external_id:
        notes.append("external id")
    return f"{head}: {', '.join(notes)}"


def _full_line(field: FieldInfo) -> str:
    """Everything about one field an agent may need."""
    can = {
        (True, True): "create and update",
        (True, False): "create only",
        (False, True): "update only",
        (False, False): "read-only",
    }[(field.createable, field.updateable)]
    notes = [_kind(field, picklist_shown=PICKLIST_SHOWN), f'label "{field.label}"']
    if field.createable:
        notes.append("required on create" if field.required_on_create else "optional")
    notes.append(can)
    if field.external_id:
        notes.append("external id")
    elif field.id_lookup:
        notes.append("identifies records for upsert")
    if field.unique:
        notes.append("unique")
    return f"{field.name}: {'; '.join(notes)}"


def _heading(info: ObjectInfo) -> str:
    said = info.name + (f' "{info.label}"' if info.label != info.name else "")
    if info.key_prefix:
        said += f", ids start {info.key_prefix}"
    if not info.createable:
        said += "; records cannot be created"
    if not info.updateable:
        said += "; records cannot be updated"
    return said + "."


def _result(
    info: ObjectInfo, fields: Iterable[FieldInfo], read_only: list[str]
) -> DescribeObjectResult:
    return DescribeObjectResult(
        name=info.name,
        label=info.label,
        key_prefix=info.key_prefix,
        createable=info.createable,
        updateable=info.updateable,
        fields=[_summary(field) for field in fields],
        read_only_fields=read_only,
    )


def brief_answer(info: ObjectInfo) -> Answer:
    """The default answer: every writable field in a line, the read-only ones by name."""
    writable = [field for field in info.fields if _writable(field)]
    read_only = [field.name for field in info.fields if not _writable(field)]
    lines = [f"{_heading(info)} Fields you can write (* required on create):"]
    lines += [_brief_line(field) for field in writable]
    if read_only:
        lines.append(f"Read-only: {', '.join(read_only)}")
    structured = _result(info, writable, read_only).model_dump(mode="json")
    return Answer(structured, "\n".join(lines))


def full_answer(info: ObjectInfo, names: Sequence[str]) -> Answer:
    """The fields ``names`` (any case), in full; InvalidArguments for a name it does not have."""
    found: dict[str, FieldInfo] = {}
    unknown = []
    for name in names:
        field = info.field(name.strip())
        if field is None:
            close = info.suggest(name)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            unknown.append(f"'{name}'{hint}")
        else:
            found.setdefault(field.name, field)
    if unknown:
        raise InvalidArguments(
            f"{info.name} has no field {', '.join(unknown)}; call describe_object without "
            "fields to list them."
        )
    lines = [_heading(info), *(_full_line(field) for field in found.values())]
    structured = _result(info, found.values(), []).model_dump(mode="json")
    return Answer(structured, "\n".join(lines))


async def describe_object(ctx: ToolContext, args: DescribeObjectArgs) -> Answer:
    """The cached describe of the object (one request when not cached), said briefly or in full."""
    services = ctx.services
    info = await services.describe.get(services.client, args.object, connection=args.connection)
    if args.fields:
        return full_answer(info, args.fields)
    key = ("describe_object", (args.connection or "").lower(), info.name)
    return services.derived.get(key, info, lambda: brief_answer(info))


SPEC = ToolSpec(
    name="describe_object",
    title="Describe Object",
    description=(
        "A Salesforce object's writable fields (type, * if required, length, picklist values, "
        "id targets), then read-only ones by name. Name fields to get them in full. Cached."
    ),
    annotations=READ,
    arguments=DescribeObjectArgs,
    result=DescribeObjectResult,
    handler=describe_object,
)
