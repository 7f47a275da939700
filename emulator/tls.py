"""The emulator's CA, server certificate and token-signing key, created on first start in the
state folder and reused afterwards (so a client that trusted ``ca.pem`` once keeps trusting it).

Files under ``<state_dir>/tls/``: ``ca.pem`` (trust this), ``ca-key.pem``, ``server.pem``
(certificate chain), ``server-key.pem``, ``names.json`` (the names the server certificate
covers), and ``<state_dir>/signing-key.pem`` (RS256 key for tokens). Private keys are 0600.
"""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
# The control client sends this TLS server name, so connection faults never hit it.
CONTROL_SNI = "control.emulator.localhost"


@dataclass(frozen=True)
class TlsFiles:
    ca_path: Path
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def ensure_tls(state_dir: Path, extra_names: tuple[str, ...] = ()) -> TlsFiles:
    """Create (or reuse) the CA and a server certificate covering loopback + ``extra_names``."""
    folder = state_dir / "tls"
    folder.mkdir(parents=True, exist_ok=True)
    ca_path = folder / "ca.pem"
    ca_key_path = folder / "ca-key.pem"
    cert_path = folder / "server.pem"
    key_path = folder / "server-key.pem"
    names_path = folder / "names.json"
    wanted = sorted({*LOOPBACK_NAMES, CONTROL_SNI, *extra_names})

    if ca_path.exists() and ca_key_path.exists():
        ca = trustme.CA.from_pem(ca_path.read_bytes(), ca_key_path.read_bytes())
    else:
        ca = trustme.CA(organization_name="Mailroom emulator", organization_unit_name="local CA")
        _write_private(ca_key_path, ca.private_key_pem.bytes())
        ca_path.write_bytes(ca.cert_pem.bytes())
        for stale in (cert_path, key_path, names_path):
            stale.unlink(missing_ok=True)

    current: list[str] = []
    if names_path.exists():
        current = sorted(json.loads(names_path.read_text(encoding="utf-8")))
    if not (cert_path.exists() and key_path.exists()) or current != wanted:
        leaf = ca.issue_cert(*wanted, organization_name="Mailroom emulator")
        _write_private(key_path, leaf.private_key_pem.bytes())
        cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        names_path.write_text(json.dumps(wanted), encoding="utf-8")
    return TlsFiles(ca_path=ca_path, cert_path=cert_path, key_path=key_path)


def ensure_signing_key(state_dir: Path) -> rsa.RSAPrivateKey:
    path = state_dir / "signing-key.pem"
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_private(
        path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return key
