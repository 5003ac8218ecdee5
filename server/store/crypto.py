"""Token encryption at rest: AES-256-GCM, bound to the connection and column it belongs to.

A sealed token is ``version (1 byte) ‖ nonce (12 random bytes) ‖ ciphertext+tag``. The
associated data is ``f"{connection}:{column}"``, so a ciphertext copied to another row or
column fails authentication instead of decrypting as someone else's token. A connect attempt's
details (they hold a PKCE verifier) are sealed the same way for their own place
(:func:`seal_attempt`).

The key is ``Settings.secret_key`` (base64 of 32 bytes) or, without it, the key file
``<home>/secret.key``: generated on first use with ``os.urandom``, mode 0600, in a home
directory created 0700. Losing the key loses the stored tokens (connect the orgs again);
it never exposes them.
"""

from __future__ import annotations

import base64
import logging
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from server.errors import StoredTokenUnreadable
from server.settings import KEY_BYTES, Settings, decode_key

KEY_FILE = "secret.key"
_VERSION = b"\x01"
_NONCE_BYTES = 12
logger = logging.getLogger("callforce.crypto")


class TokenCipher:
    """Seals and opens tokens for one key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the token key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "TokenCipher(<key hidden>)"

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        """The cipher for ``settings.secret_key``, else for the (generated) key file."""
        if settings.secret_key is not None:
            return cls(decode_key(settings.secret_key.get_secret_value()))
        return cls(load_or_create_key(settings.home / KEY_FILE))

    def encrypt(self, plaintext: str, *, connection: str, column: str) -> bytes:
        """Seal ``plaintext`` for the row ``connection`` and the column ``column``."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), _aad(connection, column))
        return _VERSION + nonce + sealed

    def decrypt(self, sealed: bytes, *, connection: str, column: str) -> str:
        """Open a sealed token; StoredTokenUnreadable when it was not sealed for this place."""
        if len(sealed) <= 1 + _NONCE_BYTES or sealed[:1] != _VERSION:
            raise StoredTokenUnreadable(connection)
        nonce = sealed[1 : 1 + _NONCE_BYTES]
        try:
            plain = self._aead.decrypt(nonce, sealed[1 + _NONCE_BYTES :], _aad(connection, column))
        except InvalidTag:
            raise StoredTokenUnreadable(connection) from None
        return plain.decode()


def seal_attempt(cipher: TokenCipher, key: bytes, details: str) -> bytes:
    """A connect attempt's details sealed for its row ``key`` (see :func:`open_attempt`)."""
    return cipher.encrypt(details, **_attempt_place(key))


def open_attempt(cipher: TokenCipher, key: bytes, sealed: bytes) -> str:
    """Open the details sealed for the attempt ``key``; StoredTokenUnreadable otherwise."""
    return cipher.decrypt(sealed, **_attempt_place(key))


def _attempt_place(key: bytes) -> dict[str, str]:
    # No connection (a connection's name is never empty), a column no token has, and the
    # attempt's key: details copied to another attempt's row, or into a token column, fail.
    return {"connection": "", "column": f"connect_attempt:{key.hex()}"}


def _aad(connection: str, column: str) -> bytes:
    # Names are case-insensitive in the store; the associated data must not depend on spelling.
    return f"{connection.lower()}:{column}".encode()


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``; a new random one written there (0600) when the file is absent."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        return _read_key(path)
    # Write a complete file aside, then link it into place: a concurrent starter either wins
    # the link or reads the winner's whole key, never a half-written one.
    key = os.urandom(KEY_BYTES)
    staging = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(base64.b64encode(key).decode() + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.link(staging, path)
    except FileExistsError:
        return _read_key(path)
    finally:
        staging.unlink(missing_ok=True)
    return key


def _read_key(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        # Someone widened it; the key is only as private as this file.
        logger.warning("the token key file was readable by others; setting its mode to 0600")
        path.chmod(0o600)
    return decode_key(path.read_text(encoding="ascii"))
