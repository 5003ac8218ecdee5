"""Opening the connection store the settings name: :func:`open_store`.

``CALLFORCE_DATABASE_URL`` set: the PostgreSQL store, shared by every replica using that
database (:mod:`server.store.postgres`); unset: the SQLite store in the home
(:mod:`server.store.sqlite`). Every command and the server open their store here.
"""

from __future__ import annotations

from server.settings import Settings
from server.store.interface import ConnectionStore
from server.store.sqlite import DB_FILE, SQLiteConnectionStore


def open_store(settings: Settings) -> ConnectionStore:
    """The store of ``settings``: PostgreSQL when a database URL is set, else SQLite.

    Opening migrates the schema. PostgreSQL that cannot be reached is
    :class:`~server.errors.StoreUnavailable`; a database or file written by a newer callforce,
    or PostgreSQL whose tokens were sealed with another key, is
    :class:`~server.store.interface.StoreRefused`, which says so.
    """
    if settings.database_url is None:
        return SQLiteConnectionStore.from_settings(settings)
    # Only a process that uses PostgreSQL loads psycopg.
    from server.store.postgres import PostgresConnectionStore  # noqa: PLC0415

    return PostgresConnectionStore.from_settings(settings)


def store_exists(settings: Settings) -> bool:
    """Whether there is a store to read (reading one never creates the SQLite file)."""
    return settings.database_url is not None or (settings.home / DB_FILE).exists()
