"""docs/deploy.md says what callforce does: the settings it names exist, the messages it quotes
are the ones a replica prints or an agent hears, and the README and the clients page lead to
it."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest

from server import cli
from server.errors import StoreUnavailable
from server.settings import Settings
from server.store.crypto import TokenCipher
from server.store.postgres import PostgresConnectionStore
from server.store.postgres_schema import KeyMismatch

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deploy.md"


def _prose() -> str:
    """The page with its line breaks and emphasis taken out, as a reader reads it."""
    return " ".join(DOC.read_text(encoding="utf-8").replace("*", "").split())


def test_every_setting_named_exists() -> None:
    """Each `CALLFORCE_*` the page names is a setting."""
    named = set(re.findall(r"CALLFORCE_([A-Z_]+)", DOC.read_text(encoding="utf-8")))
    assert named
    assert named <= {name.upper() for name in Settings.model_fields}


def test_the_outage_message_is_the_one_an_agent_hears() -> None:
    """The page quotes StoreUnavailable's message word for word."""
    assert StoreUnavailable().message in _prose()


def test_the_key_refusal_is_the_one_a_replica_prints(database_url: str) -> None:
    """A second key on the same database is refused with the line the page quotes."""
    PostgresConnectionStore(database_url, TokenCipher(os.urandom(32))).close()
    with pytest.raises(KeyMismatch) as refused:
        PostgresConnectionStore(database_url, TokenCipher(os.urandom(32)))
    assert f"callforce: {refused.value}" in DOC.read_text(encoding="utf-8").splitlines()


def test_a_replica_with_another_key_exits_2_with_that_line(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`callforce status` (as `serve`) with another key than the database's: exit 2, the one
    line the page quotes, no traceback."""
    PostgresConnectionStore(database_url, TokenCipher(os.urandom(32))).close()
    monkeypatch.setenv("CALLFORCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CALLFORCE_DATABASE_URL", database_url)
    monkeypatch.setenv("CALLFORCE_SECRET_KEY", base64.b64encode(os.urandom(32)).decode())
    assert cli.main(["status"]) == 2
    printed = capsys.readouterr().err
    assert "Traceback" not in printed
    assert printed.strip() in DOC.read_text(encoding="utf-8").splitlines()


def test_the_page_is_linked_and_links_resolve() -> None:
    """README and docs/clients.md link the page; the page's own links lead to files."""
    assert "(docs/deploy.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(deploy.md)" in (ROOT / "docs" / "clients.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", DOC.read_text(encoding="utf-8")):
        assert (DOC.parent / target).is_file(), target
