"""The store tests' two backends behind one face: :class:`Backend`.

A backend opens stores of one kind on one place — a home for SQLite, a database (and a home for
the key file) for PostgreSQL — as several processes would, each through
:func:`~server.store.opening.open_store`; runs raw SQL there as another program would; and
knows how long a change made elsewhere takes to reach a store's reads (:meth:`Backend.settle`:
at once for SQLite, the snapshot's check interval for PostgreSQL).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Literal

import psycopg

from server.settings import Settings
from server.store.interface import ConnectionStore
from server.store.opening import open_store
from server.store.postgres_snapshot import CHECK_SECONDS
from server.store.sqlite import DB_FILE

Kind = Literal["sqlite", "postgres"]


class Backend:
    """Stores of one kind on one place; closes every store it opened."""

    def __init__(self, kind: Kind, home: Path, database_url: str | None = None) -> None:
        self.kind = kind
        self.settings = Settings(home=home, database_url=database_url)
        self._opened: list[ConnectionStore] = []

    def __repr__(self) -> str:
        return f"Backend({self.kind})"

    def open(self) -> ConnectionStore:
        """A new store on the place (another process's, as far as the store can tell)."""
        store = open_store(self.settings)
        self._opened.append(store)
        return store

    def execute(self, statement: str, values: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run ``statement`` (``?`` placeholders) on the place directly; its rows."""
        if self.kind == "sqlite":
            raw = sqlite3.connect(self.settings.home / DB_FILE, isolation_level=None)
            try:
                return raw.execute(statement, values).fetchall()
            finally:
                raw.close()
        assert self.settings.database_url is not None
        url = self.settings.database_url.get_secret_value()
        with psycopg.connect(url, autocommit=True) as raw:
            cursor = raw.execute(statement.replace("?", "%s"), values)
            return cursor.fetchall() if cursor.description else []

    def settle(self) -> None:
        """Wait until a change made elsewhere reaches every store's reads."""
        if self.kind == "postgres":
            time.sleep(CHECK_SECONDS * 1.2)

    def close(self) -> None:
        """Close every store opened here."""
        for store in self._opened:
            store.close()
