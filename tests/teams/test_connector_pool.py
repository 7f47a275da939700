"""The Bot Connector clients: one connection pool across turns, replaced clients closed only
once no turn can still be using them, and no per-turn user-token client."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration, ClaimsIdentity

from bot.netclient import tls_context
from bot.teams.connector import MailroomConnections
from bot.teams.connector_pool import RETIRED_FOR, MailroomClientFactory
from tests.support.servers import serve


class Connector:
    """Records the client port each reply came from and the bearer token it carried."""

    def __init__(self) -> None:
        self.peers: list[int] = []
        self.tokens: list[str] = []
        self.app = web.Application()
        self.app.router.add_post("/v3/conversations/{cid}/activities", self._post)

    async def _post(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.peers.append(int(peer[1]) if peer else -1)
        self.tokens.append(request.headers.get("Authorization", ""))
        return web.json_response({"id": f"a-{len(self.peers)}"})


class Tokens:
    def __init__(self) -> None:
        self.token = "token-1"

    async def __call__(self, scope: str) -> str:
        return self.token


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def identity() -> ClaimsIdentity:
    return ClaimsIdentity({"aud": "bot-app-id", "appid": "bot-app-id"}, "Bearer")


def factory(tokens: Tokens, clock: Clock) -> MailroomClientFactory:
    connections = MailroomConnections(AgentAuthConfiguration(anonymous_allowed=True), tokens)
    return MailroomClientFactory(connections, tls_context(None), clock=clock)


async def reply(made: MailroomClientFactory, url: str) -> Any:
    client = await made.create_connector_client(
        None, identity(), url, "https://api.botframework.com"
    )
    activity = Activity(type=ActivityTypes.message, text="hello")
    try:
        return await client.conversations.send_to_conversation("c1", activity)
    finally:
        await client.close()  # what the SDK does at the end of every turn


async def test_turns_share_one_connection_to_the_connector() -> None:
    connector, tokens = Connector(), Tokens()
    made = factory(tokens, Clock())
    async with serve(connector.app) as url:
        for _ in range(3):
            await reply(made, url)
        await made.aclose()
    assert len(connector.peers) == 3
    assert len(set(connector.peers)) == 1, "each turn opened its own connection"
    assert connector.tokens == ["Bearer token-1"] * 3


async def test_a_new_bot_token_gets_a_new_client_and_the_old_closes_later() -> None:
    connector, tokens, clock = Connector(), Tokens(), Clock()
    made = factory(tokens, clock)
    async with serve(connector.app) as url:
        first = await made.create_connector_client(None, identity(), url, "aud")
        tokens.token = "token-2"
        await reply(made, url)
        # A turn that began with the old token may still be using its client.
        assert not first.client.closed  # type: ignore[attr-defined]
        clock.now += RETIRED_FOR + 1
        tokens.token = "token-3"
        await reply(made, url)
        assert first.client.closed  # type: ignore[attr-defined]
        await made.aclose()
    assert connector.tokens == ["Bearer token-2", "Bearer token-3"]


async def test_closing_the_factory_closes_every_kept_client() -> None:
    connector, tokens = Connector(), Tokens()
    made = factory(tokens, Clock())
    async with serve(connector.app) as url:
        client = await made.create_connector_client(None, identity(), url, "aud")
        await made.aclose()
    assert client.client.closed  # type: ignore[attr-defined]


async def test_the_sdk_user_token_client_refuses_instead_of_connecting() -> None:
    made = factory(Tokens(), Clock())
    client = await made.create_user_token_client(None, identity())  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match=r"bot\.identity"):
        await client.get_user_token("user", "connection", "msteams")
    await client.close()  # the SDK closes it every turn: nothing to close
