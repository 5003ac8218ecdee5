"""The settings one coercion runs with: operation, time zone, date order, key prefixes, "now"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

Operation = Literal["create", "update", "upsert"]
DateOrder = Literal["MDY", "DMY"]


class _Context(NamedTuple):
    """The settings one coercion runs with (a tuple: cheap to build once per record)."""

    tz: ZoneInfo
    date_order: DateOrder
    key_prefixes: Mapping[str, str] | None
    now: datetime | None

    def today(self) -> date:
        now = self.now or datetime.now(self.tz)
        if now.tzinfo is None:
            return now.date()
        return now.astimezone(self.tz).date()


def _context(
    tz: ZoneInfo,
    date_order: DateOrder,
    key_prefixes: Mapping[str, str] | None,
    now: datetime | None,
) -> _Context:
    # A wrong date_order is the caller's bug, not the agent's: a plain ValueError.
    if date_order not in ("MDY", "DMY"):
        raise ValueError(f"date_order must be 'MDY' or 'DMY', not {date_order!r}")
    return _Context(tz, date_order, key_prefixes, now)
