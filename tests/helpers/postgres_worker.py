"""Another process on the PostgreSQL store, for test_postgres_store.

Run as ``python -m tests.helpers.postgres_worker COMMAND ARG`` with the CALLFORCE_* settings
(``CALLFORCE_DATABASE_URL`` among them) in the environment:

- ``hold NAME``: take the renewal lock of connection NAME, print ``held``, then wait forever
  (the test kills it);
- ``open GO_FILE``: wait until GO_FILE exists, open the store (migrating it), print its schema
  version.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from server.settings import Settings
from server.store.postgres import PostgresConnectionStore


def main(command: str, argument: str) -> None:
    """Run ``command`` (see the module doc)."""
    if command == "open":
        go = Path(argument)
        while not go.exists():
            time.sleep(0.005)
    store = PostgresConnectionStore.from_settings(Settings())
    if command == "hold":
        if not store.renewal_lock(argument).acquire():
            sys.exit("the lock was taken")
        sys.stdout.write("held\n")
        sys.stdout.flush()
        while True:
            time.sleep(60)
    sys.stdout.write(f"{store.schema_version}\n")
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
