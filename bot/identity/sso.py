"""Where a user's Teams SSO token comes from, for delegated (on-behalf-of) sends.

* ``BotServiceSso``: the Bot Framework token service, through the Agents SDK's
  ``UserTokenClient`` and the Azure Bot's OAuth connection (``MAILROOM_OAUTH_CONNECTION``).
  When the user has not signed in yet it returns None and the bot asks them to.
* ``EmulatorSso``: the local tenant emulator mints the token Teams would have handed over.
  Built only by ``mailroom dev`` against an emulator on loopback; ``mailroom serve`` has no
  setting that can turn it on.
"""

from __future__ import annotations

import logging
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from microsoft_agents.hosting.core import ChannelAdapter, TurnContext
from microsoft_agents.hosting.core.connector.client import UserTokenClient

from bot.errors import ConfigError

logger = logging.getLogger(__name__)


class SsoSource(Protocol):
    async def sso_token(self, turn_context: TurnContext, user_oid: str) -> str | None:
        """The user's SSO token for the bot, or None when they must sign in first."""
        ...


class BotServiceSso:
    def __init__(self, connection_name: str | None) -> None:
        self._connection = connection_name

    async def sso_token(self, turn_context: TurnContext, user_oid: str) -> str | None:
        if not self._connection:
            return None
        client = turn_context.turn_state.get(ChannelAdapter.USER_TOKEN_CLIENT_KEY)
        sender = turn_context.activity.from_property
        if not isinstance(client, UserTokenClient) or sender is None:
            return None
        try:
            response = await client.get_user_token(
                sender.id, self._connection, str(turn_context.activity.channel_id or "msteams")
            )
        except Exception as error:  # noqa: BLE001 - the SDK raises bare errors; not signed in is common
            logger.info("no user token from the token service: %s", type(error).__name__)
            return None
        token = getattr(response, "token", None)
        return token if isinstance(token, str) and token else None


async def sign_in_url(turn_context: TurnContext, connection_name: str) -> str | None:
    """The token service's sign-in link for the OAuth fallback, when it can give one."""
    client = turn_context.turn_state.get(ChannelAdapter.USER_TOKEN_CLIENT_KEY)
    if not isinstance(client, UserTokenClient):
        return None
    try:
        resource = await client.get_sign_in_resource(connection_name, turn_context.activity)
    except Exception as error:  # noqa: BLE001 - no app id (anonymous), or the service said no
        logger.info("no sign-in link: %s", type(error).__name__)
        return None
    link = getattr(resource, "sign_in_link", None)
    return link if isinstance(link, str) else None


class SignInNeeded(Exception):
    """The user must sign in (Teams SSO) before Mailroom can act as them."""


class EmulatorSso:
    def __init__(self, http: httpx.AsyncClient, emulator_url: str) -> None:
        host = urlsplit(emulator_url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigError(
                "MAILROOM_AUTHORITY_HOST",
                "the development token source works only with an emulator on loopback",
            )
        self._http = http
        self._url = emulator_url.rstrip("/") + "/_emulator/tokens/user"

    async def sso_token(self, turn_context: TurnContext, user_oid: str) -> str | None:
        response = await self._http.post(self._url, json={"user": user_oid}, timeout=10)
        if response.status_code != 200:
            return None
        token = response.json().get("token")
        return token if isinstance(token, str) else None
