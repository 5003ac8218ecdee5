"""One process of test_rotation: calls the org through the shared store, one call per round.

Run as ``python -m tests.connect.rotation_worker FOLDER NAME ROUNDS`` with the CALLFORCE_*
settings in the environment (with ``CALLFORCE_DATABASE_URL``, the PostgreSQL store). Before each
round it writes ``ready-NAME-N`` into FOLDER and waits for ``go-N``; at the end it prints the
outcome of every call as a JSON list ("ok" or the error).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from server.errors import CallforceError
from server.salesforce.client import SalesforceClient
from server.settings import Settings
from server.store.opening import open_store


async def run(folder: Path, name: str, rounds: int) -> list[str]:
    """Call the org once per round, when the test says go."""
    settings = Settings()
    store = open_store(settings)
    outcomes: list[str] = []
    try:
        async with SalesforceClient(settings, store) as client:
            for round_number in range(rounds):
                (folder / f"ready-{name}-{round_number}").touch()
                while not (folder / f"go-{round_number}").exists():  # noqa: ASYNC110 - a file is the signal
                    await asyncio.sleep(0.01)
                try:
                    await client.query("SELECT Id FROM Account LIMIT 1")
                    outcomes.append("ok")
                except CallforceError as exc:
                    outcomes.append(exc.message)
    finally:
        store.close()
    return outcomes


if __name__ == "__main__":
    folder, name, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    sys.stdout.write(json.dumps(asyncio.run(run(folder, name, rounds))) + "\n")
