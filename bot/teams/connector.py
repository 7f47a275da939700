"""How the Agents SDK reaches the Bot Connector (replies, card updates).

Mailroom supplies its own client factory so that (1) the connector's TLS trusts the
system CAs plus ``MAILROOM_CA_BUNDLE`` (the SDK's default aiohttp session would not), and
(2) the bot's own token comes from Mailroom's token source rather than a second,
independently configured msal client, and (3) replies reuse warm connections (one pool
for every turn, rather than the SDK's new session and TLS handshake per turn).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import (
    AccessTokenProviderBase,
    AgentAuthConfiguration,
    ClaimsIdentity,
)
from microsoft_agents.hosting.core.channel_service_client_factory_base import (
    ChannelServiceClientFactoryBase,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase, UserTokenClientBase
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

# A bot token for the connector: scope -> bearer token. None in anonymous mode.
AppTokenSource = Callable[[str], Awaitable[str]]

CONNECTOR_TIMEOUT = ClientTimeout(total=15, connect=5)


class _TokenProvider(AccessTokenProviderBase):
    """The SDK's AccessTokenProviderBase, answered by Mailroom's token source."""

    def __init__(self, configuration: AgentAuthConfiguration, source: AppTokenSource) -> None:
        self._configuration = configuration
        self._source = source

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._configuration

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        scope = scopes[0] if scopes else f"{resource_url.rstrip('/')}/.default"
        return await self._source(scope)

    def get_token_credential(self) -> Any:
        raise NotImplementedError("Mailroom does not use azure-core credentials")

    # Agentic identities and the SDK's own on-behalf-of are not used by Mailroom
    # (bot/identity owns user tokens); refuse loudly rather than half-work.
    async def acquire_token_on_behalf_of(self, scopes: list[str], user_assertion: str) -> str:
        raise NotImplementedError("user tokens come from bot.identity")

    async def get_agentic_application_token(
        self, tenant_id: str, agent_app_instance_id: str
    ) -> str | None:
        raise NotImplementedError("agentic identities are not used")

    async def get_agentic_instance_token(
        self, tenant_id: str, agent_app_instance_id: str
    ) -> tuple[str, str]:
        raise NotImplementedError("agentic identities are not used")

    async def get_agentic_user_token(
        self, tenant_id: str, agent_app_instance_id: str, agentic_user_id: str, scopes: list[str]
    ) -> str | None:
        raise NotImplementedError("agentic identities are not used")


class MailroomConnections:
    """The SDK's ``Connections``: one service connection, Mailroom's token source."""

    def __init__(self, configuration: AgentAuthConfiguration, source: AppTokenSource) -> None:
        self._provider = _TokenProvider(configuration, source)

    def get_connection(self, connection_name: str) -> _TokenProvider:
        return self._provider

    def get_default_connection(self) -> _TokenProvider:
        return self._provider

    def get_token_provider(
        self, claims_identity: ClaimsIdentity, service_url: str
    ) -> _TokenProvider:
        return self._provider

    def get_token_provider_from_activity(
        self, claims_identity: ClaimsIdentity, activity: Activity
    ) -> _TokenProvider:
        return self._provider

    def get_default_connection_configuration(self) -> AgentAuthConfiguration:
        return self._provider.configuration


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


class _NoUserTokens:
    """The SDK's per-turn ``UserTokenClient``, which Mailroom never uses: user tokens come
    from bot.identity (its own token-service client). The SDK builds one every turn (an
    HTTP session and a bot token) only to close it again; this one costs nothing and
    refuses loudly if anything ever asks it for a token."""

    @property
    def agent_sign_in(self) -> Any:
        raise NotImplementedError("user tokens come from bot.identity")

    @property
    def user_token(self) -> Any:
        raise NotImplementedError("user tokens come from bot.identity")

    async def get_user_token(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user tokens come from bot.identity")

    async def get_sign_in_resource(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user tokens come from bot.identity")

    async def sign_out_user(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("user tokens come from bot.identity")

    async def get_token_status(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user tokens come from bot.identity")

    async def get_aad_tokens(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user tokens come from bot.identity")

    async def exchange_token(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user tokens come from bot.identity")

    async def get_token_or_sign_in_resource(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("user tokens come from bot.identity")

    async def close(self) -> None:
        return None


NO_USER_TOKENS = _NoUserTokens()

# Connector clients kept for reuse, one per endpoint (with the bot token it was made with):
# a few service URLs in practice; past this many the oldest is dropped.
MAX_KEPT_CLIENTS = 16
RETIRED_FOR = 2 * (CONNECTOR_TIMEOUT.total or 15)  # seconds before a replaced one is closed


class MailroomClientFactory(ChannelServiceClientFactoryBase):
    """Connector clients that share one connection pool across turns.

    The SDK's own factory opens a new HTTP session, and so a new TLS connection to the Bot
    Connector, for every turn, and reads the SDK's version from the installed packages for
    each client's User-Agent. Here a client is made once per endpoint and bot token and
    kept (``_TurnConnectorClient``): a reply reuses a warm connection."""

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
