"""The activity pages: what the agents asked of Salesforce, call by call. No JavaScript.

:func:`activity_routes`, served beside the connect page and behind the same guard (the API
tokens as a bearer header or the sign-in cookie; without API tokens, anyone who may open the
connect page):

=================================  ===============================================================
``GET /activity``                  recent calls, newest first: call id, start, tool calls, errors,
                                   Salesforce time, connections; a tool call made without a call
                                   id is a row of its own. A GET form filters by ``since`` (``30s``
                                   … ``7d``), ``connection``, ``tool`` and ``outcome``: a call is
                                   listed when one of its tool calls matches. ``?call=<id>`` is
                                   the same as the call's own page.
``GET /activity/call/<id>``        one call's timeline: each tool call a bar on a time axis (its
                                   start and duration), coloured by outcome, with its tool,
                                   duration, request count, the ids of the records it wrote, and
                                   the error text the agent got
=================================  ===============================================================

The pages show what the activity record holds (:mod:`server.activity.record`) and nothing
more: no caller data unless the operator keeps argument values (``CALLFORCE_ACTIVITY_VALUES``).
Every value is escaped by the templates; the bars' and ticks' positions, numbers computed here,
are the only inline styles (the page's CSP allows inline style, no script).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Protocol
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.activity.calls import (
    DEFAULT_WINDOW,
    Bar,
    CallSummary,
    Filters,
    Recent,
    Timeline,
    call_records,
    format_ms,
    format_time,
    kind_of,
    parse_window,
    recent_calls,
    timeline,
)
from server.activity.record import ActivityLog
from server.store.interface import ConnectionStore

#: The windows the form offers (another one typed into the URL is kept and shown too).
WINDOWS = ("1h", "6h", "24h", "7d")
#: A filter value longer than this is no name callforce wrote: it is ignored.
_MAX_FILTER_CHARS = 200
_OUTCOMES = ("ok", "error")
KIND_LABELS = {"ok": "OK", "error": "Error", "replayed": "Replayed"}


class Renderer(Protocol):
    """What the activity pages need from the connect pages: the guard and the page frame."""

    def refusal(self, request: Request) -> Response | None:
        """The answer for a browser that may not see pages (locked out, not signed in)."""
        ...

    def render(
        self, request: Request, template: str, context: dict[str, Any], status: int = 200
    ) -> Response:
        """A page from ``template`` with the frame's own context (CSRF, version, MCP URL)."""
        ...


def call_url(call_id: str) -> str:
    """The page of ``call_id``: ``/activity/call/<id>`` (a slash in it encoded), or
    ``/activity?call=<id>`` for an id a browser would resolve as a path (``.``, ``..``, empty)."""
    if call_id not in ("", ".", ".."):
        return f"/activity/call/{quote(call_id, safe='')}"
    return f"/activity?{urlencode({'call': call_id})}"


def _choice(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if value and len(value) <= _MAX_FILTER_CHARS else None


def _call_row(call: CallSummary) -> dict[str, Any]:
    first = call.records[0]
    return {
        "call_id": call.call_id,
        "url": call_url(call.call_id) if call.call_id is not None else None,
        "started": format_time(call.started_at),
        "tool_calls": call.tool_calls,
        "errors": call.errors,
        "sf_time": format_ms(call.sf_ms),
        "sf_requests": call.sf_requests,
        "connections": ", ".join(call.connections) or "–",
        # A tool call without a call id has no page: what it would show is on its row.
        "tool": first.tool if call.call_id is None else None,
        "kind": kind_of(first) if call.call_id is None else None,
        "kind_label": KIND_LABELS[kind_of(first)],
        "error": first.error if call.call_id is None else None,
    }


def _bar_row(bar: Bar, several_connections: bool) -> dict[str, Any]:
    record = bar.record
    return {
        "tool": record.tool,
        "kind": bar.kind,
        "kind_label": KIND_LABELS[bar.kind],
        "offset": format_ms(bar.offset_ms),
        "duration": format_ms(record.duration_ms),
        "requests": record.sf_requests,
        "sf_time": format_ms(record.sf_ms),
        "record_ids": record.record_ids,
        "error": record.error,
        "connection": record.connection if several_connections else None,
        "arguments": (
            json.dumps(record.arguments, ensure_ascii=False, indent=2, default=str)
            if record.arguments is not None
            else None
        ),
        # Numbers only (computed in server.activity.calls), as the axis ticks' positions: the
        # page's only inline styles.
        "style": f"margin-left: {bar.left:.3f}%; width: {bar.width:.3f}%",
    }


class ActivityPages:
    """The handlers behind :func:`activity_routes`."""

    def __init__(self, store: ConnectionStore, frame: Renderer) -> None:
        self._store = store
        self._frame = frame

    def _log(self) -> ActivityLog:
        return self._store.activity()

    async def calls(self, request: Request) -> Response:
        """``GET /activity``: the recent calls, filtered; ``?call=<id>``: that call."""
        if refused := self._frame.refusal(request):
            return refused
        query = request.query_params
        if "call" in query:
            return await self._call_page(request, query["call"])
        window = query.get("since", "").strip() or DEFAULT_WINDOW
        problem = ""
        try:
            seconds = parse_window(window)
        except ValueError as exc:
            problem = f"Since: {exc}. Showing the last {DEFAULT_WINDOW}."
            window = DEFAULT_WINDOW
            seconds = parse_window(window)
        outcome = query.get("outcome", "")
        filters = Filters(
            connection=_choice(query.get("connection")),
            tool=_choice(query.get("tool")),
            outcome="ok" if outcome == "ok" else "error" if outcome == "error" else None,
        )
        since = time.time() - seconds
        recent: Recent = await asyncio.to_thread(
            lambda: recent_calls(self._log(), since=since, filters=filters)
        )
        context = {
            "title": "Activity",
            "section": "activity",
            "calls": [_call_row(call) for call in recent.calls],
            "truncated": recent.truncated,
            "problem": problem,
            "filters": {
                "since": window,
                "connection": filters.connection or "",
                "tool": filters.tool or "",
                "outcome": filters.outcome or "",
                "active": filters.active,
            },
            "windows": WINDOWS if window in WINDOWS else (*WINDOWS, window),
            "tools": sorted({*recent.tools, *([filters.tool] if filters.tool else [])}),
            "connections": sorted(
                {*recent.connections, *([filters.connection] if filters.connection else [])}
            ),
            "outcomes": _OUTCOMES,
        }
        return self._frame.render(request, "activity.html", context)

    async def call(self, request: Request) -> Response:
        """``GET /activity/call/<id>``: the call's timeline."""
        if refused := self._frame.refusal(request):
            return refused
        return await self._call_page(request, request.path_params["call_id"])

    async def _call_page(self, request: Request, call_id: str) -> Response:
        records = await asyncio.to_thread(lambda: call_records(self._log(), call_id))
        if not records:
            missing = {"title": "Call not found", "section": "activity", "call_id": call_id}
            return self._frame.render(request, "activity_call.html", missing, status=404)
        laid: Timeline = timeline(records)
        call = laid.call
        several = len(call.connections) > 1
        context: dict[str, Any] = {
            "title": f"Call {call_id[:60]}",
            "section": "activity",
            "call_id": call_id,
            "call": {
                "started": format_time(call.started_at),
                "tool_calls": call.tool_calls,
                "errors": call.errors,
                "sf_requests": call.sf_requests,
                "sf_time": format_ms(call.sf_ms),
                "span": format_ms(laid.span_ms),
                "connections": ", ".join(call.connections) or "–",
            },
            "bars": [_bar_row(bar, several) for bar in laid.bars],
            "ticks": laid.ticks,
            "kinds": KIND_LABELS,
        }
        return self._frame.render(request, "activity_call.html", context)


def activity_routes(store: ConnectionStore, frame: Renderer) -> list[BaseRoute]:
    """``/activity`` and ``/activity/call/<id>`` (module docstring), guarded by ``frame``."""
    pages = ActivityPages(store, frame)
    return [
        Route("/activity", pages.calls, methods=["GET"]),
        Route("/activity/call/{call_id:path}", pages.call, methods=["GET"]),
    ]
