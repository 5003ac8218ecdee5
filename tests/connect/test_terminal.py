"""`callforce connect` without a headless option: the browser sign-in with a loopback callback.

The "browser" is a thread that logs in on the emulator's pages over HTTP and then follows
Salesforce's redirect to the command's own callback server, as a real browser would.
"""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bench._harness import free_port
from emulator.server import BackgroundEmulator
from server import cli
from server.connect import terminal as connect_cli
from server.settings import Settings
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.connect_flow import query_of, salesforce_answer
from tests.helpers.demo_org import DEMO_USER, make_settings


class Terminal(io.StringIO):
    """Standard input that is a terminal."""

    def isatty(self) -> bool:
        """A person is there."""
        return True


class Browser:
    """Opens a URL in a thread: logs in, answers consent, lands on the callback."""

    def __init__(self, *, approve: bool = True) -> None:
        self.approve = approve
        self.opened: list[str] = []
        self.landed: list[httpx.Response] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return True

    def _visit(self, url: str) -> None:
        callback = asyncio.run(salesforce_answer(url, approve=self.approve))
        self.landed.append(httpx.get(callback, timeout=30))

    def join(self) -> None:
        """Wait for the visits to finish."""
        for thread in self._threads:
            thread.join(timeout=30)


@pytest.fixture
def terminal_settings(
    tmp_path: Path, production: BackgroundEmulator, sandbox: BackgroundEmulator
) -> Settings:
    """Settings for the two emulators, with a callback port no other test uses."""
    return make_settings(tmp_path / "home", production, sandbox, http_port=free_port())


def run_connect(settings: Settings, argv: list[str], browser: Browser, stdin: io.StringIO) -> int:
    """``callforce connect ARGV`` in-process with the given browser and standard input."""
    args = cli.build_parser().parse_args(["connect", *argv])
    code = connect_cli.connect(args, settings, stdin=stdin, open_browser=browser)
    browser.join()
    return code


def stored(settings: Settings) -> list[Connection]:
    """The connections the command left in the store."""
    store = SQLiteConnectionStore.from_settings(settings)
    try:
        return store.list()
    finally:
        store.close()


def test_connect_in_the_browser(
    terminal_settings: Settings, sandbox: BackgroundEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """`connect --env sandbox --name uat` opens the sandbox login, then prints "Connected: …"."""
    browser = Browser()
    assert run_connect(terminal_settings, ["--env", "sandbox", "--name", "uat"], browser,
                       Terminal()) == 0  # fmt: skip
    out = capsys.readouterr().out
    [url] = browser.opened
    assert url.startswith(f"{sandbox.base_url}/services/oauth2/authorize?")
    port = terminal_settings.http_port
    assert query_of(url)["redirect_uri"] == f"http://127.0.0.1:{port}/oauth/callback"
    assert url in out
    assert f"Connected: uat ({DEMO_USER} on {sandbox.base_url})" in out
    [landed] = browser.landed
    assert landed.status_code == 200
    assert "Connected" in landed.text
    assert "close this tab" in landed.text
    [conn] = stored(terminal_settings)
    assert (conn.name, conn.environment, conn.org_id) == ("uat", "sandbox", sandbox.org.org_id)


def test_denied_in_the_browser(
    terminal_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deny → exit 1, the terminal and the browser say consent was denied; nothing stored."""
    browser = Browser(approve=False)
    assert run_connect(terminal_settings, [], browser, Terminal()) == 1
    err = capsys.readouterr().err
    assert "Deny was chosen" in err
    [landed] = browser.landed
    assert landed.status_code == 400
    assert "Deny was chosen" in landed.text
    assert stored(terminal_settings) == []


def test_busy_port_falls_back_to_a_free_one(
    terminal_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the configured port is taken, the callback uses a free port and says so."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", terminal_settings.http_port))
        taken.listen()
        browser = Browser()
        assert run_connect(terminal_settings, ["--name", "prod"], browser, Terminal()) == 0
    out = capsys.readouterr().out
    redirect = query_of(browser.opened[0])["redirect_uri"]
    assert f":{terminal_settings.http_port}/" not in redirect
    assert f"Port {terminal_settings.http_port} is busy" in out
    assert redirect in out


def test_name_of_an_existing_connection_reconnects(
    terminal_settings: Settings,
    production: BackgroundEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`connect --name prod` for a connection that needs reconnecting signs in again for it."""
    store = SQLiteConnectionStore.from_settings(terminal_settings)
    store.save(
        Connection(
            name="prod", environment="production", login_url=production.base_url,
            instance_url=production.base_url, auth_kind="oauth", org_id=production.org.org_id,
            access_token=SecretStr("dead"), refresh_token=SecretStr("dead"),
            state="needs_reconnect", is_default=True,
        )
    )  # fmt: skip
    store.close()
    assert run_connect(terminal_settings, ["--name", "prod"], Browser(), Terminal()) == 0
    assert "Connected: prod" in capsys.readouterr().out
    [conn] = stored(terminal_settings)
    assert conn.state == "connected"
    assert conn.is_default
    assert conn.refresh_token is not None
    assert conn.refresh_token.get_secret_value() != "dead"


def test_refused_without_a_terminal(
    terminal_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a terminal on stdin the browser sign-in is refused at once (exit 2)."""
    browser = Browser()
    assert run_connect(terminal_settings, [], browser, io.StringIO()) == 2
    assert "needs a person at a terminal" in capsys.readouterr().err
    assert browser.opened == []


def test_bad_my_domain_is_refused_before_the_browser(
    terminal_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """A My Domain that is not a Salesforce host: exit 2, no browser opened."""
    browser = Browser()
    code = run_connect(
        terminal_settings, ["--env", "https://evil.example.com"], browser, Terminal()
    )
    assert code == 2
    assert "not a Salesforce domain" in capsys.readouterr().err
    assert browser.opened == []
