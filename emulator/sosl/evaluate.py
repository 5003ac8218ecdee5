"""Running a :class:`~emulator.sosl.compiler.Search` over an :class:`~emulator.store.OrgStore`.

Each object's records are those its search expression matches and its WHERE accepts, ordered
(by ORDER BY, else in creation order: the emulator ranks no relevance), then OFFSET and the
object's LIMIT. The overall LIMIT is then shared out as Salesforce describes ("the limit is
distributed evenly among the objects returned"): every object in turn gets one more record
until the limit is reached or the objects have no more; records come grouped by object, in
RETURNING order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from emulator.soql.context import Env, Row
from emulator.soql.evaluate import execute as execute_query
from emulator.soql.filters import Predicate, PredicateFactory
from emulator.sosl.compiler import Search, SearchedObject
from emulator.sosl.matching import bind
from emulator.sosl.terms import Expr
from emulator.store import OrgStore


def share_out(counts: list[int], limit: int) -> list[int]:
    """How many records of each object an overall ``limit`` keeps, round-robin."""
    shares = [0] * len(counts)
    remaining = limit
    while remaining > 0:
        progressed = False
        for index, count in enumerate(counts):
            if remaining and shares[index] < count:
                shares[index] += 1
                remaining -= 1
                progressed = True
        if not progressed:
            break
    return shares


def _filter(expression: Expr, target: SearchedObject) -> PredicateFactory:
    matches = bind(expression, target.query.sobject, target.fields)
    where = target.query.where

    def factory(env: Env) -> Predicate:
        if where is None:
            return matches
        accept = where(env)
        return lambda row: matches(row) and accept(row)

    return factory


def execute(
    search: Search, store: OrgStore, *, api_version: str, now: dt.datetime, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """The records ``search`` finds, shaped as its RETURNING clause says."""
    found: list[list[Row]] = []
    for target in search.objects:
        query = replace(target.query, where=_filter(search.expression, target))
        result = execute_query(
            query, store, include_deleted=False, api_version=api_version, now=now, tz=tz
        )
        found.append(result.records)
    shares = share_out([len(records) for records in found], search.limit)
    return [record for records, n in zip(found, shares, strict=True) for record in records[:n]]
