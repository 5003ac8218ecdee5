"""The activity record read back call by call: what the activity pages and ``callforce activity``
show.

Tool calls are grouped by their call id into a :class:`CallSummary` each — when the call
started, how many tool calls it made and how many failed, the Salesforce requests and time they
spent, the connections and tools they used. A tool call made without a call id is a summary of
its own (``call_id`` None: "no call id"). :func:`recent_calls` lists the calls of a time window,
newest first, keeping those with at least one tool call that matches the :class:`Filters` (and
each whole: its numbers are the call's, not the matching tool calls'). :func:`timeline` lays one
call's tool calls on a time axis — offsets and widths as percentages of the call's span, so a
page can draw it with CSS alone. :func:`parse_window` reads the ``30s``, ``15m``, ``1h``, ``2d``
both take.

Nothing here adds to what the record holds: no caller data comes in, none goes out.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from server.activity.record import ActivityLog, ActivityQuery, Outcome, ToolCallRecord

#: How a tool call is drawn: it failed, it wrote (or read), or it returned an earlier result.
Kind = Literal["ok", "error", "replayed"]
#: At most this many tool calls are read for one list or one call (the newest).
RECORD_LIMIT = 5000
#: At most this many calls are listed.
CALL_LIMIT = 200
#: A bar is at least this wide (percent of the axis), so a 0.2 ms call is still seen.
MIN_BAR_PERCENT = 0.8
#: The default window of a list: the last day.
DEFAULT_WINDOW = "24h"
_WINDOW = re.compile(r"\s*(\d{1,6})\s*([smhd])\s*", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_WINDOW_SECONDS = 3650 * 86400


def parse_window(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``1h`` or ``2d``; ValueError saying the form otherwise."""
    found = _WINDOW.fullmatch(text)
    if found is None or int(found.group(1)) == 0:
        raise ValueError(
            f"{text[:40]!r} is not a time window: write a whole number and s, m, h or d "
            "(30s, 15m, 1h, 2d)"
        )
    seconds = int(found.group(1)) * _UNIT_SECONDS[found.group(2).lower()]
    return float(min(seconds, _MAX_WINDOW_SECONDS))


def kind_of(record: ToolCallRecord) -> Kind:
    """How ``record`` is drawn: error, replayed (a write answered from its first result) or ok."""
    if record.outcome == "error":
        return "error"
    return "replayed" if record.replayed else "ok"


def format_ms(ms: float) -> str:
    """A duration as a person reads it: ``0.4 ms``, ``12 ms``, ``1.25 s``, ``2 min 5 s``."""
    if ms == 0:
        return "0 ms"
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.3g} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} min {seconds} s"


def format_time(epoch: float) -> str:
    """``2025-06-01 14:03:05`` in UTC (the pages and the terminal say which zone)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


@dataclass(frozen=True, slots=True)
class Filters:
    """Which tool calls a list is about; ``None`` is any."""

    connection: str | None = None
    tool: str | None = None
    outcome: Outcome | None = None

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return any(value is not None for value in (self.connection, self.tool, self.outcome))

    def matches(self, record: ToolCallRecord) -> bool:
        """Whether ``record`` passes every filter that is set."""
        return (
            (self.connection is None or record.connection == self.connection)
            and (self.tool is None or record.tool == self.tool)
            and (self.outcome is None or record.outcome == self.outcome)
        )


@dataclass(frozen=True, slots=True)
class CallSummary:
    """One call (or one tool call made without a call id), its tool calls oldest first."""

    call_id: str | None
    records: tuple[ToolCallRecord, ...]

    @property
    def started_at(self) -> float:
        """When its first tool call started (epoch seconds)."""
        return self.records[0].started_at

    @property
    def ended_at(self) -> float:
        """When its last tool call ended (epoch seconds)."""
        return max(record.started_at + record.duration_ms / 1000 for record in self.records)

    @property
    def tool_calls(self) -> int:
        """How many tool calls it made."""
        return len(self.records)

    @property
    def errors(self) -> int:
        """How many of them failed."""
        return sum(record.outcome == "error" for record in self.records)

    @property
    def sf_requests(self) -> int:
        """Salesforce requests, all its tool calls together."""
        return sum(record.sf_requests for record in self.records)

    @property
    def sf_ms(self) -> float:
        """Time spent waiting on Salesforce, all its tool calls together."""
        return sum(record.sf_ms for record in self.records)

    @property
    def connections(self) -> tuple[str, ...]:
        """The connections its tool calls used, in order of first use."""
        return tuple(dict.fromkeys(r.connection for r in self.records if r.connection))

    @property
    def tools(self) -> tuple[str, ...]:
        """The tools it called, in order of first call."""
        return tuple(dict.fromkeys(record.tool for record in self.records))


def summarize(records: Iterable[ToolCallRecord]) -> list[CallSummary]:
    """``records`` grouped by call id (each without one alone), the newest call first."""
    ordered = sorted(records, key=lambda record: record.started_at)
    grouped: dict[str, list[ToolCallRecord]] = {}
    calls: list[CallSummary] = []
    for record in ordered:
        if record.call_id is None:
            calls.append(CallSummary(None, (record,)))
        else:
            grouped.setdefault(record.call_id, []).append(record)
    calls += [CallSummary(call_id, tuple(group)) for call_id, group in grouped.items()]
    calls.sort(key=lambda call: call.started_at, reverse=True)
    return calls


@dataclass(frozen=True, slots=True)
class Recent:
    """The calls of a window, and what a filter can choose from."""

    calls: list[CallSummary]
    #: The window held more tool calls than were read (the oldest calls are missing).
    truncated: bool
    #: Every tool and connection seen in the window, sorted.
    tools: tuple[str, ...]
    connections: tuple[str, ...]


def recent_calls(
    log: ActivityLog,
    *,
    since: float,
    filters: Filters | None = None,
    limit: int = CALL_LIMIT,
) -> Recent:
    """The calls with a tool call since ``since`` that matches ``filters``, newest first."""
    records = log.read(ActivityQuery(since=since, limit=RECORD_LIMIT))
    calls = summarize(records)
    if filters is not None and filters.active:
        calls = [call for call in calls if any(map(filters.matches, call.records))]
    return Recent(
        calls=calls[:limit],
        truncated=len(records) >= RECORD_LIMIT or len(calls) > limit,
        tools=tuple(sorted({record.tool for record in records})),
        connections=tuple(sorted({r.connection for r in records if r.connection})),
    )


def call_records(log: ActivityLog, call_id: str) -> list[ToolCallRecord]:
    """The tool calls of the call ``call_id``, oldest first (none: not recorded, or pruned)."""
    records = log.read(ActivityQuery(call_id=call_id, limit=RECORD_LIMIT))
    records.reverse()  # read gives the newest first, ties by insertion: this keeps their order
    return records


@dataclass(frozen=True, slots=True)
class Bar:
    """One tool call on the axis: where it starts and how wide it is, in percent."""

    record: ToolCallRecord
    kind: Kind
    offset_ms: float
    left: float
    width: float


@dataclass(frozen=True, slots=True)
class Tick:
    """A mark on the axis; ``align`` keeps the first and last labels inside it."""

    at: float
    label: str
    align: Literal["start", "middle", "end"]


@dataclass(frozen=True, slots=True)
class Timeline:
    """A call's tool calls on a time axis from its first start to its last end."""

    call: CallSummary
    span_ms: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]


def _tick_step(span_ms: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ ms giving at most four steps over ``span_ms``."""
    exponent = math.floor(math.log10(span_ms / 4)) if span_ms > 4 else 0
    for power in (exponent, exponent + 1):
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**power
            if span_ms / step <= 4:
                return step
    return 10.0 ** (exponent + 2)


def _ticks(span_ms: float) -> tuple[Tick, ...]:
    step = _tick_step(span_ms)
    ticks = []
    count = int(span_ms // step)
    for index in range(count + 1):
        at = index * step / span_ms * 100
        align: Literal["start", "middle", "end"] = "middle"
        if index == 0:
            align = "start"
        elif at > 85:
            align = "end"
        ticks.append(Tick(at=round(at, 3), label=format_ms(index * step), align=align))
    return tuple(ticks)


def timeline(records: Sequence[ToolCallRecord]) -> Timeline:
    """The bars of one call's tool calls (``records``, any order, at least one)."""
    ordered = tuple(sorted(records, key=lambda record: record.started_at))
    if not ordered:
        raise ValueError("a timeline needs at least one tool call")
    start = ordered[0].started_at
    offsets = [(record.started_at - start) * 1000 for record in ordered]
    span = max(
        max(offset + record.duration_ms for offset, record in zip(offsets, ordered, strict=True)),
        1.0,
    )
    bars = []
    for offset, record in zip(offsets, ordered, strict=True):
        width = max(record.duration_ms / span * 100, MIN_BAR_PERCENT)
        left = min(offset / span * 100, 100 - width)
        bars.append(
            Bar(
                record=record,
                kind=kind_of(record),
                offset_ms=offset,
                left=round(left, 3),
                width=round(width, 3),
            )
        )
    call = CallSummary(ordered[0].call_id, ordered)
    return Timeline(call=call, span_ms=span, bars=tuple(bars), ticks=_ticks(span))
