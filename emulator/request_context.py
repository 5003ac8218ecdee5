"""What a route needs from the request: the org, the caller's session, the API version, the body."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from emulator.errors import invalid_session, json_parser_error
from emulator.org import Org
from emulator.sessions import Session


def org_of(request: Request) -> Org:
    """The org this app serves."""
    org: Org = request.app.state.org
    return org


def session_of(request: Request) -> Session:
    """The caller's session, set by the middleware on every data API request."""
    found: Session | None = request.scope.get("state", {}).get("session")
    if found is None:
        raise invalid_session()
    return found


def api_version(request: Request) -> str:
    """The API version of the request path, e.g. ``"62.0"``."""
    version: str = request.path_params["version"]
    return version


async def read_json(request: Request) -> Any:
    """The parsed JSON body, or Salesforce's JSON_PARSER_ERROR."""
    raw = await request.body()
    if not raw.strip():
        raise json_parser_error(
            "The HTTP entity body is required, but this request has no entity body."
        )
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        char = exc.doc[exc.pos] if exc.pos < len(exc.doc) else ""
        found = (
            f"Unexpected character ('{char}' (code {ord(char)}))"
            if char
            else "Unexpected end-of-input"
        )
        raise json_parser_error(
            f"{found}: {exc.msg.lower()} at [line:{exc.lineno}, column:{exc.colno}]"
        ) from None
    except (ValueError, RecursionError):
        # Invalid UTF-8, nesting deeper than the parser allows, or an integer literal longer
        # than Python converts (4,300 digits): all client mistakes, never a 500.
        raise json_parser_error("Invalid UTF-8, nesting or number in the request body") from None
