"""What the connect page shows, as template context: a card per connection (with its org's daily
API usage, as the MCP server's client last saw it), and the notice banner after a step
(connected, disconnected, a failed sign-in …).

A notice comes from the page's own redirect (``?notice=…&name=…``), so anyone can forge the link:
it only ever selects one of the fixed texts below, and a name that is not a valid connection
name is dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from server.connect.errors import REASONS, failure_text, salesforce_code
from server.salesforce.usage import Usage
from server.store.interface import CONNECTION_NAME, Connection, ConnectionStore

_STATES = {
    "connected": "Connected",
    "needs_reconnect": "Needs reconnect",
    "disconnected": "Disconnected",
}
_ENVIRONMENTS = {"production": "Production", "sandbox": "Sandbox", "custom": "My Domain"}
#: From this share of the daily allowance on, the bar warns.
USAGE_WARNING = 0.9


def login_host(url: str) -> str:
    """The host (and port) a login URL names, as the page shows it."""
    return urlsplit(url).netloc


def usage_bar(usage: Usage | None) -> dict[str, Any] | None:
    """The daily API usage as the page's ``<meter>`` draws it (None: not measured yet).

    The meter is green up to 90 % of the allowance, amber above, red past the last request;
    ``tone`` says in words what the colour says (a note under the facts).
    """
    if usage is None:
        return None
    seen = dt.datetime.fromtimestamp(usage.seen_at, dt.UTC)
    tone = (
        "spent" if usage.used >= usage.limit else "high" if usage.fraction >= USAGE_WARNING else ""
    )
    return {
        "used": f"{usage.used:,}",
        "limit": f"{usage.limit:,}",
        "value": usage.used,
        "max": usage.limit,
        "low": math.ceil(usage.limit * USAGE_WARNING),
        "high": max(usage.limit - 1, 0),
        "seen": f"{seen:%Y-%m-%d %H:%M} UTC",
        "tone": tone,
    }


def connection_card(
    conn: Connection, default: str | None, *, fixed_default: bool, usage: Usage | None = None
) -> dict[str, Any]:
    """One connection as the page lists it; ``default`` is the default's name in lower case,
    ``fixed_default`` that the settings choose it (the page then offers no "Make default");
    ``usage`` the org's latest daily API usage, if any was seen."""
    return {
        "name": conn.name,
        "state": conn.state,
        "state_label": _STATES.get(conn.state, conn.state),
        "environment": _ENVIRONMENTS.get(conn.environment, conn.environment),
        "login_host": login_host(conn.login_url),
        "org_id": conn.org_id,
        "username": conn.username,
        "instance_url": conn.instance_url,
        "is_default": conn.name.lower() == default,
        "last_error": conn.last_error,
        "can_make_default": not fixed_default and conn.name.lower() != default,
        "usage": usage_bar(usage),
    }


def notice(query: Mapping[str, str], store: ConnectionStore) -> dict[str, Any] | None:
    """The banner for ``?notice=…``: fixed texts, the name only if it is a valid one."""
    kind = query.get("notice", "")
    name = query.get("name", "")
    name = name if CONNECTION_NAME.fullmatch(name) else ""
    if kind == "connected" and name:
        conn = store.get(name)
        if conn is None:
            return None
        return {
            "tone": "success",
            "title": "Connected",
            "message": f"The connection '{conn.name}' is ready for your agents.",
            "hint": "",
            "details": [
                ("Org", conn.org_id or "unknown"),
                ("User", conn.username or "unknown"),
                ("Instance", conn.instance_url),
            ],
        }
    texts = {
        "disconnected": ("Disconnected", f"'{name}' was revoked at Salesforce and forgotten."),
        "unrevoked": (
            "Disconnected",
            f"'{name}' was forgotten, but Salesforce could not be reached to revoke its "
            "access. It ends when the tokens expire, or an admin revokes it in Setup → "
            "Connected Apps OAuth Usage.",
        ),
        "default": ("Default changed", f"Tools now use '{name}' unless told otherwise."),
        "gone": ("Not found", f"There is no connection named '{name}' any more."),
    }
    if kind in texts and name:
        title, message = texts[kind]
        tone = "success" if kind in ("disconnected", "default") else "warning"
        return {"tone": tone, "title": title, "message": message, "hint": "", "details": []}
    if kind in REASONS and kind != "input":
        code = query.get("sf", "")
        message, hint = failure_text(kind, salesforce_code(code))
        return {
            "tone": "error",
            "title": "Not connected",
            "message": message,
            "hint": hint,
            "details": [],
        }
    return None
