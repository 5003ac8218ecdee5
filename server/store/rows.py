"""A connection row, as both stores read it: :func:`connection_of`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import SecretStr

from server.errors import StoredTokenUnreadable
from server.store.interface import Connection

logger = logging.getLogger("callforce.store")
#: The sealed columns of a connection row.
TOKEN_COLUMNS = ("access_token", "refresh_token")
#: Opens a sealed token: (connection name, column, sealed bytes or None) → the token or None.
TokenOpener = Callable[[str, str, Any], SecretStr | None]


def connection_of(
    row: Mapping[str, Any],
    open_token: TokenOpener,
    *,
    created_at: dt.datetime,
    updated_at: dt.datetime,
) -> Connection:
    """The :class:`Connection` of a row (column → value); times already read by the store.

    A row whose tokens do not decrypt is unusable, not the store: it reads as
    ``needs_reconnect`` with the reason, and the others keep listing.
    """
    values = dict(row)
    name: str = values["name"]
    tokens: dict[str, SecretStr | None] = {}
    try:
        for column in TOKEN_COLUMNS:
            tokens[column] = open_token(name, column, values[column])
    except StoredTokenUnreadable as exc:
        logger.warning("stored tokens of connection %r do not decrypt", name)
        tokens = dict.fromkeys(TOKEN_COLUMNS)
        values["state"] = "needs_reconnect"
        values["last_error"] = exc.message
    return Connection(
        name=name,
        environment=values["environment"],
        login_url=values["login_url"],
        instance_url=values["instance_url"],
        auth_kind=values["auth_kind"],
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        org_id=values["org_id"],
        user_id=values["user_id"],
        username=values["username"],
        client_id=values["client_id"],
        key_path=values["key_path"],
        state=values["state"],
        last_error=values["last_error"],
        is_default=bool(values["is_default"]),
        created_at=created_at,
        updated_at=updated_at,
    )
