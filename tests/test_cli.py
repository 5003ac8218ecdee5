"""`callforce connect`, `status` and `disconnect` against an emulated org and a store in tmp_path.

The commands run in-process through ``server.cli.main`` with the environment they would read.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bench._harness import free_port
from emulator.config import EmulatorConfig
from emulator.server import BackgroundEmulator
from server import cli
from server.settings import Settings
from server.store.interface import Connection
from server.store.sqlite import SQLiteConnectionStore
from tests.helpers.demo_org import CLIENT_ID, CLIENT_SECRET, DEMO_USER, demo_tokens
from tests.helpers.jwt_keys import write_jwt_key

TOKEN_VARIABLES = ("CALLFORCE_ACCESS_TOKEN", "CALLFORCE_REFRESH_TOKEN", "CALLFORCE_PASSWORD")


@pytest.fixture(scope="module")
def emulator() -> Iterator[BackgroundEmulator]:
    """The demo org on a free port, for the whole module."""
    with BackgroundEmulator(EmulatorConfig()) as running:
        yield running


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: BackgroundEmulator) -> Path:
    """CALLFORCE_HOME in tmp_path; the emulator as login host and its demo app configured."""
    path = tmp_path / "home"
    monkeypatch.setenv("CALLFORCE_HOME", str(path))
    monkeypatch.setenv("CALLFORCE_PRODUCTION_LOGIN_URL", emulator.base_url)
    monkeypatch.setenv("CALLFORCE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("CALLFORCE_CLIENT_SECRET", CLIENT_SECRET)
    for name in (*TOKEN_VARIABLES, "CALLFORCE_DEFAULT_CONNECTION", "CALLFORCE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    emulator.org.request_log.clear()
    return path


def store_at(home: Path) -> SQLiteConnectionStore:
    """The store under ``home`` (the same one the commands use)."""
    return SQLiteConnectionStore.from_settings(Settings(home=home))


def save(home: Path, name: str, login_url: str, *, access: str, refresh: str | None) -> None:
    """Save a connection as the browser sign-in would leave it."""
    store = store_at(home)
    store.save(
        Connection(
            name=name,
            environment="production",
            login_url=login_url,
            instance_url=login_url,
            auth_kind="oauth",
            access_token=SecretStr(access),
            refresh_token=SecretStr(refresh) if refresh else None,
            username=DEMO_USER,
        )
    )
    store.close()


def test_status_without_a_store(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`status` on a fresh machine says there is nothing, and creates nothing."""
    assert cli.main(["status"]) == 0
    assert "No connections" in capsys.readouterr().out
    assert not home.exists()


def test_status_lists_connections(
    home: Path, emulator: BackgroundEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status` prints one row per connection: name, environment, state, instance, user, default."""
    access, refresh = demo_tokens(emulator)
    save(home, "prod", emulator.base_url, access=access, refresh=refresh)
    save(home, "backup", emulator.base_url, access=access, refresh=None)
    store = store_at(home)
    store.set_default("prod")
    store.mark("backup", "needs_reconnect", "The refresh token was revoked.")
    store.close()
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "ENVIRONMENT", "STATE", "INSTANCE", "USER", "DEFAULT"]
    assert lines[1].split() == [
        "backup",
        "production",
        "needs_reconnect",
        emulator.base_url,
        DEMO_USER,
    ]
    assert lines[2].split() == [
        "prod",
        "production",
        "connected",
        emulator.base_url,
        DEMO_USER,
        "yes",
    ]
    assert "backup: The refresh token was revoked." in out
    assert access not in out
    assert refresh not in out


def test_connect_access_token_from_stdin_then_status(
    home: Path,
    emulator: BackgroundEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`connect --access-token` reads stdin, checks the token, stores it; status shows it."""
    access, _ = demo_tokens(emulator)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{access}\n"))
    base = emulator.base_url
    argv = ["connect", "--env", base, "--name", "dev", "--access-token", "--instance-url", base]
    assert cli.main(argv) == 0
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Connected 'dev' (default): demo@callforce.dev" in out
    assert ["dev", "custom", "connected", base, DEMO_USER, "yes"] in [
        line.split() for line in out.splitlines()
    ]
    assert access not in out
    store = store_at(home)
    conn = store.get("dev")
    store.close()
    assert conn is not None
    assert conn.auth_kind == "token"
    assert conn.access_token is not None
    assert conn.access_token.get_secret_value() == access
    assert access.encode() not in (home / "callforce.db").read_bytes()


def test_connect_access_and_refresh_token_from_environment(
    home: Path, emulator: BackgroundEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CALLFORCE_ACCESS_TOKEN and CALLFORCE_REFRESH_TOKEN make a renewable oauth connection."""
    access, refresh = demo_tokens(emulator)
    monkeypatch.setenv("CALLFORCE_ACCESS_TOKEN", access)
    monkeypatch.setenv("CALLFORCE_REFRESH_TOKEN", refresh)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    base = emulator.base_url
    argv = ["connect", "--env", base, "--access-token", "--refresh-token", "--instance-url", base]
    assert cli.main(argv) == 0
    store = store_at(home)
    conn = store.get("local")
    store.close()
    assert conn is not None
    assert conn.auth_kind == "oauth"
    assert conn.refresh_token is not None
    assert conn.refresh_token.get_secret_value() == refresh


def test_tokens_are_never_taken_from_argv(home: Path) -> None:
    """A token given on the command line is a usage error (argv leaks to history and ps)."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["connect", "--access-token", "00Dxx!secret", "--instance-url", "https://x"])
    assert exit_info.value.code == 2


def test_connect_refuses_a_token_the_org_rejects(
    home: Path,
    emulator: BackgroundEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An access token the org does not accept is not stored."""
    monkeypatch.setattr("sys.stdin", io.StringIO("00Dnot!valid\n"))
    base = emulator.base_url
    assert cli.main(["connect", "--env", base, "--access-token", "--instance-url", base]) == 2
    assert "refused the access token (HTTP 40" in capsys.readouterr().err
    store = store_at(home)
    assert store.list() == []
    store.close()


def test_connect_client_credentials(
    home: Path, emulator: BackgroundEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """`connect --client-credentials` runs the grant at the given My Domain and stores it."""
    base = emulator.base_url
    assert cli.main(["connect", "--env", base, "--name", "svc", "--client-credentials"]) == 0
    assert "Connected 'svc' (default): demo@callforce.dev" in capsys.readouterr().out
    grants = [e.grant_type for e in emulator.org.request_log if e.path.endswith("/token")]
    assert grants == ["client_credentials"]
    store = store_at(home)
    conn = store.get("svc")
    store.close()
    assert conn is not None
    assert (conn.auth_kind, conn.client_id, conn.refresh_token) == (
        "client_credentials",
        CLIENT_ID,
        None,
    )


def test_client_credentials_need_a_my_domain(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Client credentials against login.salesforce.com are refused before any request."""
    monkeypatch.setenv("CALLFORCE_PRODUCTION_LOGIN_URL", "https://login.salesforce.com")
    assert cli.main(["connect", "--client-credentials"]) == 2
    assert "My Domain" in capsys.readouterr().err


def _jwt_key(directory: Path) -> tuple[Path, str]:
    """A PEM private key file and the certificate (PEM) of its public key."""
    return write_jwt_key(directory)


def test_connect_jwt(
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`connect --jwt` signs an assertion with the key file and stores the key's absolute path."""
    key_path, certificate = _jwt_key(tmp_path)
    monkeypatch.chdir(tmp_path)
    with BackgroundEmulator(EmulatorConfig(jwt_certificate_pem=certificate)) as org:
        argv = ["connect", "--env", org.base_url, "--name", "ci", "--jwt"]
        argv += ["--username", DEMO_USER, "--key", key_path.name]
        assert cli.main(argv) == 0
    assert "Connected 'ci' (default): demo@callforce.dev" in capsys.readouterr().out
    store = store_at(home)
    conn = store.get("ci")
    store.close()
    assert conn is not None
    assert (conn.auth_kind, conn.username, conn.key_path) == (
        "jwt",
        DEMO_USER,
        str(key_path.resolve()),
    )


def test_connect_password_on_the_emulator(
    home: Path,
    emulator: BackgroundEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`connect --password` works against a loopback login host, password from stdin."""
    monkeypatch.setattr("sys.stdin", io.StringIO("demo\n"))
    argv = ["connect", "--env", emulator.base_url, "--password", "--username", DEMO_USER]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    assert "Connected 'local' (default)" in captured.out
    assert "until the session ends" in captured.err


def test_password_refused_off_loopback(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The password grant is refused for a real login host."""
    monkeypatch.setattr("sys.stdin", io.StringIO("hunter2\n"))
    argv = ["connect", "--env", "https://acme.my.salesforce.com", "--password", "--username", "u"]
    assert cli.main(argv) == 2
    assert "local emulator only" in capsys.readouterr().err


def test_browser_flow_not_available_yet(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`connect` without a headless method says the browser sign-in is coming, exit 2."""
    assert cli.main(["connect", "--env", "sandbox"]) == 2
    assert "needs a person at a terminal" in capsys.readouterr().err


def test_disconnect_revokes_and_forgets(
    home: Path, emulator: BackgroundEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """`disconnect` revokes the refresh token at the login host, then forgets the connection."""
    access, refresh = demo_tokens(emulator)
    save(home, "demo", emulator.base_url, access=access, refresh=refresh)
    assert cli.main(["disconnect", "demo"]) == 0
    assert "Revoked 'demo'" in capsys.readouterr().out
    assert [e.path for e in emulator.org.request_log] == ["/services/oauth2/revoke"]
    refreshed = httpx.post(
        f"{emulator.base_url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert refreshed.json()["error"] == "invalid_grant"
    store = store_at(home)
    assert store.get("demo") is None
    store.close()


def test_disconnect_forgets_even_when_revoke_fails(
    home: Path, emulator: BackgroundEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the login host cannot be reached the connection is forgotten anyway, and it says so."""
    access, refresh = demo_tokens(emulator)
    gone = f"http://127.0.0.1:{free_port()}"
    save(home, "gone", gone, access=access, refresh=refresh)
    assert cli.main(["disconnect", "gone"]) == 1
    err = capsys.readouterr().err
    assert "could not revoke 'gone'" in err
    assert "Forgot 'gone' anyway" in err
    assert refresh not in err
    store = store_at(home)
    assert store.get("gone") is None
    store.close()


def test_disconnect_unknown_name(
    home: Path, emulator: BackgroundEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """`disconnect` of a name that is not stored names the ones that are, exit 1."""
    access, _ = demo_tokens(emulator)
    save(home, "prod", emulator.base_url, access=access, refresh=None)
    assert cli.main(["disconnect", "nope"]) == 1
    assert "no connection named 'nope' (known: prod)" in capsys.readouterr().err
