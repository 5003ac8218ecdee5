"""What one execution of a query sees: the store, the clock, and a memo of parent lookups.

Compiled parts of a query are *bound* to an :class:`Env` once per execution, which yields plain
per-row closures with constants (date ranges, the store) already in place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from emulator.ids import to18
from emulator.store import OrgStore

Row = dict[str, Any]


@dataclass(slots=True)
class Env:
    """One execution: the org's records, queryAll or not, the API version and "now" in ``tz``."""

    store: OrgStore
    include_deleted: bool
    api_version: str
    now: dt.datetime
    tz: ZoneInfo
    _parents: dict[tuple[str | None, str], tuple[str, Row] | None] = field(default_factory=dict)

    @property
    def today(self) -> dt.date:
        """The current day in the user's time zone."""
        return self.now.astimezone(self.tz).date()

    def parent(self, target: str | None, record_id: Any) -> tuple[str, Row] | None:
        """The object name and record that ``record_id`` points to (any object when ``target``
        is None, for polymorphic lookups), or None."""
        if not record_id or not isinstance(record_id, str):
            return None
        key = (target, record_id)
        if key in self._parents:
            return self._parents[key]
        found: tuple[str, Row] | None
        if target is None:
            found = self.store.find(record_id, include_deleted=self.include_deleted)
        else:
            record = self.store.get(target, record_id, include_deleted=self.include_deleted)
            found = (target, record) if record is not None else None
        self._parents[key] = found
        return found

    def url_prefix(self, sobject: str) -> str:
        """The ``attributes.url`` of a record of ``sobject`` without the id."""
        return f"/services/data/v{self.api_version}/sobjects/{sobject}/"


def id18(record_id: str) -> str:
    """The 18-character form of a stored id (stored ids normally are already)."""
    return record_id if len(record_id) == 18 else to18(record_id)
