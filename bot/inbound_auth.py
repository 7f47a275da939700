"""Who may post to ``/api/messages``: the Agents SDK's JWT check, plus the rules it leaves out.

With an app id configured (``auth_configuration``), every request must carry a token that
the SDK's ``JwtTokenValidator`` accepts: RS256 signature by a key Microsoft publishes,
audience = the bot's app id, lifetime (5 minutes of clock skew), and — switched on here —
the issuer allow-list (Bot Framework, the bot's own tenant, Microsoft's first-party
tenants), with an Entra token's ``tid`` bound to its issuer. Without an app id the endpoint
is anonymous (loopback only: ``mailroom serve`` refuses otherwise), but a token that *is*
presented must still be valid.

Three rules added here (docs/decisions/0003-inbound-callers.md):

* **Who is calling.** Teams reaches a bot only through the Bot Framework channel service,
  whose tokens are issued as ``https://api.botframework.com`` and signed with
  login.botframework.com's keys, for every bot type (SingleTenant, MultiTenant,
  UserAssignedMSI). An Entra-issued token proves only that *some* application of a tenant
  asked for the bot's app id as audience, which any confidential client of the tenant may
  do; its calling application (``appid`` in v1 tokens, ``azp`` in v2) must be a configured
  trusted caller (``MAILROOM_TRUSTED_CALLERS``; by default none: the channel only).
* **Where replies go.** The ``serviceurl`` claim must name the scheme, host and port of the
  activity's ``serviceUrl``, and a Bot Framework-issued token must carry one (Bot
  Framework's authentication guidance). Replies carry the bot's own token to that URL, so a
  replayed token must not be able to point them elsewhere. (The SDK compares the hosts
  only when its outbound host validator is enabled; otherwise it logs and carries on.)
* **Which tenant.** A token that names a tenant (``tid``) must name the activity's tenant
  (``channelData.tenant.id`` and ``conversation.tenantId``, which must agree); an Entra
  token always names one. A Bot Framework token names none: it is bound by its issuer,
  audience and ``serviceurl``, and the tenant it brings is then checked against the
  allowed tenants like any other.

Signing keys. Production uses the SDK's process-wide JWKS cache of Microsoft's fixed URLs
(login.botframework.com, login.microsoftonline.com). ``SigningKeySource`` is the one seam
(docs/decisions/0002-jwt-test-seam.md): handed to ``create_app`` explicitly — by tests, never
read from the environment — it answers the SDK's key lookups for those URLs from another
JWKS document, the emulator's, while every other check stays the SDK's.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from jwt import PyJWK, PyJWKClient, PyJWKClientError, PyJWTError
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration, ClaimsIdentity
from microsoft_agents.hosting.core.authorization.jwt import JwtTokenValidator
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import (
    _JwkClientManager,  # private: the seam replaces exactly this, per validator
)

from bot.settings import CHANNEL_CALLER

logger = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUERS = frozenset({"https://api.botframework.com", "https://api.botframework.us"})
SERVICE_URL_CLAIM = "serviceurl"
# Where Entra writes the calling application, by token version (Microsoft Entra "Access
# token claims reference"; botbuilder's JwtTokenValidation.get_app_id_from_claims).
APP_ID_CLAIMS = {"1.0": "appid", "2.0": "azp"}

# Where the SDK fetches signing keys from (microsoft_agents ... _entra_issuers.py and
# authentication_constants.py); a key source only ever stands in for these.
MICROSOFT_JWKS_HOSTS = frozenset(
    {
        "login.botframework.com",
        "login.botframework.azure.us",
        "login.microsoftonline.com",
        "login.microsoftonline.us",
    }
)


class SigningKeySource(Protocol):
    """Answers "which key signed this token" for one of Microsoft's JWKS URLs."""

    async def signing_key(self, jwks_uri: str, key_id: str) -> PyJWK: ...


class JwksDocumentKeys:
    """The keys of one JWKS document (e.g. the emulator's ``/{tenant}/discovery/v2.0/keys``)
    stand in for every Microsoft JWKS URL. Fetched over HTTPS with ``ssl_context`` and
    cached like the SDK caches Microsoft's (PyJWKClient, five minutes)."""

    def __init__(
        self, jwks_url: str, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 5.0
    ) -> None:
        if not jwks_url.startswith("https://"):
            raise ValueError("the JWKS URL must be https://")
        self._client = PyJWKClient(jwks_url, ssl_context=ssl_context, timeout=timeout)
        self._lock = threading.Lock()

    async def signing_key(self, jwks_uri: str, key_id: str) -> PyJWK:
        parts = urlsplit(jwks_uri)
        if parts.scheme != "https" or (parts.hostname or "") not in MICROSOFT_JWKS_HOSTS:
            raise PyJWKClientError("not one of Microsoft's JWKS URLs")
        return await asyncio.to_thread(self._lookup, key_id)

    def _lookup(self, key_id: str) -> PyJWK:
        with self._lock:  # PyJWKClient's cache is not thread-safe
            return self._client.get_signing_key(key_id)


class _SourcedKeys(_JwkClientManager):
    """The SDK validator's key lookup, answered by a ``SigningKeySource``."""

    def __init__(self, source: SigningKeySource) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # the SDK's is untyped
        self._source = source

    async def get_signing_key(self, jwks_uri: str, header: dict[str, Any]) -> PyJWK:
        key_id = header.get("kid")
        if not isinstance(key_id, str) or not key_id:
            raise PyJWKClientError("the token names no signing key")
        return await self._source.signing_key(jwks_uri, key_id)


class _Validator(JwtTokenValidator):
    """The SDK's validator with its key lookup taken from ``source`` (this instance only:
    the SDK's process-wide cache of Microsoft's keys is left alone)."""

    def __init__(self, configuration: AgentAuthConfiguration, source: SigningKeySource) -> None:
        super().__init__(configuration)
        self._jwk_client_manager = _SourcedKeys(source)


@dataclass(frozen=True)
class InboundAuth:
    """How ``/api/messages`` checks callers: the SDK configuration, and where signing keys
    come from (``None``: Microsoft's URLs, the SDK's default)."""

    configuration: AgentAuthConfiguration
    signing_keys: SigningKeySource | None = None

    def _validator(self) -> JwtTokenValidator:
        if self.signing_keys is None:
            return JwtTokenValidator(self.configuration)
        return _Validator(self.configuration, self.signing_keys)

    async def authorize(
        self, request: web.Request, activity: dict[str, Any], callers: Collection[str]
    ) -> ClaimsIdentity | web.Response:
        """The caller's verified claims, or the 401 to answer. ``callers``: the trusted
        callers (``channel`` and app ids). Never raises for a bad token: whatever the token
        holds, the answer is 401 (or anonymous claims when no token is sent and the
        configuration allows it)."""
        header = request.headers.get("Authorization")
        if header is None:
            if self.configuration.ANONYMOUS_ALLOWED:
                return ClaimsIdentity()
            return _unauthorized("missing")
        token = _bearer_token(header)
        if token is None:
            return _unauthorized("malformed")
        try:
            identity = await self._validator().validate_token(token)
        except (PyJWTError, ValueError, KeyError, TypeError) as error:
            # The type only: the message may quote claims; the token never appears.
            logger.warning("activity refused: token not valid (%s)", type(error).__name__)
            return _unauthorized(None)
        caller = calling_party(identity)
        if caller is None or caller not in {c.lower() for c in callers}:
            # The app id comes from a verified token: naming it tells an admin who knocked.
            logger.warning("activity refused: caller not trusted (%s)", caller or "unknown")
            return _unauthorized(None)
        if not _service_url_matches(identity, activity.get("serviceUrl")):
            return _unauthorized("service_url")
        if not _tenant_matches(identity, activity):
            return _unauthorized("tenant_mismatch")
        return identity


def calling_party(identity: ClaimsIdentity) -> str | None:
    """``channel`` for a Bot Framework-issued token; for an Entra-issued one the calling
    application's id (``appid`` in v1, ``azp`` in v2, chosen by ``ver``); None when the
    token does not say."""
    if identity.get_claim_value("iss") in BOT_FRAMEWORK_ISSUERS:
        return CHANNEL_CALLER
    claim = APP_ID_CLAIMS.get(str(identity.get_claim_value("ver")))
    app_id = identity.get_claim_value(claim) if claim is not None else None
    return app_id.lower() if isinstance(app_id, str) and app_id else None


def activity_tenants(activity: dict[str, Any]) -> set[str]:
    """The tenant ids the activity names (lower case): ``channelData.tenant.id`` and
    ``conversation.tenantId``."""
    named: list[object] = []
    channel_data = activity.get("channelData")
    if isinstance(channel_data, dict) and isinstance(channel_data.get("tenant"), dict):
        named.append(channel_data["tenant"].get("id"))
    conversation = activity.get("conversation")
    if isinstance(conversation, dict):
        named.append(conversation.get("tenantId"))
    return {t.lower() for t in named if isinstance(t, str) and t}


def _tenant_matches(identity: ClaimsIdentity, activity: dict[str, Any]) -> bool:
    tenants = activity_tenants(activity)
    if len(tenants) > 1:
        return False
    tid = identity.get_claim_value("tid")
    if tid is None:
        # Only a Bot Framework token may name no tenant; an Entra access token always does.
        return identity.get_claim_value("iss") in BOT_FRAMEWORK_ISSUERS
    return isinstance(tid, str) and tenants == {tid.lower()}


def _bearer_token(header: str) -> str | None:
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1]:
        return None
    return parts[1]


def _service_url_matches(identity: ClaimsIdentity, service_url: object) -> bool:
    claim = identity.get_claim_value(SERVICE_URL_CLAIM)
    if claim is None:
        return identity.get_claim_value("iss") not in BOT_FRAMEWORK_ISSUERS
    if not isinstance(claim, str) or not isinstance(service_url, str):
        return False
    claimed, actual = _origin(claim), _origin(service_url)
    return claimed is not None and claimed == actual


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """Scheme, host and port: what decides where the bot's token would be sent."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname, port


def _unauthorized(reason: str | None) -> web.Response:
    if reason is not None:
        logger.warning("activity refused: token %s", reason.replace("_", " "))
    return web.json_response({"error": "Invalid token or authentication failed."}, status=401)
