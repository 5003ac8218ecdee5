"""Records read back call by call (server.activity.calls): grouping, filters, the timeline's
geometry and axis, and the durations as shown."""

from __future__ import annotations

import pytest

from server.activity.calls import Filters, format_ms, summarize, timeline
from server.activity.record import ToolCallRecord


def _at(started_at: float, tool: str = "run_query", **fields: object) -> ToolCallRecord:
    values: dict[str, object] = {"outcome": "ok", "duration_ms": 10.0}
    values.update(fields)
    return ToolCallRecord(started_at=started_at, tool=tool, **values)  # type: ignore[arg-type]


def test_records_group_into_calls_newest_first() -> None:
    """Tool calls of one call id are one summary (whole numbers); each without an id is alone."""
    records = [
        _at(100.0, "find_caller", call_id="a", connection="prod", sf_requests=2, sf_ms=5.0),
        _at(101.0, "create_record", call_id="a", connection="uat", sf_requests=1, sf_ms=2.5),
        _at(102.0, "update_record", call_id="a", connection="prod", outcome="error"),
        _at(103.0, "connection_status"),
        _at(99.0, "run_query", call_id="b"),
        _at(104.0, "describe_object"),
    ]
    calls = summarize(reversed(records))  # as the store reads them: newest first
    assert [(c.call_id, c.tools) for c in calls] == [
        (None, ("describe_object",)),
        (None, ("connection_status",)),
        ("a", ("find_caller", "create_record", "update_record")),
        ("b", ("run_query",)),
    ]
    a = calls[2]
    assert (a.tool_calls, a.errors, a.sf_requests, a.sf_ms) == (3, 1, 3, 7.5)
    assert a.connections == ("prod", "uat")
    assert (a.started_at, a.ended_at) == (100.0, 102.01)


def test_filters_match_tool_calls() -> None:
    """Every filter set must match; none set matches all."""
    record = _at(1.0, "log_call", connection="prod", outcome="error")
    assert not Filters().active
    assert Filters().matches(record)
    assert Filters(connection="prod", tool="log_call", outcome="error").matches(record)
    assert not Filters(connection="prod", outcome="ok").matches(record)
    assert not Filters(tool="run_query").matches(record)


def test_bars_are_placed_by_offset_and_duration() -> None:
    """Offsets and widths are percentages of the span; a tiny call stays visible and inside."""
    bars = timeline(
        [
            _at(10.0, duration_ms=250.0),
            _at(10.5, duration_ms=500.0, outcome="error"),
            _at(10.25, duration_ms=0.01, replayed=True),
            _at(10.999999, duration_ms=0.0),
        ]
    ).bars
    assert [(b.kind, b.left, b.width) for b in bars] == [
        ("ok", 0.0, 25.0),
        ("replayed", 25.0, 0.8),
        ("error", 50.0, 50.0),
        ("ok", 99.2, 0.8),  # pulled back inside the axis
    ]
    assert [round(b.offset_ms) for b in bars] == [0, 250, 500, 1000]


def test_the_axis_has_a_few_round_ticks_inside_it() -> None:
    """0 at the start, round steps, the last ones aligned to end inside the axis."""
    ticks = timeline([_at(0.0, duration_ms=1000.0)]).ticks
    assert [(t.at, t.label, t.align) for t in ticks] == [
        (0.0, "0 ms", "start"),
        (50.0, "500 ms", "middle"),
        (100.0, "1 s", "end"),
    ]
    assert len(timeline([_at(0.0, duration_ms=0.0)]).ticks) == 2  # a 1 ms axis at least
    for span in (3.0, 47.0, 580.0, 4500.0, 61_000.0):
        ticks = timeline([_at(0.0, duration_ms=span)]).ticks
        assert 2 <= len(ticks) <= 5, span
        assert all(0 <= t.at <= 100 for t in ticks)


def test_a_timeline_needs_a_tool_call() -> None:
    """No records, no timeline."""
    with pytest.raises(ValueError, match="at least one"):
        timeline([])


@pytest.mark.parametrize(
    ("ms", "shown"),
    [(0, "0 ms"), (0.42, "0.4 ms"), (12.4, "12 ms"), (1250, "1.25 s"), (125_000, "2 min 5 s")],
)
def test_durations_read_as_a_person_says_them(ms: float, shown: str) -> None:
    """ms below a second, seconds below a minute, then minutes."""
    assert format_ms(ms) == shown
