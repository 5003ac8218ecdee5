"""Token encryption at rest: AES-256-GCM bound to (connection, column), and the key file."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from server.errors import StoredTokenUnreadable
from server.settings import Settings
from server.store.crypto import KEY_FILE, TokenCipher

TOKEN = "00D5g000004CFDe!AQ.secret-access-token"


def _cipher() -> TokenCipher:
    return TokenCipher(os.urandom(32))


def test_round_trip() -> None:
    """A sealed token opens to itself for the same connection and column."""
    cipher = _cipher()
    sealed = cipher.encrypt(TOKEN, connection="prod", column="access_token")
    assert TOKEN.encode() not in sealed
    assert cipher.decrypt(sealed, connection="prod", column="access_token") == TOKEN


def test_nonce_is_random() -> None:
    """The same token sealed twice gives two different ciphertexts."""
    cipher = _cipher()
    first = cipher.encrypt(TOKEN, connection="prod", column="access_token")
    second = cipher.encrypt(TOKEN, connection="prod", column="access_token")
    assert first != second


@pytest.mark.parametrize(
    ("connection", "column"),
    [("sandbox", "access_token"), ("prod", "refresh_token"), ("prod2", "access_token")],
)
def test_ciphertext_is_bound_to_its_place(connection: str, column: str) -> None:
    """A ciphertext moved to another connection or column does not decrypt."""
    cipher = _cipher()
    sealed = cipher.encrypt(TOKEN, connection="prod", column="access_token")
    with pytest.raises(StoredTokenUnreadable) as caught:
        cipher.decrypt(sealed, connection=connection, column=column)
    assert TOKEN not in caught.value.message


def test_tampered_ciphertext_fails() -> None:
    """Flipping one bit of a ciphertext makes it undecryptable."""
    cipher = _cipher()
    sealed = bytearray(cipher.encrypt(TOKEN, connection="prod", column="access_token"))
    sealed[-1] ^= 0x01
    with pytest.raises(StoredTokenUnreadable):
        cipher.decrypt(bytes(sealed), connection="prod", column="access_token")


def test_other_key_fails() -> None:
    """A ciphertext does not open with another key."""
    sealed = _cipher().encrypt(TOKEN, connection="prod", column="access_token")
    with pytest.raises(StoredTokenUnreadable):
        _cipher().decrypt(sealed, connection="prod", column="access_token")


def test_key_file_is_generated_private_and_reused(tmp_path: Path) -> None:
    """Without a secret key, a 0600 key file is generated once and used again after restart."""
    settings = Settings(home=tmp_path / "home")
    sealed = TokenCipher.from_settings(settings).encrypt(TOKEN, connection="a", column="c")
    key_file = tmp_path / "home" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    assert len(base64.b64decode(key_file.read_text())) == 32
    again = TokenCipher.from_settings(settings)
    assert again.decrypt(sealed, connection="a", column="c") == TOKEN
    assert [path.name for path in key_file.parent.iterdir()] == [KEY_FILE]


def test_widened_key_file_is_tightened(tmp_path: Path) -> None:
    """A key file someone made group-readable is set back to 0600 when read."""
    settings = Settings(home=tmp_path)
    TokenCipher.from_settings(settings)
    (tmp_path / KEY_FILE).chmod(0o644)
    TokenCipher.from_settings(settings)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_secret_key_setting_is_used(tmp_path: Path) -> None:
    """CALLFORCE_SECRET_KEY is the key: no key file is written, and it decrypts across instances."""
    key = base64.b64encode(os.urandom(32)).decode()
    settings = Settings(home=tmp_path, secret_key=SecretStr(key))
    sealed = TokenCipher.from_settings(settings).encrypt(TOKEN, connection="a", column="c")
    assert not (tmp_path / KEY_FILE).exists()
    assert TokenCipher(base64.b64decode(key)).decrypt(sealed, connection="a", column="c") == TOKEN


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_bad_secret_key_is_refused(tmp_path: Path, bad: str) -> None:
    """A secret key that is not base64 of 32 bytes is a settings error, without echoing it."""
    with pytest.raises(ValidationError) as caught:
        Settings(home=tmp_path, secret_key=SecretStr(bad))
    assert bad not in str(caught.value)


def test_repr_hides_the_key() -> None:
    """The cipher's repr shows no key material."""
    key = os.urandom(32)
    assert key.hex() not in repr(TokenCipher(key))
    assert "hidden" in repr(TokenCipher(key))
