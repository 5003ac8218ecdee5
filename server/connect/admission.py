"""Who may come in over HTTP: the API tokens (``CALLFORCE_API_TOKENS``), and a throttle on wrong
ones per client address.

One :class:`ApiTokens` serves an app: ``/mcp`` (:class:`server.web.RequireBearer`) and the
connect page (:class:`server.connect.guard.PageGuard`: its bearer header and its sign-in form)
count wrong tokens together, so the page is no side door for guessing.

- **Comparison.** Tokens are compared as SHA-256 digests in constant time, all of them every
  time (no early exit), so neither the length nor the position of a match shows in the timing.
- **Throttle.** An address may get :data:`FREE_FAILURES` tokens wrong; from then on each wrong
  token locks it out for a window that doubles (1 s, 2 s, 4 s … at most
  :data:`MAX_WINDOW_SECONDS`). While locked out it is answered 429 with ``Retry-After`` and its
  tokens are not even compared — a right guess inside the window would otherwise still be
  recognisable. A right token clears the address's record; an hour without failures forgets it.
  IPv6 addresses count per /64, what one host usually holds. Nothing sleeps: right tokens, and
  every other address, are answered as fast as before.

Behind a reverse proxy the client address is the one uvicorn takes from ``X-Forwarded-For`` when
the proxy is trusted (``FORWARDED_ALLOW_IPS``, 127.0.0.1 by default); otherwise every client
shares the proxy's address, and a guesser locks the others out with it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import SecretStr

#: Wrong tokens an address may send before it is locked out.
FREE_FAILURES = 5
#: The longest lock-out; the window doubles up to it.
MAX_WINDOW_SECONDS = 300.0
#: A record without a failure for this long is forgotten.
FORGET_SECONDS = 3600.0
_MAX_ADDRESSES = 10_000


def _digest(token: str) -> bytes:
    # Equal-length digests make compare_digest's time independent of the token's length too.
    return hashlib.sha256(token.encode()).digest()


def client_key(host: str | None) -> str:
    """What the throttle counts by: the IPv4 address, the /64 of an IPv6 one, else the name."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(slots=True)
class _Record:
    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class ApiTokens:
    """The API tokens of one app and its throttle of wrong ones (module docstring).

    ``clock`` (monotonic seconds) is for tests of the lock-out windows.
    """

    def __init__(
        self,
        tokens: Sequence[SecretStr | str],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._digests = [
            _digest(t.get_secret_value() if isinstance(t, SecretStr) else t) for t in tokens
        ]
        self._clock = clock
        self._records: dict[str, _Record] = {}

    def __repr__(self) -> str:
        return f"ApiTokens({len(self._digests)} tokens, {len(self._records)} addresses counted)"

    @property
    def required(self) -> bool:
        """Whether any token is configured (without one, nobody is asked for a token)."""
        return bool(self._digests)

    def retry_after(self, client: str | None) -> int:
        """Whole seconds before ``client`` (an address) may try a token again; 0: now."""
        record = self._records.get(client_key(client))
        if record is None:
            return 0
        left = record.locked_until - self._clock()
        return math.ceil(left) if left > 0 else 0

    def check(self, presented: str, client: str | None) -> bool:
        """Whether ``presented`` is one of the tokens; a wrong one counts against ``client``.

        Call :meth:`retry_after` first: a locked-out address is not to be checked at all.
        """
        digest = _digest(presented)
        matched = False
        for known in self._digests:  # no early exit: every token is compared
            matched |= hmac.compare_digest(digest, known)
        key = client_key(client)
        if matched:
            self._records.pop(key, None)
        else:
            self._failed(key)
        return matched

    def _failed(self, key: str) -> None:
        now = self._clock()
        record = self._records.get(key)
        if record is None or now - record.last_failure > FORGET_SECONDS:
            record = _Record()
            self._records.pop(key, None)
            self._forget_old(now)
        self._records[key] = record
        record.failures += 1
        record.last_failure = now
        if record.failures >= FREE_FAILURES:
            window = min(MAX_WINDOW_SECONDS, 2.0 ** (record.failures - FREE_FAILURES))
            record.locked_until = now + window

    def _forget_old(self, now: float) -> None:
        """Bounded memory: forget quiet records, then (a flood of addresses) the oldest."""
        if len(self._records) < _MAX_ADDRESSES:
            return
        for key in [
            k
            for k, r in self._records.items()
            if now - r.last_failure > FORGET_SECONDS or r.locked_until <= now
        ]:
            del self._records[key]
        while len(self._records) >= _MAX_ADDRESSES:
            del self._records[next(iter(self._records))]
