"""``callforce activity`` in-process through ``server.cli.main``, reading the store a call driven
through the MCP client (the call id in ``_meta["callforce/call"]``) wrote: the calls, one call's
tool calls as text and JSON, ``--since`` — and none of the values that were sent."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from server import cli
from server.activity.calls import parse_window
from server.activity.record import ToolCallRecord
from server.app import build_server
from server.settings import Settings
from server.store.sqlite import DB_FILE, SQLiteConnectionStore
from tests.helpers.activity_calls import DrivenCall, drive_call, in_call, new_call_id
from tests.helpers.demo_org import CONNECTION
from tests.helpers.org_fixtures import (  # noqa: F401 - fixtures, registered by being imported
    fixture_control,
    fixture_emulator,
    fixture_settings,
    fixture_store,
)
from tests.helpers.tool_calls import serving


@pytest.fixture
def home(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The commands read the test's store: CALLFORCE_HOME is its home."""
    monkeypatch.setenv("CALLFORCE_HOME", str(settings.home))
    return settings.home


@pytest.fixture
async def driven(
    settings: Settings, store: SQLiteConnectionStore, control: httpx.AsyncClient
) -> DrivenCall:
    """The four-step call, recorded (the server has stopped: every record is written)."""
    call_id = new_call_id()
    async with serving(build_server(settings, store=store)) as client:
        return await drive_call(client, control, call_id, **in_call(call_id))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert cli.main(["activity", *argv]) == 0
    return capsys.readouterr().out


async def test_one_call_as_json(
    home: Path, driven: DrivenCall, capsys: pytest.CaptureFixture[str]
) -> None:
    """--call ID --json: the tool calls in order with their outcomes, request counts and
    record ids, every field of the record but the (unkept) arguments; no value sent."""
    out = _run(capsys, "--call", driven.call_id, "--json")
    shown = json.loads(out)
    assert [(t["tool"], t["outcome"], t["sf_requests"], tuple(t["record_ids"])) for t in shown] == [
        (step.tool, step.outcome, step.requests, step.record_ids) for step in driven.steps
    ]
    assert set(shown[0]) == {
        "started_at", "offset_ms", "call_id", "connection", "tool", "outcome", "error",
        "duration_ms", "sf_requests", "sf_ms", "record_ids", "replayed",
    }  # fmt: skip
    assert {t["call_id"] for t in shown} == {driven.call_id}
    assert {t["connection"] for t in shown} == {CONNECTION}
    assert shown[0]["offset_ms"] == 0
    assert [t["offset_ms"] for t in shown] == sorted(t["offset_ms"] for t in shown)
    assert [t["error"] is not None for t in shown] == [False, False, True, False]
    assert "Email" in shown[2]["error"]
    for value in driven.values:
        assert value not in out, value


async def test_the_calls_and_one_call_as_text(
    home: Path, driven: DrivenCall, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --call, the calls (JSON and a table); with it, a line per tool call with its
    outcome, requests and record ids; no value sent in any of them."""
    calls = json.loads(_run(capsys, "--json"))
    (call,) = [call for call in calls if call["call_id"] == driven.call_id]
    assert (call["tool_calls"], call["errors"], call["sf_requests"]) == (4, 1, driven.requests)
    assert call["connections"] == [CONNECTION]
    assert call["tools"] == [step.tool for step in driven.steps]
    table = _run(capsys)
    assert table.splitlines()[0].split()[:2] == ["CALL", "STARTED"]
    line = next(line for line in table.splitlines() if line.startswith(driven.call_id))
    assert line.split()[3:6] == ["4", "1", str(driven.requests)]
    text = _run(capsys, "--call", driven.call_id)
    lines = text.splitlines()
    assert lines[0].startswith(f"call {driven.call_id} · started ")
    for step, line in zip(driven.steps, lines[2:], strict=True):
        words = line.split()
        at = words.index(step.tool)
        assert words[at + 1] == step.outcome
        assert str(step.requests) in words
        assert all(record_id in words for record_id in step.record_ids)
    assert "Email" in lines[4]
    for value in driven.values:
        assert value not in table + text, value


def _old(tool: str, started_at: float, call_id: str | None) -> ToolCallRecord:
    return ToolCallRecord(
        started_at=started_at, tool=tool, outcome="ok", duration_ms=5.0, call_id=call_id
    )


def test_since_chooses_the_window(
    home: Path, store: SQLiteConnectionStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """--since 1h leaves out a call of two hours ago, 3h shows it; a tool call without a call
    id is a row of its own; the default is the last day."""
    now = time.time()
    store.activity().add(
        [
            _old("run_query", now - 7200, "call-two-hours-ago"),
            _old("connection_status", now - 60, None),
            _old("run_query", now - 3 * 86400, "call-three-days-ago"),
        ]
    )
    recent = json.loads(_run(capsys, "--since", "1h", "--json"))
    assert [(c["call_id"], c["tools"]) for c in recent] == [(None, ["connection_status"])]
    assert "(no call id) connection_status" in _run(capsys, "--since", "1h")
    wider = [c["call_id"] for c in json.loads(_run(capsys, "--since", "3h", "--json"))]
    assert wider == [None, "call-two-hours-ago"]
    default = [c["call_id"] for c in json.loads(_run(capsys, "--json"))]
    assert default == [None, "call-two-hours-ago"]
    week = [c["call_id"] for c in json.loads(_run(capsys, "--since", "7d", "--json"))]
    assert week == [None, "call-two-hours-ago", "call-three-days-ago"]
    assert "No tool calls recorded in the last 30s." in _run(capsys, "--since", "30s")


def test_kept_arguments_are_in_the_json(
    home: Path, store: SQLiteConnectionStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """A record with arguments (CALLFORCE_ACTIVITY_VALUES) shows them; one without, no key."""
    kept = ToolCallRecord(
        started_at=time.time(), tool="run_query", outcome="ok", duration_ms=5.0,
        call_id="call-kept", arguments={"soql": "SELECT Id FROM Account"},
    )  # fmt: skip
    store.activity().add([kept, _old("describe_object", time.time() + 1, "call-kept")])
    first, second = json.loads(_run(capsys, "--call", "call-kept", "--json"))
    assert first["arguments"] == {"soql": "SELECT Id FROM Account"}
    assert "arguments" not in second


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("2d", 172_800), (" 24H ", 86_400)],
)
def test_windows_are_read(text: str, seconds: float) -> None:
    """30s, 15m, 1h, 2d: a whole number and a unit."""
    assert parse_window(text) == seconds


@pytest.mark.parametrize("text", ["5x", "1.5h", "-1h", "0h", "h", "", "1 hour", "1h30m"])
def test_a_malformed_since_exits_2(
    text: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A window that is not one: usage error (exit 2) saying the form, nothing read."""
    with pytest.raises(SystemExit) as exited:
        cli.main(["activity", f"--since={text}"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "is not a time window" in captured.err
    assert "30s, 15m, 1h, 2d" in captured.err


def test_without_a_store_nothing_is_recorded_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A home with no store: nothing to show, exit 0, and no store is created by reading."""
    monkeypatch.setenv("CALLFORCE_HOME", str(tmp_path / "empty"))
    assert "No tool calls recorded in the last 24h." in _run(capsys)
    assert json.loads(_run(capsys, "--call", "call-x", "--json")) == []
    assert not (tmp_path / "empty" / DB_FILE).exists()


def test_text_cannot_drive_the_terminal(
    home: Path, store: SQLiteConnectionStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """Control characters in a call id or an error text are printed as '?'; JSON escapes them."""
    hostile = "call-\x1b[2J\x07"
    store.activity().add(
        [
            ToolCallRecord(
                started_at=time.time(), tool="run_query", outcome="error", duration_ms=1.0,
                call_id=hostile, error="bad \x1b]0;title\x07 query",
            )
        ]
    )  # fmt: skip
    text = _run(capsys) + _run(capsys, "--call", hostile)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "call-?[2J?" in text
    assert "bad ?]0;title? query" in text
    (shown,) = json.loads(_run(capsys, "--call", hostile, "--json"))
    assert shown["call_id"] == hostile
