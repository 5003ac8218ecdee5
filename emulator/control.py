"""``/_emulator/`` control endpoints, for tests and benchmarks (never part of Salesforce's surface).

- ``POST /_emulator/faults`` add a rule ``{"method", "path", "status", "body", "delay_ms",
  "drop", "times"}``; ``DELETE`` clears them; ``GET`` lists them.
- ``POST /_emulator/expire-sessions`` every access token stops working; refresh tokens stay.
- ``GET /_emulator/requests`` the request log, oldest first; ``DELETE`` clears it.
- ``GET /_emulator/limits`` the daily API count and allowance ``{"api_requests",
  "api_request_limit"}``; ``POST`` sets either or both (non-negative integers) and answers the
  same, so a test can drive the org near its limit: with the count at the allowance every data
  request is refused 403 REQUEST_LIMIT_EXCEEDED (see :mod:`emulator.middleware`).
- ``POST /_emulator/reset`` back to the seed (records, tokens, faults, log, the count and the
  configured allowance).
"""

from __future__ import annotations

import dataclasses
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from emulator.middleware import fault_rule_from_json
from emulator.org import Org
from emulator.request_context import org_of


async def add_fault(request: Request) -> Response:
    """Add a fault rule."""
    try:
        rule = fault_rule_from_json(json.loads(await request.body()))
    except (ValueError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    org_of(request).faults.append(rule)
    return JSONResponse(dataclasses.asdict(rule), status_code=201)


async def list_faults(request: Request) -> Response:
    """The pending fault rules."""
    return JSONResponse([dataclasses.asdict(rule) for rule in org_of(request).faults])


async def clear_faults(request: Request) -> Response:
    """Remove every fault rule."""
    org_of(request).faults.clear()
    return Response(status_code=204)


async def expire_sessions(request: Request) -> Response:
    """Invalidate every access token."""
    org_of(request).tokens.expire_all()
    return Response(status_code=204)


async def list_requests(request: Request) -> Response:
    """The request log, oldest first."""
    return JSONResponse([dataclasses.asdict(entry) for entry in org_of(request).request_log])


async def clear_requests(request: Request) -> Response:
    """Empty the request log."""
    org_of(request).request_log.clear()
    return Response(status_code=204)


_LIMIT_KEYS = ("api_requests", "api_request_limit")


def _limits(org: Org) -> JSONResponse:
    return JSONResponse({key: getattr(org, key) for key in _LIMIT_KEYS})


async def get_limits(request: Request) -> Response:
    """The daily API count and allowance."""
    return _limits(org_of(request))


async def set_limits(request: Request) -> Response:
    """Set the daily API count, the allowance, or both; 400 (nothing set) for anything else."""
    try:
        data = json.loads(await request.body())
    except ValueError:
        data = None
    if not isinstance(data, dict) or not data or not data.keys() <= set(_LIMIT_KEYS):
        return JSONResponse(
            {"error": "send an object with api_requests and/or api_request_limit"}, 400
        )
    for key, value in data.items():
        # bool is an int to Python, never to a caller sending JSON true.
        if type(value) is not int or value < 0:
            return JSONResponse({"error": f"'{key}' must be a non-negative integer"}, 400)
    org = org_of(request)
    for key, value in data.items():
        setattr(org, key, value)
    return _limits(org)


async def reset(request: Request) -> Response:
    """Back to the seed data."""
    org_of(request).reset()
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    """The routes of this module."""
    return [
        Route("/_emulator/faults", add_fault, methods=["POST"]),
        Route("/_emulator/faults", list_faults, methods=["GET"]),
        Route("/_emulator/faults", clear_faults, methods=["DELETE"]),
        Route("/_emulator/expire-sessions", expire_sessions, methods=["POST"]),
        Route("/_emulator/requests", list_requests, methods=["GET"]),
        Route("/_emulator/requests", clear_requests, methods=["DELETE"]),
        Route("/_emulator/limits", get_limits, methods=["GET"]),
        Route("/_emulator/limits", set_limits, methods=["POST"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
    ]
