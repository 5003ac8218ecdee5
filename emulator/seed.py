"""Placeholder seed: being written."""

from __future__ import annotations

from collections.abc import Callable

from emulator.config import EmulatorConfig
from emulator.org import Org


def seeder_for(config: EmulatorConfig | None) -> Callable[[Org], None]:
    """The seeding function for the configured seed."""

    def seed(org: Org) -> None:
        now = org.now().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        user = {
            "Id": org.store.new_id("User"), "Username": org.config.username,
            "LastName": "Demo", "FirstName": "Dana", "Name": "Dana Demo",
            "Email": org.config.username, "IsActive": True, "CreatedDate": now,
        }
        with org.store.batch() as batch:
            batch.insert("User", user)

    return seed
