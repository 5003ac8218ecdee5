"""The JWT bearer grant's assertion check (``urn:ietf:params:oauth:grant-type:jwt-bearer``).

The assertion is an RS256 JWT with ``iss`` = the consumer key, ``sub`` = the username, ``aud`` =
``https://login.salesforce.com`` (``https://test.salesforce.com`` for a sandbox) or the
emulator's own base URL, and ``exp`` in the future but at most 3 minutes away. It must be signed
with the private key of ``config.jwt_certificate_pem`` (an X.509 certificate, PEM), the
certificate uploaded to the connected app.

Failures are ``invalid_grant`` like Salesforce's: no certificate, a malformed token, a bad
signature, a missing claim or a bad ``exp`` → ``invalid assertion``; wrong ``aud`` → ``audience is
invalid``; ``sub`` not an active user of the org → ``user hasn't approved this consumer``;
``iss`` not the consumer key → ``invalid_client_id``. The ``iss`` is read before the signature is
checked only to pick the app (and so the certificate).
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from emulator.errors import OAuthError
from emulator.oauth.client import is_known_client
from emulator.org import Org

MAX_LIFETIME_SECONDS = 3 * 60
_REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp"]
logger = logging.getLogger("callforce.emulator")


def _invalid_assertion() -> OAuthError:
    return OAuthError("invalid_grant", "invalid assertion")


def _public_key(pem: str | None) -> RSAPublicKey | None:
    if not pem:
        return None
    try:
        key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    except ValueError:
        # An operator mistake, not the client's: say so in the log, answer as Salesforce would.
        logger.warning("jwt_certificate_pem is not a PEM X.509 certificate")
        return None
    return key if isinstance(key, RSAPublicKey) else None


def accepted_audiences(org: Org, instance: str) -> set[str]:
    """The ``aud`` values this org accepts."""
    login_host = (
        "https://test.salesforce.com" if org.config.is_sandbox else ("https://login.salesforce.com")
    )
    return {login_host, instance}


def user_for_assertion(org: Org, assertion: str, instance: str) -> dict[str, Any]:
    """The User record the assertion speaks for, or the :class:`OAuthError` Salesforce answers."""
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _invalid_assertion() from None
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not is_known_client(org.config, issuer):
        raise OAuthError("invalid_client_id", "client identifier invalid")
    key = _public_key(org.config.jwt_certificate_pem)
    if key is None:
        raise _invalid_assertion()
    try:
        claims = jwt.decode(
            assertion,
            key,
            algorithms=["RS256"],
            # aud and exp get Salesforce's own rules and messages below.
            options={"require": _REQUIRED_CLAIMS, "verify_aud": False, "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise _invalid_assertion() from None
    if not _audience_ok(claims["aud"], accepted_audiences(org, instance)):
        raise OAuthError("invalid_grant", "audience is invalid")
    exp = claims["exp"]
    now = org.now().timestamp()
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise _invalid_assertion()
    if not now < exp <= now + MAX_LIFETIME_SECONDS:
        raise _invalid_assertion()
    subject = claims["sub"]
    user = org.user_by_username(subject) if isinstance(subject, str) and subject else None
    if user is None:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return user


def _audience_ok(aud: Any, accepted: set[str]) -> bool:
    values = aud if isinstance(aud, list) else [aud]
    return any(isinstance(value, str) and value.rstrip("/") in accepted for value in values)
