"""A checked syntax tree → :class:`Query`, the plan :func:`emulator.soql.execute` runs.

Three forms, as in Salesforce: a record query; ``SELECT COUNT() FROM …`` (no rows, the count in
``totalSize``; ``COUNT()`` must be the only item); an aggregate query (any aggregate function or
a GROUP BY). OFFSET above 2000 is NUMBER_OUTSIDE_VALID_RANGE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from emulator.schema import Schema
from emulator.soql.aggregates import AggregatePlan
from emulator.soql.errors import (
    INVALID_TYPE,
    MALFORMED_QUERY,
    NUMBER_OUTSIDE_VALID_RANGE,
    LocatedError,
    unsupported_sobject,
)
from emulator.soql.filters import PredicateFactory, compile_condition
from emulator.soql.ordering import OrderPlan
from emulator.soql.projection import Projection
from emulator.soql.syntax import AggregateItem, Select

MAX_OFFSET = 2000


@dataclass(frozen=True, eq=False, slots=True)
class Query:
    """A parsed and checked SOQL query, ready to run any number of times."""

    text: str
    sobject: str
    form: Literal["records", "count", "aggregate"]
    where: PredicateFactory | None
    projection: Projection | None
    order: OrderPlan | None
    aggregate: AggregatePlan | None
    limit: int | None
    offset: int


def compile_select(text: str, select: Select, schema: Schema) -> Query:
    """Check ``select`` against ``schema`` and plan it; :class:`LocatedError` when refused."""
    obj = schema.get_object(select.sobject)
    if obj is None:
        raise LocatedError(select.sobject_pos, INVALID_TYPE, unsupported_sobject(select.sobject))
    if select.offset is not None and select.offset > MAX_OFFSET and select.offset_pos:
        raise LocatedError(
            select.offset_pos,
            NUMBER_OUTSIDE_VALID_RANGE,
            f"Maximum SOQL offset allowed is {MAX_OFFSET}",
        )
    where = compile_condition(select.where, schema, obj) if select.where else None
    calls = [item for item in select.items if isinstance(item, AggregateItem)]
    count_only = [item for item in calls if item.call.name == "COUNT" and item.call.arg is None]
    form: Literal["records", "count", "aggregate"] = "records"
    projection, order, aggregate = None, None, None
    if count_only:
        item = count_only[0]
        if len(select.items) > 1 or select.group_by or select.order_by or item.alias:
            raise LocatedError(
                item.call.pos,
                MALFORMED_QUERY,
                "COUNT() must be the only element in the SELECT list",
            )
        form = "count"
    elif calls or select.group_by:
        form, aggregate = "aggregate", AggregatePlan.compile(select, schema, obj)
    else:
        projection = Projection.compile(select, schema, obj)
        order = OrderPlan.compile(select.order_by, schema, obj) if select.order_by else None
    return Query(
        text=text,
        sobject=obj.name,
        form=form,
        where=where,
        projection=projection,
        order=order,
        aggregate=aggregate,
        limit=select.limit,
        offset=select.offset or 0,
    )
