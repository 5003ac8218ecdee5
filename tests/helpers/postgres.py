"""A throwaway PostgreSQL cluster for the tests: :class:`PostgresCluster`.

``initdb`` in a temporary directory, the server on a free loopback port (and a Unix socket in
that directory), ``fsync`` off, trust authentication for local connections only; stopped and
removed at the end. PostgreSQL refuses to run as root, so when the tests run as root the
cluster belongs to an unprivileged OS user (``postgres`` if the package made one, else
``nobody``, else one created with ``useradd``); otherwise it is the tests' own user.
:func:`find_bindir` finds the binaries (``pg_config --bindir``, then
``/usr/lib/postgresql/*/bin``); without them the PostgreSQL tests are skipped.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

#: The user the tests create when running as root on a system that has neither of these.
_FALLBACK_USER = "callforce-pg"
_USERS = ("postgres", "nobody")
_START_SECONDS = 60


def find_bindir() -> Path | None:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            found = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(Path(found))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += versions
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _server_user() -> str | None:
    """Who runs the server: None for the current user, else an unprivileged one (as root)."""
    if os.geteuid() != 0:
        return None
    for name in _USERS:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", _FALLBACK_USER],
        check=True,
        capture_output=True,
    )
    return _FALLBACK_USER


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresCluster:
    """One running throwaway cluster; :meth:`database` makes a fresh database on it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.user = _server_user()
        # Not under pytest's temporary folder: the server's user must be able to reach it.
        self.root = Path(tempfile.mkdtemp(prefix="callforce-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._started = False

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.user is not None:
            record = pwd.getpwnam(self.user)
            kwargs = {"user": record.pw_uid, "group": record.pw_gid, "extra_groups": []}
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
            cwd=self.root,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "HOME": str(self.root)},
            timeout=_START_SECONDS,
            **kwargs,  # type: ignore[call-overload]  # user/group only as root
        )

    def start(self) -> PostgresCluster:
        """initdb and start the server; the cluster, for chaining."""
        if self.user is not None:
            record = pwd.getpwnam(self.user)
            os.chown(self.root, record.pw_uid, record.pw_gid)
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        self.start_server()
        return self

    def start_server(self) -> None:
        """Start (or restart after :meth:`stop_server`) the server on the same port and data."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
            "-w", "-t", str(_START_SECONDS), "-o", options, "start",
        )  # fmt: skip
        self._started = True

    @property
    def running(self) -> bool:
        """Whether the server was started and not stopped since (by :meth:`stop_server`)."""
        return self._started

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as a crash would), keeping its data."""
        if self._started:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
            self._started = False

    def url(self, database: str = "postgres") -> str:
        """A URL of ``database`` over TCP, as a replica would use it."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """The URL of a new, empty database."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        """Stop the server and remove everything."""
        try:
            self.stop_server("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
