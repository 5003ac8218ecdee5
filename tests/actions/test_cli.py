"""`callforce actions check|example`, and `serve`/`demo` refusing an invalid action file.

The commands run in-process through ``server.cli.main``, reading the environment as they would
from a shell, against the session's emulated org.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import pytest

from emulator.server import BackgroundEmulator
from server import cli
from server.actions.cli import EXAMPLE_FILE
from server.actions.loading import load_actions
from server.demo import run_demo
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.action_files import EXAMPLE_TOOLS, write_actions
from tests.helpers.demo_org import CLIENT_ID, CLIENT_SECRET, CONNECTION, connect

BROKEN = """
[[action]]
name = "create_contact"
kind = "create"
object = "Contact"
description = "Create a contact."
data = { LastName = "{{ lastName }}", Emial = "{{ email }}" }

[[action]]
name = "find_deal"
kind = "query"
description = "Find deals above an amount."
soql = "SELECT Id FROM Opportunity WHERE Amount > '{{ minimum }}'"
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: BackgroundEmulator) -> Path:
    """CALLFORCE_HOME in tmp_path, the emulator as login host; nothing connected yet."""
    path = tmp_path / "home"
    monkeypatch.setenv("CALLFORCE_HOME", str(path))
    monkeypatch.setenv("CALLFORCE_PRODUCTION_LOGIN_URL", emulator.base_url)
    monkeypatch.setenv("CALLFORCE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CALLFORCE_CLIENT_SECRET", CLIENT_SECRET)
    for name in (
        "CALLFORCE_ACTIONS",
        "CALLFORCE_EXPOSE",
        "CALLFORCE_DEFAULT_CONNECTION",
        "CALLFORCE_CALL_HEADERS",
    ):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def connected(home: Path, emulator: BackgroundEmulator) -> Path:
    """``home`` with the demo org connected as the default connection."""
    store = SQLiteConnectionStore.from_settings(Settings(home=home))
    try:
        asyncio.run(connect(store, emulator, CONNECTION))
    finally:
        store.close()
    return home


def _tool_blocks(out: str) -> dict[str, dict[str, object]]:
    """The JSON schema printed under each ``name (kind): description`` line (and its call
    variables' line, if any)."""
    out = re.sub(r"^call variables .*$", "", out, flags=re.MULTILINE)
    blocks = re.split(r"^(\w+) \((?:read-only|writes)\): .*$", out, flags=re.MULTILINE)
    return {
        name: json.loads(schema) for name, schema in zip(blocks[1::2], blocks[2::2], strict=True)
    }


def test_example_prints_the_shipped_file(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`actions example` prints the example file; the copy loads as it is."""
    assert cli.main(["actions", "example"]) == 0
    printed = capsys.readouterr().out
    assert printed == EXAMPLE_FILE.read_text(encoding="utf-8")
    copy = write_actions(tmp_path, printed)
    assert len(load_actions(copy).actions) == 6


def test_check_prints_each_tool_schema(connected: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`actions check` on the example file: no problems, then each tool and its schema."""
    assert cli.main(["actions", "check", str(EXAMPLE_FILE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{EXAMPLE_FILE}: 6 actions, no problems.")
    schemas = _tool_blocks(out)
    assert list(schemas) == EXAMPLE_TOOLS
    assert "find_contact_by_email (read-only): Find the caller's contact" in out
    assert "create_contact (writes): " in out
    contact = schemas["create_contact"]
    properties = contact["properties"]
    assert isinstance(properties, dict)
    assert properties["email"]["format"] == "email"
    account = properties["accountId"]["anyOf"][0]  # optional: the id, or nothing
    assert account.pop("description")  # a nullable argument's description is inside its type
    assert account == {"pattern": r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$", "type": "string"}
    # Strict-mode ready: every argument listed, the optional one nullable; lengths not shown.
    assert set(contact["required"]) == {"lastName", "firstName", "email", "accountId"}  # type: ignore[arg-type]
    assert "maxLength" not in properties["lastName"]


CALLS = """
[call]
agent = { header = "X-Agent-Name", required = false }
line = { header = "X-Line", type = "phone" }

[[action]]
name = "log_inbound"
kind = "create"
object = "Task"
description = "Log this call."
data = { Subject = "{{ subject }}", CallObject = "{{ call.id }}", Description = "{{ call.agent }}" }

[[action]]
name = "find_by_line"
kind = "query"
description = "Leads with the number the call came in on."
soql = "SELECT Id FROM Lead WHERE Phone = '{{ call.line }}'"

[[action]]
name = "find_lead"
kind = "query"
description = "A lead by email."
soql = "SELECT Id FROM Lead WHERE Email = '{{ email }}'"
"""


def test_check_lists_the_call_variables_each_tool_reads(
    tmp_path: Path,
    connected: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`actions check`: under each tool, the call variables it reads and their headers (the
    [call] table over CALLFORCE_CALL_HEADERS); none of them is in a schema."""
    monkeypatch.setenv("CALLFORCE_CALL_HEADERS", '{"id": "X-Vapi-Call-Id"}')
    path = write_actions(tmp_path, CALLS)
    assert cli.main(["actions", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        "log_inbound (writes): Log this call. Values are converted to each field's type first; "
        "if one cannot be, nothing is written and the error names it: ask the caller and call "
        "again.\ncall variables (sent by the voice platform): call.id ← X-Vapi-Call-Id, "
        "call.agent ← X-Agent-Name (optional)\n{"
    ) in out
    assert (
        "find_by_line (read-only): Leads with the number the call came in on. Returns at most 25 "
        "records.\ncall variables (sent by the voice platform): call.line ← X-Line (phone)\n{"
    ) in out
    assert "find_lead (read-only): A lead by email. Returns at most 25 records.\n{" in out
    schemas = _tool_blocks(out)
    assert list(schemas["log_inbound"]["properties"]) == ["subject"]  # type: ignore[call-overload]
    assert "properties" not in schemas["find_by_line"] or not schemas["find_by_line"]["properties"]


def test_a_broken_call_table_stops_check_serve_and_demo(
    tmp_path: Path, connected: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong [call] entry is a located problem: check, serve and demo exit 2."""
    path = write_actions(tmp_path, CALLS.replace('"X-Line"', '"X Line"'))
    where = f"{path}: call.line.header: 'X Line' is not an HTTP header name"
    assert cli.main(["actions", "check", str(path)]) == 2
    assert where in capsys.readouterr().err
    assert cli.main(["serve", "--actions", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert where in captured.err
    out = io.StringIO()
    assert run_demo(Settings(home=connected), port=0, actions=path, sample=False, out=out) == 2
    assert where in out.getvalue()


def test_check_reports_each_problem_with_its_place(
    tmp_path: Path, connected: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file with org problems: exit 2, each problem with file, action and key; no schema."""
    path = write_actions(tmp_path, BROKEN)
    assert cli.main(["actions", "check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"callforce actions check: {path} cannot be used (2 problems):" in captured.err
    assert f"{path}: action 'create_contact': data.Emial: " in captured.err
    assert "did you mean Email" in captured.err
    assert f"{path}: action 'find_deal': soql: " in captured.err
    assert "Traceback" not in captured.err


def test_check_reports_file_problems_before_asking_the_org(
    tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid TOML is reported with its line even with no connection at all."""
    path = write_actions(tmp_path, '[[action]]\nname = "x\n')
    assert cli.main(["actions", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: not valid TOML" in err
    assert "line 2" in err


def test_check_without_a_connection(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing connected: exit 1 and what to do, no traceback."""
    assert cli.main(["actions", "check", str(EXAMPLE_FILE)]) == 1
    err = capsys.readouterr().err
    assert "callforce actions check: cannot ask the org: " in err
    assert "callforce connect" in err
    assert "Traceback" not in err


def test_serve_refuses_an_invalid_action_file(
    tmp_path: Path, connected: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve --actions` with problems does not start: exit 2, each problem located."""
    path = write_actions(tmp_path, BROKEN)
    assert cli.main(["serve", "--actions", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "", "nothing may reach the stdio wire"
    assert f"callforce serve: {path} cannot be used (2 problems):" in captured.err
    assert f"{path}: action 'create_contact': data.Emial: " in captured.err


def test_serve_reads_the_action_file_from_the_environment(
    tmp_path: Path,
    connected: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """CALLFORCE_ACTIONS names the file as --actions does (here: an invalid one, over HTTP)."""
    path = write_actions(tmp_path, BROKEN)
    monkeypatch.setenv("CALLFORCE_ACTIONS", str(path))
    assert cli.main(["serve", "--transport", "http", "--port", "0"]) == 2
    assert f"callforce serve: {path} cannot be used" in capsys.readouterr().err


def test_expose_actions_needs_an_action_file(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--expose actions` without a file would serve nothing: refused, exit 2."""
    assert cli.main(["serve", "--expose", "actions"]) == 2
    assert "give the action file with --actions FILE" in capsys.readouterr().err


def test_demo_refuses_an_invalid_action_file(tmp_path: Path, home: Path) -> None:
    """`demo --actions` with problems stops before serving: exit 2, each problem located."""
    path = write_actions(tmp_path, BROKEN)
    out = io.StringIO()
    assert run_demo(Settings(home=home), port=0, actions=path, sample=False, out=out) == 2
    printed = out.getvalue()
    assert f"callforce demo: {path} cannot be used (2 problems):" in printed
    assert f"{path}: action 'create_contact': data.Emial: " in printed
    assert "callforce demo is running" not in printed
