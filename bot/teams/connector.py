"""How the Agents SDK reaches the Bot Connector (replies, card updates).

Mailroom supplies its own ``Connections`` so that the bot's own token comes from
Mailroom's token source rather than a second, independently configured msal client.
Its client factory (bot/teams/connector_pool.py) adds the TLS trust and warm connections.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientTimeout
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core.authorization import (
    AccessTokenProviderBase,
    AgentAuthConfiguration,
    ClaimsIdentity,
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
