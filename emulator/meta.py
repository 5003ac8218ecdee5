"""Versions, the resource directory, limits and record counts (CONTRACT.md §2)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from emulator.config import LATEST_VERSION, OLDEST_VERSION
from emulator.request_context import api_version, org_of, session_of
from emulator.responses import json_response

_SEASONS = ("Summer", "Winter", "Spring")

#: Resource names of ``GET /services/data/vXX.X`` (v66 has ~60; these are the ones clients use).
_RESOURCES = (
    "tooling",
    "metadata",
    "eclair",
    "folders",
    "prechatForms",
    "contact-tracing",
    "jsonxform",
    "chatter",
    "payments",
    "tabs",
    "appMenu",
    "quickActions",
    "queryAll",
    "commerce",
    "wave",
    "iot",
    "analytics",
    "search",
    "identity",
    "composite",
    "parameterizedSearch",
    "fingerprint",
    "theme",
    "nouns",
    "domino",
    "event",
    "serviceTemplates",
    "recent",
    "connect",
    "licensing",
    "limits",
    "process",
    "dedupe",
    "async-queries",
    "query",
    "jobs",
    "match",
    "emailConnect",
    "compactLayouts",
    "knowledgeManagement",
    "sobjects",
    "actions",
    "support",
    "scheduling",
    "consent",
    "localizedvalue",
    "ui-api",
)

#: A Developer Edition's limits besides the daily API requests (from a real v60 answer).
_STATIC_LIMITS = {
    "DailyAsyncApexExecutions": 250000,
    "DailyBulkApiBatches": 15000,
    "DailyBulkV2QueryFileStorageMB": 976562,
    "DailyBulkV2QueryJobs": 10000,
    "DailyDurableStreamingApiEvents": 10000,
    "DailyStreamingApiEvents": 10000,
    "DataStorageMB": 5,
    "FileStorageMB": 20,
    "HourlyDashboardRefreshes": 200,
    "HourlyODataCallout": 10000,
    "HourlySyncReportRuns": 500,
    "MassEmail": 10,
    "SingleEmail": 15,
    "ConcurrentAsyncGetReportInstances": 200,
    "ConcurrentSyncReportRuns": 20,
}


def version_label(major: int) -> str:
    """The release name of an API version: 31 → "Summer '14", 66 → "Spring '26".

    Real orgs label v42.0 "Spring ’18" with a typographic apostrophe; so does the emulator.
    """
    n = major - OLDEST_VERSION
    apostrophe = "\u2019" if major == 42 else "'"
    return f"{_SEASONS[n % 3]} {apostrophe}{14 + (n + 2) // 3}"


async def versions(request: Request) -> Response:
    """``GET /services/data``: every served version, oldest first; no auth, no limit header."""
    return json_response(
        request,
        [
            {"label": version_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
            for v in range(OLDEST_VERSION, LATEST_VERSION + 1)
        ],
    )


async def resources(request: Request) -> Response:
    """``GET /services/data/vXX.X``: resource name → URL."""
    org = org_of(request)
    session = session_of(request)
    base = f"/services/data/v{api_version(request)}"
    body: dict[str, str] = {name: f"{base}/{name}" for name in _RESOURCES}
    body["identity"] = f"{request.base_url}id/{org.org_id}/{session.user_id}".replace("//id", "/id")
    return json_response(request, body)


async def limits(request: Request) -> Response:
    """``GET /limits``: ``{"Name": {"Max": n, "Remaining": n}}``; daily requests are live."""
    org = org_of(request)
    cap = org.api_request_limit
    body = {"DailyApiRequests": {"Max": cap, "Remaining": max(cap - org.api_requests, 0)}}
    body.update({name: {"Max": n, "Remaining": n} for name, n in _STATIC_LIMITS.items()})
    return json_response(request, dict(sorted(body.items())))


async def record_count(request: Request) -> Response:
    """``GET /limits/recordCount?sObjects=A,B``: live counts of the named (known) objects."""
    org = org_of(request)
    wanted = request.query_params.get("sObjects", "")
    names = [n for n in (s.strip() for s in wanted.split(",")) if n] or list(org.schema)
    counts = [
        {"count": org.store.count(obj.name), "name": obj.name}
        for obj in (org.schema.get_object(n) for n in names)
        if obj is not None
    ]
    return json_response(request, {"sObjects": counts})


def routes() -> list[BaseRoute]:
    """The routes of this module."""
    return [
        Route("/services/data", versions, methods=["GET"]),
        Route("/services/data/", versions, methods=["GET"]),
        Route("/services/data/v{version}", resources, methods=["GET"]),
        Route("/services/data/v{version}/", resources, methods=["GET"]),
        Route("/services/data/v{version}/limits", limits, methods=["GET"]),
        Route("/services/data/v{version}/limits/", limits, methods=["GET"]),
        Route("/services/data/v{version}/limits/recordCount", record_count, methods=["GET"]),
    ]
