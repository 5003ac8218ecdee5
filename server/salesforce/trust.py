"""Which certificates callforce trusts when it talks to Salesforce.

certifi's CA bundle (what httpx trusts by default, named so it is a declared dependency), plus
``Settings.ca_bundle`` when set — the emulator's ``ca.pem``, or a corporate proxy's CA.
"""

from __future__ import annotations

import functools
import ssl

import certifi

from server.settings import Settings


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context for ``settings``: certifi's roots, plus ``settings.ca_bundle`` if set."""
    ca_bundle = settings.ca_bundle
    stamp = ca_bundle.stat().st_mtime_ns if ca_bundle is not None and ca_bundle.exists() else 0
    return _load(str(ca_bundle) if ca_bundle is not None else None, stamp)


@functools.lru_cache(maxsize=8)
def _load(ca_bundle: str | None, _stamp: int) -> ssl.SSLContext:
    # Parsing certifi's ~150 certificates costs tens of milliseconds (much more on a busy
    # machine); a context is immutable once built and safe to share, so one per bundle (and
    # bundle version: ``_stamp`` is its mtime) serves every client in the process.
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle is not None:
        context.load_verify_locations(cafile=ca_bundle)
    return context
