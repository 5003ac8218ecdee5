"""The emulator's ASGI app: one base URL that is both login host and instance, like My Domain."""

from __future__ import annotations

import logging
import secrets

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from emulator import (
    bulk,
    composite,
    composite_resource,
    control,
    describe_endpoints,
    meta,
    oauth,
    query,
    search,
    seed,
    sobjects,
)
from emulator.config import EmulatorConfig
from emulator.errors import OAuthError, SalesforceError
from emulator.middleware import RAW_SEND_KEY, EmulatorMiddleware
from emulator.org import Org
from emulator.responses import json_response

logger = logging.getLogger("callforce.emulator")


async def _salesforce_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SalesforceError)
    return json_response(request, exc.body(), exc.status)


async def _oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    return json_response(request, exc.body(), exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not request.url.path.startswith("/services/"):
        return PlainTextResponse(exc.detail, exc.status_code, headers=exc.headers)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        message = f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}"
        return json_response(
            request, [{"errorCode": "METHOD_NOT_ALLOWED", "message": message}], 405
        )
    if exc.status_code == 404:
        body = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        return json_response(request, body, 404)
    return json_response(
        request, [{"errorCode": "UNKNOWN_EXCEPTION", "message": exc.detail}], exc.status_code
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug in the emulator, never a client mistake: answer as Salesforce does for its own bugs.
    error_id = f"{secrets.randbelow(10**10)}-{secrets.randbelow(10**6)}"
    logger.error("unexpected error, ErrorId %s", error_id, exc_info=exc)
    message = (
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
        f"{error_id}"
    )
    return json_response(request, [{"errorCode": "UNKNOWN_EXCEPTION", "message": message}], 500)


class _OrgApp(Starlette):
    """Starlette, plus the server's raw ``send`` in the scope so a fault can drop a connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[RAW_SEND_KEY] = send
        await super().__call__(scope, receive, send)


def all_routes() -> list[BaseRoute]:
    """Every route of the org, Salesforce's and the control endpoints."""
    return [
        *control.routes(),
        *oauth.routes(),
        *meta.routes(),
        *describe_endpoints.routes(),
        *query.routes(),
        *search.routes(),
        *composite_resource.routes(),
        *composite.routes(),
        *bulk.routes(),
        *sobjects.routes(),
    ]


def create_app(config: EmulatorConfig | None = None, org: Org | None = None) -> Starlette:
    """Build the app for ``config`` (the demo org by default), or around an existing ``org``."""
    org = org or Org.create(config or EmulatorConfig(), seed.seeder_for(config))
    app = _OrgApp(
        routes=all_routes(),
        middleware=[Middleware(EmulatorMiddleware, org=org)],
        exception_handlers={
            SalesforceError: _salesforce_error,
            OAuthError: _oauth_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.org = org
    return app
