"""The Bot Framework token service, for the Azure Bot's OAuth connection: the one module that
speaks its protocol (``/api/usertoken/...``, ``/api/botsignin/...``).

Each call carries the bot's own app token for ``https://api.botframework.com`` and names the
user by their Teams user id (``from.id``), the connection by its name. A token the service
hands over is the connection's token: with scope ``api://botid-{app id}/access_as_user``
(docs/decisions/0006-delegated-token-model.md) it is the user's token *for Mailroom*, which
``TokenProvider.user_token`` exchanges on-behalf-of for Graph.

Transport failures and 5xx are ``TokenServiceUnavailable`` (an ``IdentityError``: the card
says "temporarily unavailable"); any failed exchange is ``ExchangeRefused`` with the AADSTS
number its message carries, if any (Teams is answered 412 and falls back to sign-in, unless
that number means the tenant's setup is wrong: ``bot.identity.sign_in_setup``). Nothing here
logs a token, a magic code or the SSO token.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bot.errors import ExchangeRefused, TokenServiceUnavailable

logger = logging.getLogger(__name__)

BOT_FRAMEWORK_RESOURCE = "https://api.botframework.com"
TIMEOUT = httpx.Timeout(8.0, connect=3.0)
_AADSTS = re.compile(r"AADSTS(\d{4,7})")


@dataclass(frozen=True)
class SignInResource:
    sign_in_link: str | None
    exchange_uri: str | None


class TokenServiceClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        connection: str,
        app_token: Callable[[str], Awaitable[str]],
        app_id: str,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self.connection = connection
        self._app_token = app_token
        self._app_id = app_id

    def __repr__(self) -> str:
        return f"TokenServiceClient({self._base!r}, connection={self.connection!r})"

    async def get_token(self, user_id: str, channel_id: str, code: str | None = None) -> str | None:
        """The user's stored token (or the one a magic ``code`` redeems); None if none."""
        params = self._params(user_id, channel_id)
        if code is not None:
            params["code"] = code
        response = await self._call("GET", "/api/usertoken/GetToken", params=params)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            logger.warning("token service GetToken answered %s", response.status_code)
            return None
        return _token_of(response)

    async def exchange(self, user_id: str, channel_id: str, sso_token: str, uri: str) -> str:
        """Finish Teams SSO: the SSO token for the connection's token; ``ExchangeRefused``."""
        try:
            response = await self._call(
                "POST",
                "/api/usertoken/exchange",
                params=self._params(user_id, channel_id),
                json={"uri": uri, "token": sso_token},
            )
        except TokenServiceUnavailable as exc:
            # Any error while exchanging is answered 412 (sso-adaptive-cards-universal-action),
            # so that Teams falls back to the sign-in button rather than leave the user stuck.
            logger.warning("the SSO exchange failed: %s", exc)
            raise ExchangeRefused(exc.status or 0, "unavailable") from exc
        token = _token_of(response) if response.status_code == 200 else None
        if token is None:
            code, aadsts = _error_code(response), _aadsts(response)
            logger.info(
                "token service refused the SSO exchange: %s %s (AADSTS%s)",
                response.status_code, code, aadsts,
            )  # fmt: skip
            raise ExchangeRefused(response.status_code, code, aadsts)
        return token

    async def sign_out(self, user_id: str, channel_id: str) -> None:
        response = await self._call(
            "DELETE", "/api/usertoken/SignOut", params=self._params(user_id, channel_id)
        )
        if response.status_code not in (200, 204):
            raise TokenServiceUnavailable(response.status_code, "sign-out refused")

    async def sign_in_resource(self, conversation: dict[str, object]) -> SignInResource:
        """The sign-in link for the login request's button (the OAuth fallback)."""
        state = {
            "connectionName": self.connection,
            "conversation": conversation,
            "relatesTo": conversation,
            "msAppId": self._app_id,
        }
        encoded = base64.b64encode(json.dumps(state).encode()).decode()
        response = await self._call(
            "GET", "/api/botsignin/GetSignInResource", params={"state": encoded}
        )
        if response.status_code != 200:
            logger.warning("token service gave no sign-in link: %s", response.status_code)
            return SignInResource(None, None)
        body = response.json()
        link = body.get("signInLink") if isinstance(body, dict) else None
        resource = body.get("tokenExchangeResource") if isinstance(body, dict) else None
        uri = resource.get("uri") if isinstance(resource, dict) else None
        return SignInResource(
            link if isinstance(link, str) else None, uri if isinstance(uri, str) else None
        )

    # --- internals ---------------------------------------------------------------------

    def _params(self, user_id: str, channel_id: str) -> dict[str, str]:
        return {"userId": user_id, "connectionName": self.connection, "channelId": channel_id}

    async def _call(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        token = await self._app_token(BOT_FRAMEWORK_RESOURCE)
        try:
            response = await self._http.request(
                method,
                self._base + path,
                headers={"Authorization": f"Bearer {token}"},
                timeout=TIMEOUT,
                **kwargs,  # type: ignore[arg-type]
            )
        except httpx.HTTPError as exc:
            raise TokenServiceUnavailable(None, type(exc).__name__) from exc
        if response.status_code >= 500 or response.status_code in (401, 403):
            raise TokenServiceUnavailable(response.status_code, "refused the bot")
        return response


def _token_of(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    token = body.get("token") if isinstance(body, dict) else None
    return token if isinstance(token, str) and token else None


def _aadsts(response: httpx.Response) -> int | None:
    """The AADSTS number in the error's message: the token service passes Entra's refusal on
    when it could not get the connection's token."""
    found = _AADSTS.search(response.text)
    return int(found.group(1)) if found else None


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "unknown"
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return str(code) if code else "unknown"
