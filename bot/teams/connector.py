"""How the Agents SDK reaches the Bot Connector (replies, card updates).

Mailroom supplies its own client factory so that (1) the connector's TLS trusts the
system CAs plus ``MAILROOM_CA_BUNDLE`` (the SDK's default aiohttp session would not), and
(2) the bot's own token comes from Mailroom's token source rather than a second,
independently configured msal client.
"""

from __future__ import annotations

import ssl
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
from microsoft_agents.hosting.core.connector import ConnectorClientBase, UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from microsoft_agents.hosting.core.rest_channel_service_client_factory import (
    RestChannelServiceClientFactory,
)

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


class MailroomClientFactory(RestChannelServiceClientFactory):
    def __init__(self, connections: MailroomConnections, tls: ssl.SSLContext) -> None:
        super().__init__(connections)
        self._connections = connections
        self._tls = tls

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
        session = ClientSession(
            base_url=endpoint,
            connector=TCPConnector(ssl=self._tls),
            timeout=CONNECTOR_TIMEOUT,
        )
        return TeamsConnectorClient(endpoint=endpoint, token=token, session=session)

    async def create_user_token_client(
        self,
        context: TurnContext,
        claims_identity: ClaimsIdentity,
        use_anonymous: bool = False,
    ) -> UserTokenClient:
        anonymous = use_anonymous or not claims_identity.get_app_id()
        return await super().create_user_token_client(context, claims_identity, anonymous)
