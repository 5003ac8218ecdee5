"""describe_object: an object's fields, compact enough for an agent to read mid-call."""

from __future__ import annotations

from pydantic import BaseModel, Field

from server.salesforce.fields import FieldInfo
from server.toolkit import READ, ConnectionArg, ObjectArg, ToolContext, ToolSpec

#: Picklist values listed per field; the rest are counted.
PICKLIST_SHOWN = 50


class DescribeObjectArgs(BaseModel):
    """Arguments of describe_object."""

    object: ObjectArg
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
    """The object and its fields, in Salesforce's order."""

    name: str = Field(description="The object's API name.")
    label: str
    key_prefix: str | None = Field(description="First three characters of its record ids.")
    createable: bool
    updateable: bool
    fields: list[FieldSummary]


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


async def describe_object(ctx: ToolContext, args: DescribeObjectArgs) -> DescribeObjectResult:
    """The cached describe of the object (one request when not cached)."""
    services = ctx.services
    info = await services.describe.get(services.client, args.object, connection=args.connection)
    return DescribeObjectResult(
        name=info.name,
        label=info.label,
        key_prefix=info.key_prefix,
        createable=info.createable,
        updateable=info.updateable,
        fields=[_summary(field) for field in info.fields],
    )


SPEC = ToolSpec(
    name="describe_object",
    title="Describe Object",
    description=(
        "Describe a Salesforce object: its fields with API name, label, type, whether a create "
        "requires it, whether it can be created or updated, its active picklist values, "
        "whether it can identify records for an upsert (external_id), and what a lookup "
        "points to. Use it before writing to an object you are unsure about, or when another "
        "tool says a field does not exist. Results are cached, so calling it again is cheap."
    ),
    annotations=READ,
    arguments=DescribeObjectArgs,
    result=DescribeObjectResult,
    handler=describe_object,
)
