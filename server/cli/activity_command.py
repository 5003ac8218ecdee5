"""``callforce activity``: what the agents did, call by call, for a terminal without a browser.

It reads the activity record of ``CALLFORCE_HOME``'s store (never creating one) and prints what
the activity pages show (:mod:`server.connect.activity_pages`, both from
:mod:`server.activity.calls`):

- without ``--call``: the calls of the last ``--since`` (default 24h), newest first — call id,
  start (UTC), tool calls, errors, Salesforce requests and time, connections; a tool call made
  without a call id is a row of its own;
- with ``--call ID``: that call's tool calls in order — offset from its first, tool, outcome,
  duration, Salesforce requests, the ids of records written, the error text the agent got
  (``--since`` does not apply: the whole call is shown).

``--json`` prints the same as JSON: a list of calls, or the call's tool calls with every field
of the record (``arguments`` only when ``CALLFORCE_ACTIVITY_VALUES`` kept them). The text is
made printable first: a call id or an error text cannot move the terminal's cursor.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from server.activity.calls import (
    DEFAULT_WINDOW,
    CallSummary,
    call_records,
    format_ms,
    format_time,
    kind_of,
    parse_window,
    recent_calls,
    timeline,
)
from server.activity.record import ToolCallRecord
from server.settings import Settings


def window(text: str) -> str:
    """An argparse type: a ``--since`` that :func:`parse_window` reads (``30s`` … ``2d``)."""
    try:
        parse_window(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``callforce activity``."""
    command = commands.add_parser(
        "activity",
        help="what the agents did, call by call (no caller data)",
        description="What the agents asked of Salesforce, call by call: tools, outcomes, "
        "timings, request counts and the ids of records written. Times are UTC.",
    )
    command.add_argument("--call", metavar="ID", help="one call's tool calls, in order")
    command.add_argument(
        "--since",
        type=window,
        default=DEFAULT_WINDOW,
        metavar="WINDOW",
        help=f"how far back the list of calls goes: 30s, 15m, 1h, 2d (default {DEFAULT_WINDOW})",
    )
    command.add_argument("--json", action="store_true", help="print JSON")
    command.set_defaults(handler=activity)


def _printable(text: str) -> str:
    return "".join(char if char.isprintable() else "?" for char in text)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = []
    for row in (header, *rows):
        cells = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _call_json(call: CallSummary) -> dict[str, Any]:
    return {
        "call_id": call.call_id,
        "started_at": call.started_at,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(call.started_at)),
        "tool_calls": call.tool_calls,
        "errors": call.errors,
        "sf_requests": call.sf_requests,
        "sf_ms": round(call.sf_ms, 3),
        "connections": list(call.connections),
        "tools": list(call.tools),
    }


def _record_json(record: ToolCallRecord, offset_ms: float) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "started_at": record.started_at,
        "offset_ms": round(offset_ms, 3),
        "call_id": record.call_id,
        "connection": record.connection,
        "tool": record.tool,
        "outcome": record.outcome,
        "error": record.error,
        "duration_ms": record.duration_ms,
        "sf_requests": record.sf_requests,
        "sf_ms": record.sf_ms,
        "record_ids": list(record.record_ids),
        "replayed": record.replayed,
    }
    if record.arguments is not None:
        shown["arguments"] = record.arguments
    return shown


def _print_calls(calls: Sequence[CallSummary], since_text: str) -> None:
    if not calls:
        print(f"No tool calls recorded in the last {since_text}.")
        return
    rows = []
    for call in calls:
        name = call.call_id if call.call_id is not None else f"(no call id) {call.records[0].tool}"
        rows.append(
            (
                _printable(name),
                format_time(call.started_at),
                str(call.tool_calls),
                str(call.errors),
                str(call.sf_requests),
                format_ms(call.sf_ms),
                _printable(", ".join(call.connections) or "-"),
            )
        )
    header = ("CALL", "STARTED (UTC)", "TOOL CALLS", "ERRORS", "REQUESTS", "SALESFORCE", "CONN")
    print(_table(header, rows, right={2, 3, 4, 5}))


def _print_call(call_id: str, records: Sequence[ToolCallRecord]) -> None:
    laid = timeline(records)
    call = laid.call
    errors = f", {call.errors} failed" if call.errors else ""
    print(
        f"call {_printable(call_id)} · started {format_time(call.started_at)} UTC · "
        f"{call.tool_calls} tool calls{errors} · Salesforce: {call.sf_requests} requests, "
        f"{format_ms(call.sf_ms)}"
    )
    rows = [
        (
            "+" + format_ms(bar.offset_ms),
            _printable(bar.record.tool),
            kind_of(bar.record),
            format_ms(bar.record.duration_ms),
            str(bar.record.sf_requests),
            " ".join(bar.record.record_ids) or "-",
            _printable(bar.record.error or ""),
        )
        for bar in laid.bars
    ]
    header = ("OFFSET", "TOOL", "OUTCOME", "DURATION", "REQUESTS", "RECORD IDS", "ERROR")
    print(_table(header, rows, right={0, 3, 4}))


def activity(args: argparse.Namespace, settings: Settings) -> int:
    """``callforce activity``; the exit status."""
    from server.store.opening import open_store, store_exists  # noqa: PLC0415 - start-up

    store = open_store(settings) if store_exists(settings) else None  # never creates a store
    try:
        log = store.activity() if store is not None else None
        if args.call is not None:
            records = call_records(log, args.call) if log is not None else []
            if args.json:
                start = records[0].started_at if records else 0.0
                shown = [_record_json(r, (r.started_at - start) * 1000) for r in records]
                print(json.dumps(shown, indent=2))
            elif records:
                _print_call(args.call, records)
            else:
                print(f"No tool calls recorded for the call {_printable(args.call)}.")
            return 0
        since = time.time() - parse_window(args.since)
        recent = recent_calls(log, since=since) if log is not None else None
        calls = recent.calls if recent is not None else []
        if recent is not None and recent.truncated:
            print(
                f"callforce activity: only the newest calls of the last {args.since} are shown; "
                "a shorter --since shows the rest",
                file=sys.stderr,
            )
        if args.json:
            print(json.dumps([_call_json(call) for call in calls], indent=2))
        else:
            _print_calls(calls, args.since)
    finally:
        if store is not None:
            store.close()
    return 0
