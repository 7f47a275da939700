"""The Bot Connector clients of every turn (replies, card updates), on one warm pool.

The SDK's own factory opens a new HTTP session, and so a new TLS handshake with the Bot
Connector, for every turn, and its TLS trusts only the default CAs. Mailroom's factory
trusts the system CAs plus ``MAILROOM_CA_BUNDLE`` and keeps one client per endpoint and
bot token on one shared connection pool, so a reply reuses a warm connection.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientSession, TCPConnector
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import ClaimsIdentity
from microsoft_agents.hosting.core.channel_service_client_factory_base import (
    ChannelServiceClientFactoryBase,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase, UserTokenClientBase
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from bot.teams.connector import CONNECTOR_TIMEOUT, MailroomConnections


class _TurnConnectorClient(TeamsConnectorClient):
    """A connector client whose session rides on the factory's shared connection pool.

    The SDK closes a turn's connector client when the turn ends; closing this one closes
    nothing: the factory keeps it for the next turn with the same endpoint and bot token,
    and the pool (and its TLS connections to the Bot Connector) lives until ``aclose``."""

    def __init__(self, endpoint: str, token: str, session: ClientSession) -> None:
        super().__init__(endpoint=endpoint, token=token, session=session)
        self.token = token

    async def close(self) -> None:
        return None

    async def shut(self) -> None:
        await self.client.close()


_USER_TOKENS_ELSEWHERE = "user tokens come from bot.identity"


class _NoUserTokens:
    """The SDK's per-turn ``UserTokenClient``, which Mailroom never uses: user tokens come
    from bot.identity (its own token-service client). The SDK builds one every turn (an
    HTTP session and a bot token) only to close it again; this one costs nothing and
    refuses loudly if anything ever asks it for a token."""

    @property
    def agent_sign_in(self) -> Any:
        raise NotImplementedError(_USER_TOKENS_ELSEWHERE)

    @property
    def user_token(self) -> Any:
        raise NotImplementedError(_USER_TOKENS_ELSEWHERE)

    async def get_user_token(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_USER_TOKENS_ELSEWHERE)

    async def get_sign_in_resource(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_USER_TOKENS_ELSEWHERE)

    async def sign_out_user(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(_USER_TOKENS_ELSEWHERE)

    async def get_token_status(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_USER_TOKENS_ELSEWHERE)

    async def get_aad_tokens(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_USER_TOKENS_ELSEWHERE)

    async def exchange_token(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_USER_TOKENS_ELSEWHERE)

    async def get_token_or_sign_in_resource(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_USER_TOKENS_ELSEWHERE)

    async def close(self) -> None:
        return None


NO_USER_TOKENS = _NoUserTokens()

# Connector clients kept for reuse, one per endpoint (with the bot token it was made with):
# a few service URLs in practice; past this many the oldest is dropped.
MAX_KEPT_CLIENTS = 16
RETIRED_FOR = 2 * (CONNECTOR_TIMEOUT.total or 15)  # seconds before a replaced one is closed


class MailroomClientFactory(ChannelServiceClientFactoryBase):
    """Connector clients that share one connection pool across turns: one client per
    endpoint and bot token, kept (``_TurnConnectorClient``). Keeping it also saves the
    SDK's per-client read of its version from the installed packages (the User-Agent)."""

    def __init__(
        self,
        connections: MailroomConnections,
        tls: ssl.SSLContext,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connections = connections
        self._tls = tls
        self._clock = clock
        self._pool: TCPConnector | None = None  # made inside the running loop
        self._clients: dict[str, _TurnConnectorClient] = {}
        self._retired: list[tuple[float, _TurnConnectorClient]] = []

    async def create_connector_client(  # noqa: PLR0917 - the SDK's signature
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        if not service_url:
            raise TypeError("service_url is required")
        token = ""
        # A proactive turn of the anonymous local mode carries no app id: no token either.
        if not use_anonymous and claims_identity.get_app_id():
            provider = self._connections.get_default_connection()
            token = await provider.get_access_token(
                audience, scopes or claims_identity.get_token_scope()
            )
        endpoint = service_url if service_url.endswith("/") else service_url + "/"
        client = self._clients.get(endpoint)
        if client is None or client.token != token or client.client.closed:
            client = await self._new_client(endpoint, token)
        return client

    async def _new_client(self, endpoint: str, token: str) -> _TurnConnectorClient:
        if self._pool is None or self._pool.closed:
            self._pool = TCPConnector(ssl=self._tls)
        session = ClientSession(
            base_url=endpoint,
            connector=self._pool,
            connector_owner=False,
            timeout=CONNECTOR_TIMEOUT,
        )
        client = _TurnConnectorClient(endpoint, token, session)
        replaced = self._clients.pop(endpoint, None)
        self._clients[endpoint] = client
        now = self._clock()
        if replaced is not None:
            self._retired.append((now, replaced))
        if len(self._clients) > MAX_KEPT_CLIENTS:
            oldest = next(iter(self._clients))
            self._retired.append((now, self._clients.pop(oldest)))
        # A retired client may still be serving a turn that began before: it is closed once
        # any request on it must have ended (the connector timeout), never under a turn.
        due = [c for at, c in self._retired if now - at > RETIRED_FOR]
        self._retired = [(at, c) for at, c in self._retired if now - at <= RETIRED_FOR]
        for old in due:
            await old.shut()
        return client

    async def create_user_token_client(
        self,
        context: TurnContext,
        claims_identity: ClaimsIdentity,
        use_anonymous: bool = False,
    ) -> UserTokenClientBase:
        return NO_USER_TOKENS

    async def aclose(self) -> None:
        """Close the kept clients and the pool (the app's cleanup)."""
        clients = [*self._clients.values(), *(c for _, c in self._retired)]
        self._clients, self._retired = {}, []
        for client in clients:
            await client.shut()
        if self._pool is not None:
            await self._pool.close()
