"""The activity pages over HTTP (the app in-process, a call driven through it over Streamable HTTP
with the platform's ``X-Call-Id``): the call listed with its counts, its timeline tool by tool,
the filters, the sign-in guard — and none of the values that were sent, on a page or on disk."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from pydantic import SecretStr
from starlette.applications import Starlette

from server import web
from server.activity.record import ToolCallRecord
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.activity_calls import (
    DrivenCall,
    drive_call,
    new_call_id,
    over_http,
    store_bytes,
)
from tests.helpers.connect_flow import APP_URL, csrf_of
from tests.helpers.demo_org import CONNECTION, clear_log, request_log
from tests.helpers.org_fixtures import (  # noqa: F401 - fixtures, registered by being imported
    fixture_control,
    fixture_emulator,
    fixture_settings,
    fixture_store,
)

API_TOKEN = "activity-token-0123456789abcdef0123456789"


@asynccontextmanager
async def pages(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client of ``app``'s pages, as a browser at ``APP_URL`` would be."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=APP_URL) as http:
        yield http


def _row_of(listing: str, call_id: str) -> str:
    """The table row of ``call_id`` on the list page."""
    start = listing.index(f'href="/activity/call/{call_id}"')
    return listing[start : listing.index("</tr>", start)]


def _cell(row: str, label: str) -> str:
    found = re.search(rf'data-label="{label}">([^<]*)<', row)
    assert found, f"no {label} in {row}"
    return found.group(1).strip()


def _listed(listing: str) -> list[str]:
    """The calls on a list page: their ids, and "no call id: <tool>" for the others."""
    found = re.findall(
        r'class="call-id" href="[^"]+">([^<]+)</a>|<span class="label">no call id</span> '
        r"<code>([^<]+)</code>",
        listing,
    )
    return [call_id or f"no call id: {tool}" for call_id, tool in found]


def _timeline_rows(page: str) -> list[dict[str, object]]:
    """Each tool call of a timeline page: tool, kind, requests, record ids, error, bar style."""
    rows = []
    for block in page.split('<li class="tl-row ')[1:]:
        block = block.split("</li>", 1)[0]
        requests = re.search(r"(\d+) Salesforce requests?", block)
        error = re.search(r'<p class="tl-error">([^<]*)</p>', block)
        ids = re.search(r'<span class="tl-ids">(.*?)</span>', block, flags=re.DOTALL)
        style = re.search(r'class="tl-bar" style="([^"]+)"', block)
        tool = re.search(r'<strong class="tool">([^<]+)</strong>', block)
        assert requests, block
        assert style, block
        assert tool, block
        rows.append(
            {
                "tool": tool.group(1),
                "kind": block.split('"', 1)[0],
                "requests": int(requests.group(1)),
                "record_ids": tuple(re.findall(r"<code>([^<]+)</code>", ids.group(1)))
                if ids
                else (),
                "error": error.group(1) if error else None,
                "style": style.group(1),
            }
        )
    return rows


async def _drive_over_http(app: Starlette, control: httpx.AsyncClient) -> tuple[DrivenCall, int]:
    """The four-step call with X-Call-Id, then one describe_object without a call id; the
    requests that one made. The app's lifespan ends here: every record is written."""
    call_id = new_call_id()
    async with app.router.lifespan_context(app):
        async with over_http(app, {"X-Call-Id": call_id}) as client:
            driven = await drive_call(client, control, call_id)
        async with over_http(app, {}) as client:
            await clear_log(control)
            lone = await client.call_tool("describe_object", {"object": "Account"})
            assert not lone.is_error
            lone_requests = len(await request_log(control))
    return driven, lone_requests


async def test_a_call_shows_on_the_pages_without_its_values(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> None:
    """/activity lists the call (tool calls, errors, requests, connection) and the tool call
    without a call id; /activity/call/<id> shows each tool call with its outcome, requests,
    record ids and error; no value sent is on either page or in the store's file."""
    app = web.build_app(settings, store)
    driven, lone_requests = await _drive_over_http(app, control)
    async with pages(app) as http:
        listing = await http.get("/activity")
        timeline = await http.get(f"/activity/call/{driven.call_id}")
        by_query = await http.get("/activity", params={"call": driven.call_id})
    assert listing.status_code == timeline.status_code == by_query.status_code == 200
    assert _listed(listing.text) == ["no call id: describe_object", driven.call_id]
    row = _row_of(listing.text, driven.call_id)
    assert _cell(row, "Tool calls") == "4"
    assert _cell(row, "Errors") == "1"
    assert f" in {driven.requests} req." in row
    assert _cell(row, "Connection") == CONNECTION
    lone = listing.text[listing.text.index("no call id") :]
    assert f" in {lone_requests} req." in lone[: lone.index("</tr>")]

    rows = _timeline_rows(timeline.text)
    assert [(r["tool"], r["kind"], r["requests"], r["record_ids"]) for r in rows] == [
        (step.tool, step.outcome, step.requests, step.record_ids) for step in driven.steps
    ]
    assert [r["error"] is not None for r in rows] == [False, False, True, False]
    assert "Email" in str(rows[2]["error"])
    assert f'id="call-id">{driven.call_id}<' in timeline.text
    assert f"{driven.requests} requests" in timeline.text
    assert _timeline_rows(by_query.text) == rows
    assert "Arguments" not in timeline.text  # not kept unless CALLFORCE_ACTIVITY_VALUES

    stored = store_bytes(store)
    for value in driven.values:
        for page in (listing.text, timeline.text):
            assert value not in page, value
        assert value.encode() not in stored, value


async def test_filters_choose_the_calls(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> None:
    """connection, tool and outcome keep the calls with a matching tool call (each whole);
    the form shows what was chosen; a window that is not one says so."""
    app = web.build_app(settings, store)
    driven, _ = await _drive_over_http(app, control)
    call, lone = driven.call_id, "no call id: describe_object"
    expected = {
        "": [lone, call],
        "tool=update_record": [call],
        "tool=describe_object": [lone],
        "outcome=error": [call],
        "outcome=ok": [lone, call],
        f"connection={CONNECTION}&tool=log_call&outcome=ok": [call],
        "connection=elsewhere": [],
        "tool=run_query": [],
        "since=1h&outcome=error": [call],
    }
    async with pages(app) as http:
        for query, listed in expected.items():
            page = (await http.get(f"/activity?{query}")).text
            assert _listed(page) == listed, query
            if listed == [call]:
                assert _cell(_row_of(page, call), "Tool calls") == "4", query
        chosen = (await http.get("/activity?tool=update_record&outcome=error")).text
        assert '<option value="update_record" selected>' in chosen
        assert '<option value="error" selected>' in chosen
        assert "with a matching tool call" in chosen
        empty = (await http.get("/activity?connection=elsewhere")).text
        assert "No tool calls match these filters" in empty
        wrong = await http.get("/activity?since=forever")
        assert wrong.status_code == 200
        assert "is not a time window" in wrong.text
        assert _listed(wrong.text) == [lone, call]


def _record(started_at: float, tool: str, **fields: object) -> ToolCallRecord:
    values: dict[str, object] = {"outcome": "ok", "duration_ms": 10.0, "connection": "prod"}
    values.update(fields)
    return ToolCallRecord(started_at=started_at, tool=tool, **values)  # type: ignore[arg-type]


async def test_a_timeline_is_laid_out_and_escaped(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """Bars sit at their start offset with their duration's width, coloured by outcome; a
    replayed write is its own colour; ids and texts are escaped; an id with a slash has a
    working link; an unknown call is 404; old calls are outside the window."""
    now = time.time()
    hostile = '<script>alert("x")</script>/1'
    store.activity().add(
        [
            _record(now - 10.0, "find_caller", call_id=hostile, duration_ms=100.0, sf_requests=1),
            _record(
                now - 9.8,
                "create_record",
                call_id=hostile,
                duration_ms=200.0,
                sf_requests=1,
                record_ids=("003000000000001AAA",),
            ),
            _record(
                now - 9.5,
                "update_record",
                call_id=hostile,
                outcome="error",
                error="Email: <b>not</b> an email",
                duration_ms=100.0,
            ),
            _record(
                now - 9.2,
                "create_record",
                call_id=hostile,
                duration_ms=200.0,
                replayed=True,
                record_ids=("003000000000001AAA",),
            ),
            _record(now - 3 * 86400, "run_query", call_id="call-old"),
        ]
    )
    app = web.build_app(settings, store)
    async with pages(app) as http:
        listing = await http.get("/activity")
        link = re.search(r'class="call-id" href="([^"]+)"', listing.text)
        assert link
        timeline = await http.get(link.group(1).replace("&amp;", "&"))
        missing = await http.get("/activity/call/call-nobody")
        week = await http.get("/activity?since=7d")
    assert "<script>alert" not in listing.text + timeline.text
    assert "&lt;script&gt;" in listing.text
    assert link.group(1).startswith("/activity/call/%3Cscript%3E")
    assert "call-old" not in listing.text
    assert "call-old" in week.text
    assert timeline.status_code == 200
    rows = _timeline_rows(timeline.text)
    assert [r["kind"] for r in rows] == ["ok", "ok", "error", "replayed"]
    assert [r["style"] for r in rows] == [
        "margin-left: 0.000%; width: 10.000%",
        "margin-left: 20.000%; width: 20.000%",
        "margin-left: 50.000%; width: 10.000%",
        "margin-left: 80.000%; width: 20.000%",
    ]
    assert rows[2]["error"] == "Email: &lt;b&gt;not&lt;/b&gt; an email"
    assert missing.status_code == 404
    assert "No tool calls are recorded" in missing.text


async def test_the_pages_are_behind_the_connect_page_sign_in(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """With API tokens, /activity and a call's page answer the sign-in form (401) and show
    nothing; a bearer token or the sign-in cookie opens them; the header links both pages."""
    store.activity().add([_record(time.time(), "run_query", call_id="call-guarded")])
    guarded = settings.model_copy(update={"api_tokens": [SecretStr(API_TOKEN)]})
    app = web.build_app(guarded, store)
    async with pages(app) as http:
        for path in ("/activity", "/activity/call/call-guarded", "/activity?call=call-guarded"):
            refused = await http.get(path)
            assert refused.status_code == 401, path
            assert "Sign in to callforce" in refused.text
            assert "call-guarded" not in refused.text
            assert "<script" not in refused.text
        bearer = await http.get("/activity", headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert bearer.status_code == 200
        assert "call-guarded" in bearer.text
        signin = await http.post(
            "/signin", data={"csrf": csrf_of(refused.text), "token": API_TOKEN}
        )
        assert signin.status_code == 303
        listing = await http.get("/activity")
        assert listing.status_code == 200
        assert listing.headers["content-security-policy"].startswith("default-src 'none'")
        assert listing.headers["cache-control"] == "no-store"
        assert "<script" not in listing.text
        assert '<a href="/activity" aria-current="page">Activity</a>' in listing.text
        home = await http.get("/")
        assert '<a href="/activity">Activity</a>' in home.text
        assert (await http.get("/activity/call/call-guarded")).status_code == 200
    async with pages(app) as stranger:
        assert (await stranger.get("/activity/call/call-guarded")).status_code == 401


async def test_kept_arguments_show_only_when_kept(
    settings: Settings, store: SQLiteConnectionStore
) -> None:
    """With CALLFORCE_ACTIVITY_VALUES the record holds arguments: the call's page shows them
    (escaped) under Arguments; without, there is no such section."""
    arguments = {"object": "Contact", "data": {"LastName": "<i>Ng</i>", "Birthdate": "[redacted]"}}
    store.activity().add(
        [
            _record(time.time(), "create_record", call_id="call-kept", arguments=arguments),
            _record(time.time(), "create_record", call_id="call-bare"),
        ]
    )
    async with pages(web.build_app(settings, store)) as http:
        kept = (await http.get("/activity/call/call-kept")).text
        bare = (await http.get("/activity/call/call-bare")).text
    assert "<summary>Arguments</summary>" in kept
    assert "&#34;LastName&#34;: &#34;&lt;i&gt;Ng&lt;/i&gt;&#34;" in kept
    assert "<i>Ng</i>" not in kept
    assert "Arguments" not in bare
