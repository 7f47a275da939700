"""Tokens as the Bot Connector (and Entra ID) would send them to the bot, signed with the
emulator's signing key — the key whose JWKS the bot is given through the signing-key seam
(docs/decisions/0002-jwt-test-seam.md) — or, for forgeries, with something else.

A Bot Framework token to a bot: ``iss = https://api.botframework.com``, ``aud`` = the bot's
app id, ``serviceurl`` = the activity's serviceUrl, RS256 with a key from
login.botframework.com's JWKS. An Entra ID v2 token: ``iss =
https://login.microsoftonline.com/{tid}/v2.0`` with ``tid``.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.inbound_auth import JwksDocumentKeys
from emulator.testing import RunningEmulator
from emulator.tls import ensure_signing_key

BOT_FRAMEWORK = "https://api.botframework.com"


def entra_issuer(tenant: str) -> str:
    return f"https://login.microsoftonline.com/{tenant}/v2.0"


def emulator_jwks_url(emulator: RunningEmulator) -> str:
    return f"{emulator.base_url}/{emulator.tenant_id}/discovery/v2.0/keys"


def emulator_keys(emulator: RunningEmulator) -> JwksDocumentKeys:
    """The seam's key source: the emulator's JWKS stands in for Microsoft's."""
    return JwksDocumentKeys(emulator_jwks_url(emulator), ssl_context=emulator.ssl_context())


@dataclass(frozen=True)
class Minter:
    key: rsa.RSAPrivateKey
    kid: str
    app_id: str
    tenant_id: str
    service_url: str

    @classmethod
    def for_emulator(cls, emulator: RunningEmulator) -> Minter:
        context: ssl.SSLContext = emulator.ssl_context()
        keys = httpx.get(emulator_jwks_url(emulator), verify=context).json()["keys"]
        return cls(
            key=ensure_signing_key(emulator.state_dir),
            kid=str(keys[0]["kid"]),
            app_id=emulator.bot_app.client_id,
            tenant_id=emulator.tenant_id,
            service_url=emulator.base_url,
        )

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": BOT_FRAMEWORK,
            "aud": self.app_id,
            "serviceurl": self.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + 3600,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def bot_framework(self, **overrides: Any) -> str:
        """A genuine-looking Connector token; ``name=None`` drops a claim."""
        return self.sign(self.claims(**overrides))

    def entra(self, tenant: str | None = None, **overrides: Any) -> str:
        tid = tenant or self.tenant_id
        claims = self.claims(iss=entra_issuer(tid), tid=tid, ver="2.0", azp=self.app_id)
        claims.pop("serviceurl")
        claims.update(overrides)
        return self.sign({k: v for k, v in claims.items() if v is not None})

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: rsa.RSAPrivateKey | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        return jwt.encode(
            claims,
            key or self.key,
            algorithm="RS256",
            headers={"kid": self.kid} if headers is None else headers,
        )


def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
