"""Logs and the home folder (hardening issue, item 12).

With the root logger at DEBUG, httpx's own lines carried full query URLs, httpcore's carried the
response headers, and the SDK's "Tool … failed" line the caller's values echoed in the error.
Now every line of callforce and its HTTP clients says method, host, path, status and timings —
never a query string, a body, a token or a header value — whatever the logging setup: the
policy is installed once (``callforce serve`` does it at start-up, ``--log-level`` or
``CALLFORCE_LOG_LEVEL``) and holds for any handler, here pytest's own.

A ``CALLFORCE_HOME`` that group or others may read is made private when callforce opens it;
when it cannot be, callforce refuses to start and says what to run.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from emulator.server import BackgroundEmulator
from server import cli
from server.cli import logs
from server.settings import Settings
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import API, CLIENT_ID, CLIENT_SECRET, CONNECTION
from tests.helpers.tool_calls import Tools

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "ana.logs@example.com"
PHONE = "+1 415 555 0142"
REFUSED_PHONE = "+1 415 555 0199 ext nope"
#: Header values the emulator answers with (Content-Type, Sforce-Limit-Info), and the shape of
#: httpcore's header list.
HEADER_VALUES = ("application/json", "api-usage=", "(b'")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The root logger at DEBUG, every line captured, callforce's log policy installed."""
    undo = logs.install_redaction()
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        undo()


def captured(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every captured line of callforce and its clients (not the emulator's), fully formatted."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [
        formatter.format(record)
        for record in caplog.records
        if not record.name.startswith("emulator")
    ]


def assert_no_values(lines: list[str], secrets: list[str]) -> None:
    """None of ``lines`` holds a caller's value, a token, the client secret, a query string or
    a header value."""
    forbidden = [
        EMAIL,
        PHONE,
        "4155550142",
        "4155550199",
        CLIENT_SECRET,
        "?q=",
        *HEADER_VALUES,
        *secrets,
    ]
    leaks = [(word, line) for line in lines for word in forbidden if word in line]
    assert leaks == [], "\n".join(f"{word!r} in: {line[:300]}" for word, line in leaks)


def tokens_of(store: SQLiteConnectionStore) -> list[str]:
    """The demo connection's access and refresh tokens, as stored now."""
    conn = store.get(CONNECTION)
    assert conn is not None
    return [t.get_secret_value() for t in (conn.access_token, conn.refresh_token) if t]


async def test_debug_logs_carry_no_values(
    tools: Tools,
    control: httpx.AsyncClient,
    emulator: BackgroundEmulator,
    store: SQLiteConnectionStore,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """A query by email, a create with a phone, a refused phone, a token refresh and httpx's
    own request line at DEBUG: useful lines, and none carries a value, token or header."""
    secrets = tokens_of(store)
    soql = f"SELECT Id, Email FROM Contact WHERE Email = '{EMAIL}'"  # noqa: S608 - a fixed test value
    await tools.ok("run_query", {"soql": soql})
    data = {"LastName": "Logs", "Phone": PHONE, "Email": EMAIL}
    await tools.ok("create_record", {"object": "Contact", "data": data})
    await tools.error("create_record", {"object": "Contact", "data": {"Phone": REFUSED_PHONE}})
    await control.post("/_emulator/expire-sessions")
    await tools.ok("run_query", {"soql": soql})
    secrets += tokens_of(store)
    assert secrets[0] != secrets[2], "the session was not renewed"
    # httpx's own line for a request with a query string, as any client of callforce's makes.
    async with httpx.AsyncClient(base_url=emulator.base_url) as http:
        await http.get(f"{API}/query", params={"q": soql}, headers={"X-Caller": EMAIL})

    lines = captured(debug_logs)
    assert_no_values(lines, secrets)
    text = "\n".join(lines)
    host = emulator.base_url
    assert f'HTTP Request: GET {host}{API}/query "HTTP/1.1 ' in text
    assert f'HTTP Request: POST {host}/services/oauth2/token "HTTP/1.1 200 OK"' in text
    assert f"GET {API}/query -> 200" in text
    assert f"POST {API}/sobjects/Contact -> 201" in text
    assert "receive_response_headers.complete status=200" in text
    assert "Tool 'create_record' failed" in text


async def test_tracebacks_carry_no_query_or_token(debug_logs: pytest.LogCaptureFixture) -> None:
    """An exception logged by callforce keeps its traceback, without query string or token."""
    url = (
        f"https://acme.my.salesforce.com{API}/query?q=SELECT+Id+FROM+Contact+WHERE+Email='{EMAIL}'"
    )
    try:
        raise ValueError(f"bad answer from {url} for Bearer 00D5g000004xyzA!AQ4AQFakeSession")
    except ValueError:
        logging.getLogger("callforce.test").exception("call failed: %s", url)
    [line] = captured(debug_logs)
    assert "Traceback" in line
    assert f"acme.my.salesforce.com{API}/query" in line
    assert_no_values([line], ["00D5g000004xyzA!AQ4AQFakeSession", "AQ4AQFakeSession"])


@pytest.mark.parametrize(
    ("logger", "message", "args", "kept", "hidden"),
    [
        (
            "uvicorn.access",
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", f"/oauth/callback?code=aPrx1&state={'s' * 43}", "1.1", 303),
            '"GET /oauth/callback HTTP/1.1" 303',
            ["aPrx1", "s" * 43],
        ),
        (
            "mcp.server.streamable_http_manager",
            "Created new transport with session ID: 3f2b7c9d0e1a4b5c8d7e6f5a4b3c2d1e",
            (),
            "Created new transport with session ID: [hidden]",
            ["3f2b7c9d0e1a4b5c8d7e6f5a4b3c2d1e"],
        ),
        (
            "callforce.salesforce",
            "%s %s -> %d",
            (
                "GET",
                f"/services/data/v62.0/query?q=SELECT Id FROM Contact WHERE Email = '{EMAIL}'",  # noqa: S608 - a fixed test value
                200,
            ),
            "GET /services/data/v62.0/query -> 200",
            [EMAIL, "SELECT"],
        ),
        (
            "httpx",
            "token answer: %s",
            ('{"access_token": "00D5g000004xyzA!AQ4Fake", "refresh_token": "5Aep861Fake"}',),
            '"refresh_token": "[hidden]"',
            ["AQ4Fake", "5Aep861Fake"],
        ),
        (
            "httpcore.http11",
            "send_request_headers.started request=<Request [b'POST']> "
            "headers=[(b'Authorization', b'Bearer 00D!x')]",
            (),
            "send_request_headers.started",
            ["Authorization", "00D!x"],
        ),
    ],
)
def test_other_line_shapes(
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    logger: str,
    message: str,
    args: tuple[object, ...],
    kept: str,
    hidden: list[str],
) -> None:
    """Access lines, session ids, paths with raw blanks in the query, token answers and header
    lists: what is useful stays, the values go."""
    target = logging.getLogger(logger)
    debug_logs.set_level(logging.DEBUG, logger=logger)  # uvicorn's own config may have raised it
    monkeypatch.setattr(target, "propagate", True)
    target.info(message, *args)
    # A set: uvicorn's own logging config, when another test loaded it, may hand it on twice.
    [line] = {line for line in captured(debug_logs) if line.startswith(f"{logger} ")}
    assert kept in line
    assert_no_values([line], hidden)


async def test_serve_log_level_debug_over_stdio(
    settings: Settings,
    store: SQLiteConnectionStore,
    control: httpx.AsyncClient,
    emulator: BackgroundEmulator,
    tmp_path: Path,
) -> None:
    """`callforce serve --log-level debug` (a real process, its own logging): stderr has DEBUG
    lines of callforce, httpx and httpcore, and none of the values, tokens or headers."""
    secrets = tokens_of(store)
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "server.cli", "serve", "--log-level", "debug"],
        env={
            "CALLFORCE_HOME": str(settings.home),
            "CALLFORCE_PRODUCTION_LOGIN_URL": emulator.base_url,
            "CALLFORCE_CLIENT_ID": CLIENT_ID,
            "CALLFORCE_CLIENT_SECRET": CLIENT_SECRET,
        },
        cwd=ROOT,
    )
    soql = f"SELECT Id FROM Contact WHERE Email = '{EMAIL}'"  # noqa: S608 - a fixed test value
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            await control.post("/_emulator/expire-sessions")
            answers: list[Any] = [
                await client.call_tool("run_query", {"soql": soql}),
                await client.call_tool(
                    "create_record",
                    {"object": "Contact", "data": {"LastName": "L", "Phone": PHONE}},
                ),
                await client.call_tool(
                    "create_record", {"object": "Contact", "data": {"Phone": REFUSED_PHONE}}
                ),
            ]
    assert [answer.is_error for answer in answers] == [False, False, True]
    secrets += tokens_of(store)
    lines = stderr.read_text().splitlines()
    assert_no_values(lines, secrets)
    text = "\n".join(lines)
    assert "DEBUG callforce.salesforce: GET /services/data/" in text
    assert "INFO httpx: HTTP Request: POST " in text  # the refresh
    assert "DEBUG httpcore.http11: receive_response_headers.complete status=" in text


def test_log_level_setting() -> None:
    """CALLFORCE_LOG_LEVEL takes a level name in any case; anything else is refused."""
    assert Settings(log_level="debug").log_level == "DEBUG"
    assert Settings().log_level == "WARNING"
    with pytest.raises(ValueError, match="log_level"):
        Settings(log_level="chatty")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_open_home_is_made_private(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A home that group/others may read becomes 0700, its files 0600, its folders 0700 — and
    a warning says so."""
    home = settings.home
    first = SQLiteConnectionStore.from_settings(settings)
    first.renewal_lock(CONNECTION)
    first.close()
    home.chmod(0o755)
    for name in ("callforce.db", "secret.key"):
        (home / name).chmod(0o644)
    (home / "callforce.db.locks").chmod(0o755)
    (home / "notes.txt").write_text("mine")
    (home / "notes.txt").chmod(0o664)

    with caplog.at_level(logging.WARNING, logger="callforce.store"):
        SQLiteConnectionStore.from_settings(settings).close()
    assert _mode(home) == 0o700
    for name in ("callforce.db", "secret.key", "notes.txt"):
        assert _mode(home / name) == 0o600, name
    assert _mode(home / "callforce.db.locks") == 0o700
    assert f"{home} was open to other users (mode 0755)" in caplog.text


def test_a_home_that_cannot_be_made_private_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """When the mode cannot be changed (another owner, a read-only mount), `callforce status`
    exits 2 and says which command makes the home private."""
    home = tmp_path / "shared home"
    SQLiteConnectionStore.from_settings(Settings(home=home)).close()
    home.chmod(0o750)
    real_chmod = os.chmod

    def refuse_for_home(path: Any, mode: int, **kwargs: Any) -> None:
        if Path(path) == home:
            raise PermissionError(1, "Operation not permitted", str(path))
        real_chmod(path, mode, **kwargs)

    monkeypatch.setattr(os, "chmod", refuse_for_home)
    monkeypatch.setenv("CALLFORCE_HOME", str(home))
    monkeypatch.delenv("CALLFORCE_SECRET_KEY", raising=False)
    assert cli.main(["status"]) == 2
    err = capsys.readouterr().err
    assert f"CALLFORCE_HOME {home} is open to other users (mode 0750)" in err
    assert f"chmod 700 '{home}'" in err
    assert "Traceback" not in err
    assert _mode(home) == 0o750
