"""Signed RS256 JWTs as Entra ID issues them, and their verification.

Issuers are the names Entra writes whatever host was asked (the Agents SDK and botbuilder
know Entra by exactly these: ``VALID_TOKEN_ISSUER_URL_TEMPLATE_V1/_V2``):
``https://login.microsoftonline.com/{tenant_id}/v2.0`` for v2 tokens (also the ``issuer`` the
OpenID metadata advertises) and ``https://sts.windows.net/{tenant_id}/`` for v1 tokens. Every
token carries ``ver``, ``aud``, ``iat``, ``nbf``, ``exp``, ``tid``, ``oid``, ``sub``, ``uti`` and
a ``kid`` header naming the key in the JWKS.

App-only tokens carry ``idtyp = "app"`` and ``roles``. For one of the tenant's own apps as the
resource (e.g. a bot's app id), Entra issues the format that app's registration accepts
(``api.requestedAccessTokenVersion`` / manifest ``accessTokenAcceptedVersion``: unset means v1;
Microsoft Entra "Access tokens"): v1 names the calling application in ``appid`` (with
``appidacr``), v2 in ``azp`` (with ``azpacr``) — "Access token claims reference". Microsoft's
resources served here (Graph, Exchange, the Bot Connector) keep one v2-shaped format that
carries both. User tokens carry ``scp``, ``upn``, ``preferred_username``, ``name`` and
``idtyp = "user"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.seed import Account, AppRegistration, Tenant

# The Teams clients' own application ids: the ``azp`` of an SSO token Teams hands a bot.
TEAMS_DESKTOP_CLIENT_ID = "1fec8e78-bce4-4aaf-ab1b-5451cc387264"

GRAPH_RESOURCE = "https://graph.microsoft.com"
EXCHANGE_RESOURCE = "https://outlook.office365.com"
BOT_FRAMEWORK_RESOURCE = "https://api.botframework.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"

# Which application permission belongs to which resource.
EXCHANGE_ROLES = frozenset({"Exchange.ManageAsApp", "Exchange.ManageAsAppV2", "full_access_as_app"})

DEFAULT_LIFETIME = 3600
V1, V2 = "1.0", "2.0"


def entra_issuer(tenant_id: str, version: str = V2) -> str:
    """The public cloud's issuer name for a tenant's tokens of ``version``."""
    if version == V1:
        return f"https://sts.windows.net/{tenant_id}/"
    return f"https://login.microsoftonline.com/{tenant_id}/v2.0"


class TokenRejected(Exception):
    """A presented token failed verification; ``reason`` says why (never the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    """Who a verified bearer token speaks for."""

    claims: Mapping[str, Any]
    app_id: str
    user: Account | None
    roles: frozenset[str]
    scopes: frozenset[str]

    @property
    def is_app_only(self) -> bool:
        return self.user is None

    @property
    def subject(self) -> str:
        return self.user.upn if self.user is not None else f"app:{self.app_id}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenService:
    def __init__(
        self,
        key: rsa.RSAPrivateKey,
        tenant: Tenant,
        issuer: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._tenant = tenant
        self.issuer = issuer
        self._clock = clock
        self.lifetime = DEFAULT_LIFETIME
        # Per tenant app (client id, lower case): the token version its registration
        # accepts as a resource; unset means v1, Entra's default.
        self.accepted_versions: dict[str, str] = {}
        # Per user (object id): how often an admin revoked their sessions (Entra's "Revoke
        # sessions", Graph revokeSignInSessions); a refresh token of an older generation is refused.
        self.session_generations: dict[str, int] = {}
        public_der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = _b64url(hashlib.sha256(public_der).digest()[:20])

    # --- keys ----------------------------------------------------------------------
    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256", "issuer": self.issuer})
        return {"keys": [jwk]}

    # --- issuing -------------------------------------------------------------------
    def now(self) -> int:
        return int(self._clock())

    def sign(self, claims: dict[str, Any]) -> str:
        """``claims`` exactly as given, signed with the one key (RS256, ``kid`` header)."""
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def _sign(self, claims: dict[str, Any], lifetime: int | None = None) -> tuple[str, int]:
        now = self.now()
        life = self.lifetime if lifetime is None else lifetime
        body = {
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + life,
            "tid": self._tenant.id,
            "ver": V2,
            "uti": secrets.token_urlsafe(16),
            **claims,
        }
        return self.sign(body), life

    def accepted_version(self, client_id: str) -> str:
        return self.accepted_versions.get(client_id.lower(), V1)

    def app_token(self, app: AppRegistration, resource: str) -> tuple[str, int]:
        """A client-credentials token of ``app`` for ``resource`` (canonical: a Microsoft
        resource URL or a tenant app's client id). Entra hands one to any confidential
        client of the tenant, whatever the resource, unless the resource requires app role
        assignment: ``roles`` then say what was granted (none for a bot)."""
        if resource == EXCHANGE_RESOURCE:
            roles = sorted(app.application_permissions & EXCHANGE_ROLES)
        elif resource == GRAPH_RESOURCE:
            roles = sorted(app.application_permissions - EXCHANGE_ROLES)
        else:
            roles = []
        claims: dict[str, Any] = {
            "aud": resource,
            "sub": app.service_principal_id,
            "oid": app.service_principal_id,
            "idtyp": "app",
        }
        if roles:
            claims["roles"] = roles
        if self._tenant.app(resource) is None:
            claims.update(appid=app.client_id, azp=app.client_id, appidacr="1", azpacr="1")
        elif self.accepted_version(resource) == V2:
            claims.update(azp=app.client_id, azpacr="1")
        else:
            v1 = entra_issuer(self._tenant.id, V1)
            claims.update(iss=v1, idp=v1, ver=V1, appid=app.client_id, appidacr="1")
        return self._sign(claims)

    def _user_claims(self, user: Account) -> dict[str, Any]:
        return {
            "oid": user.id,
            "sub": _b64url(hashlib.sha256(user.id.encode()).digest()[:24]),
            "upn": user.upn,
            "preferred_username": user.upn,
            "unique_name": user.upn,
            "name": user.display_name,
            "idtyp": "user",
        }

    def teams_sso_token(
        self, user: Account, audience: str, client: str = TEAMS_DESKTOP_CLIENT_ID
    ) -> str:
        """The token Teams hands a bot after SSO: audience = the bot's app (id URI)."""
        claims = {
            **self._user_claims(user),
            "aud": audience,
            "scp": "access_as_user",
            "azp": client,
            "appid": client,
            "azpacr": "0",
        }
        return self._sign(claims)[0]

    def delegated_token(
        self, user: Account, app: AppRegistration, resource: str, scopes: Collection[str]
    ) -> tuple[str, int]:
        claims = {
            **self._user_claims(user),
            "aud": resource,
            "scp": " ".join(sorted(scopes)),
            "azp": app.client_id,
            "appid": app.client_id,
            "azpacr": "1",
        }
        return self._sign(claims)

    def id_token(self, user: Account, app: AppRegistration) -> str:
        return self._sign({**self._user_claims(user), "aud": app.client_id})[0]

    def refresh_token(self, user: Account, app: AppRegistration, scope: str) -> str:
        claims = {"aud": self.issuer, "typ": "refresh", "oid": user.id, "appid": app.client_id}
        generation = self.session_generations.get(user.id, 0)
        return self._sign({**claims, "scope": scope, "gen": generation}, lifetime=90 * 24 * 3600)[0]

    def client_info(self, user: Account) -> str:
        return _b64url(json.dumps({"uid": user.id, "utid": self._tenant.id}).encode())

    # --- verifying -----------------------------------------------------------------
    def decode(self, token: str, audiences: Collection[str]) -> dict[str, Any]:
        """Verify signature, issuer, audience and lifetime; raise ``TokenRejected``."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRejected("IDX14100: JWT is not well formed.") from exc
        if header.get("kid") != self.kid:
            raise TokenRejected("IDX10503: Signature validation failed: unknown key.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                audience=list(audiences),
                issuer=self.issuer,
                leeway=5,
                options={"require": ["exp", "nbf", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRejected("Lifetime validation failed, the token is expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise TokenRejected("Lifetime validation failed, the token is not yet valid.") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenRejected("Invalid audience.") from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRejected("Invalid issuer.") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenRejected("IDX10511: Signature validation failed.") from exc
        except jwt.PyJWTError as exc:
            raise TokenRejected("Access token validation failure.") from exc
        return claims

    def principal(self, token: str, audiences: Collection[str]) -> Principal:
        claims = self.decode(token, audiences)
        app_id = str(claims.get("azp") or claims.get("appid") or "")
        if claims.get("idtyp") == "app" or "scp" not in claims:
            return Principal(
                claims=claims,
                app_id=app_id,
                user=None,
                roles=frozenset(claims.get("roles", [])),
                scopes=frozenset(),
            )
        user = self._tenant.account(str(claims.get("oid", "")))
        if user is None:
            raise TokenRejected("The user of this token is not in the tenant.")
        return Principal(
            claims=claims,
            app_id=app_id,
            user=user,
            roles=frozenset(),
            scopes=frozenset(str(claims.get("scp", "")).split()),
        )


def unverified_claims(token: str) -> dict[str, Any]:
    """Claims without any check, for the request log only."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims
