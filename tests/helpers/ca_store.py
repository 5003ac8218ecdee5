"""Real network transports for the tests' HTTP clients that share one loaded CA store (the
``tls_context`` fixture of the server tests): loading it costs ~0.5 s on a busy machine."""

from __future__ import annotations

import ssl

import httpx


def shared_transport(tls_context: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    """A real network transport that reuses the shared CA store."""
    return httpx.AsyncHTTPTransport(verify=tls_context)
