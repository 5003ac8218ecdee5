"""Running a :class:`~emulator.soql.compiler.Query` over an :class:`~emulator.store.OrgStore`.

Order of work, as in Salesforce: WHERE, then grouping (aggregate queries), ORDER BY, OFFSET,
LIMIT, and finally shaping the surviving rows (so parent lookups and subqueries run only for
rows that are returned). Without ORDER BY rows come in creation order.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from emulator.soql.compiler import Query
from emulator.soql.context import Env, Row
from emulator.store import OrgStore


@dataclass(frozen=True, slots=True)
class QueryResult:
    """All rows of a query (the HTTP layer pages them) and Salesforce's ``totalSize``."""

    total_size: int
    records: list[dict[str, Any]]


def _window(rows: list[Any], offset: int, limit: int | None) -> list[Any]:
    if offset:
        rows = rows[offset:]
    if limit is not None:
        rows = rows[:limit]
    return rows


def execute(
    query: Query,
    store: OrgStore,
    *,
    include_deleted: bool,
    api_version: str,
    now: dt.datetime,
    tz: ZoneInfo,
) -> QueryResult:
    """Run ``query``; ``include_deleted`` is queryAll (rows with IsDeleted true are included)."""
    env = Env(store, include_deleted, api_version, now, tz)
    source: Iterable[Row] = store.records(query.sobject, include_deleted=include_deleted)
    if query.where is not None:
        source = filter(query.where(env), source)
    if query.limit is not None and query.order is None and query.aggregate is None:
        # Rows come in creation order: stop reading once OFFSET + LIMIT rows have matched.
        source = itertools.islice(source, query.offset + query.limit)
    rows = list(source)
    if query.form == "count":
        return QueryResult(len(_window(rows, query.offset, query.limit)), [])
    if query.aggregate is not None:
        grouped = _window(query.aggregate.rows(rows, env), query.offset, query.limit)
        return QueryResult(len(grouped), grouped)
    if query.order is not None:
        rows = query.order.bind(env)(rows)
    rows = _window(rows, query.offset, query.limit)
    assert query.projection is not None  # every record query has one
    shape = query.projection.bind(env)
    records = [shape(row) for row in rows]
    return QueryResult(len(records), records)
