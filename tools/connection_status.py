"""connection_status: which Salesforce orgs are connected, whether they work, and how much of
each org's daily API allowance was used when callforce last heard from it."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from server.errors import ConnectionNotFound
from server.salesforce.usage import Usage
from server.toolkit import LOCAL_READ, ToolContext, ToolSpec


class ConnectionStatusArgs(BaseModel):
    """connection_status takes no arguments."""


class ApiUsageInfo(BaseModel):
    """The org's daily API usage, as the last Salesforce answer reported it."""

    used: int = Field(description="API requests the org used in the last 24 hours.")
    limit: int = Field(description="The org's daily API allowance.")
    seen_at: dt.datetime = Field(description="When Salesforce reported it (UTC).")

    @classmethod
    def of(cls, usage: Usage | None) -> ApiUsageInfo | None:
        """The model of ``usage``, or None when none was seen."""
        if usage is None:
            return None
        seen_at = dt.datetime.fromtimestamp(usage.seen_at, dt.UTC)
        return cls(used=usage.used, limit=usage.limit, seen_at=seen_at)


class ConnectionInfo(BaseModel):
    """One connected org."""

    name: str = Field(description="The connection's name; pass it as `connection` to other tools.")
    environment: Literal["production", "sandbox", "custom"] = Field(
        description="production, sandbox or custom (a My Domain login host)."
    )
    state: Literal["connected", "needs_reconnect", "disconnected"] = Field(
        description="connected: usable. needs_reconnect: a person must sign in again."
    )
    instance: str = Field(description="The org's instance URL.")
    user: str | None = Field(description="The Salesforce username the connection acts as.")
    is_default: bool = Field(description="Used when a tool call names no connection.")
    last_error: str | None = Field(description="Why the connection stopped working, if it did.")
    api_usage: ApiUsageInfo | None = Field(
        description="The org's daily API usage; null until a Salesforce answer reported it."
    )


class ConnectionStatusResult(BaseModel):
    """Every connection, by name."""

    connections: list[ConnectionInfo]
    default: str | None = Field(description="The default connection's name, if there is one.")

    def agent_text(self) -> str:
        """One line per connection: name, state, environment, default, user, API usage, last
        error."""
        if not self.connections:
            return "No Salesforce org is connected."
        lines = []
        for conn in self.connections:
            notes = [conn.state.replace("_", " "), conn.environment]
            if conn.is_default:
                notes.append("default")
            if conn.user:
                notes.append(f"user {conn.user}")
            if usage := conn.api_usage:
                notes.append(f"API {usage.used:,} of {usage.limit:,} daily requests used")
            if conn.last_error:
                notes.append(f"last error: {conn.last_error}")
            lines.append(f"{conn.name}: {', '.join(notes)}")
        return "\n".join(lines)


async def connection_status(ctx: ToolContext, args: ConnectionStatusArgs) -> ConnectionStatusResult:
    """List the store's connections, with the API usage last seen; no request goes to
    Salesforce."""
    try:
        default: str | None = ctx.services.client.connection_for(None).name
    except ConnectionNotFound:
        default = None
    connections = [
        ConnectionInfo(
            name=conn.name,
            environment=conn.environment,
            state=conn.state,
            instance=conn.instance_url,
            user=conn.username,
            is_default=default is not None and conn.name.lower() == default.lower(),
            last_error=conn.last_error,
            api_usage=ApiUsageInfo.of(ctx.services.client.api_usage.of(conn.name)),
        )
        for conn in ctx.services.store.list()
    ]
    return ConnectionStatusResult(connections=connections, default=default)


SPEC = ToolSpec(
    name="connection_status",
    title="Connection Status",
    description=(
        "The Salesforce orgs callforce can use: name, state, environment, user, default, daily "
        "API usage; no call to Salesforce. One needing reconnect is unusable until a person "
        "signs in: tell the caller it is unavailable."
    ),
    annotations=LOCAL_READ,
    arguments=ConnectionStatusArgs,
    result=ConnectionStatusResult,
    handler=connection_status,
)
