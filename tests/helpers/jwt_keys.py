"""A self-signed test certificate for an RSA key, as a connected app's JWT bearer certificate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def self_signed_certificate(key: rsa.RSAPrivateKey) -> str:
    """The PEM certificate of ``key``'s public key, valid from yesterday for 30 days."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "callforce test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def write_jwt_key(directory: Path) -> tuple[Path, str]:
    """A new RSA key written as ``server.key`` (PKCS#8 PEM) and its certificate (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "server.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path, self_signed_certificate(key)
