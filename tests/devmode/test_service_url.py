"""The shared Teams service URL of ``mailroom dev``: each connector call reaches the Playground
of the person it is for. Two small HTTP servers stand in for two Playgrounds' connectors
(``/_connector/...``) and record what they were asked."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.devmode import service_url
from bot.devmode.service_url import Client

ADELE = Client("", "29:adele-oid", "adele-oid", "a:mailroom-dev-adele-oid")
MEGAN = Client("", "29:megan-oid", "megan-oid", "a:mailroom-dev-megan-oid")


@dataclass
class Connector:
    """One Playground's connector: answers createConversation with the chat of the member."""

    url: str = ""
    seen: list[tuple[str, str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        self.seen.append((request.method, request.path_qs, body))
        if request.method == "POST" and request.path == "/_connector/v3/conversations":
            member = body["members"][0]["id"]
            return web.json_response({"id": f"chat-of-{member}"}, status=201)
        return web.json_response({"id": "activity-1"}, status=201)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Connector, Connector]]:
    clients = tmp_path / service_url.CLIENTS_FILE
    runners = []
    connectors = (Connector(), Connector())
    for connector, person in zip(connectors, (ADELE, MEGAN), strict=True):
        app = web.Application()
        app.router.add_route("*", "/_connector/{tail:.*}", connector.handle)
        runner, connector.url = await serve(app)
        runners.append(runner)
        service_url.register(clients, dataclasses.replace(person, url=connector.url))
    main = web.Application()
    main.add_subapp(service_url.PREFIX, service_url.create(clients))
    runner, url = await serve(main)
    runners.append(runner)
    try:
        async with httpx.AsyncClient(base_url=service_url.service_url(url)) as http:
            yield http, *connectors
    finally:
        for each in runners:
            await each.cleanup()


async def test_a_chat_opened_for_someone_reaches_their_playground_by_their_teams_id(
    world: tuple[httpx.AsyncClient, Connector, Connector],
) -> None:
    http, adele, megan = world
    member = {"id": "megan-oid", "aadObjectId": "megan-oid"}  # the bot names her by object id
    answer = await http.post("/v3/conversations", json={"isGroup": False, "members": [member]})
    assert answer.status_code == 201
    assert answer.json() == {"id": "chat-of-29:megan-oid"}
    assert adele.seen == []
    ((method, path, body),) = megan.seen
    assert (method, path) == ("POST", "/_connector/v3/conversations")
    assert body["members"] == [{"id": "29:megan-oid", "aadObjectId": "megan-oid"}]

    # What the bot then posts to that chat goes to the same Playground.
    await http.post("/v3/conversations/chat-of-29:megan-oid/activities", json={"type": "message"})
    assert megan.seen[-1][:2] == (
        "POST",
        "/_connector/v3/conversations/chat-of-29:megan-oid/activities",
    )
    assert adele.seen == []


async def test_each_personal_chat_is_answered_by_its_own_playground_and_the_rest_by_the_first(
    world: tuple[httpx.AsyncClient, Connector, Connector],
) -> None:
    http, adele, megan = world
    await http.put("/v3/conversations/a:mailroom-dev-megan-oid/activities/7", json={"x": 1})
    await http.post("/v3/conversations/a:mailroom-dev-adele-oid/activities", json={"x": 2})
    await http.get("/v3/conversations/unknown/members", params={"page": "1"})
    assert [s[:2] for s in megan.seen] == [
        ("PUT", "/_connector/v3/conversations/a:mailroom-dev-megan-oid/activities/7")
    ]
    assert [s[:2] for s in adele.seen] == [
        ("POST", "/_connector/v3/conversations/a:mailroom-dev-adele-oid/activities"),
        ("GET", "/_connector/v3/conversations/unknown/members?page=1"),
    ]


async def test_someone_without_a_playground_gets_their_chat_in_the_first_one(
    world: tuple[httpx.AsyncClient, Connector, Connector],
) -> None:
    http, adele, megan = world
    member = {"id": "diego-oid"}
    answer = await http.post("/v3/conversations", json={"isGroup": False, "members": [member]})
    assert answer.json() == {"id": "chat-of-diego-oid"}  # passed on unchanged
    assert len(adele.seen) == 1
    assert megan.seen == []


async def test_a_malformed_create_conversation_is_passed_on_as_it_came(
    world: tuple[httpx.AsyncClient, Connector, Connector],
) -> None:
    http, adele, megan = world
    bodies: list[dict[str, Any]] = [
        {"members": "megan-oid"},
        {"members": ["megan-oid"]},
        {"members": [{}, {}]},
    ]
    for body in bodies:
        answer = await http.post("/v3/conversations/", json=body)
        assert answer.status_code < 500
    assert [s[2] for s in adele.seen][:2] == [{"members": "megan-oid"}, {"members": ["megan-oid"]}]
    assert megan.seen == []


async def test_without_any_playground_the_service_is_unavailable(tmp_path: Path) -> None:
    main = web.Application()
    main.add_subapp(service_url.PREFIX, service_url.create(tmp_path / "none.json"))
    runner, url = await serve(main)
    try:
        async with httpx.AsyncClient(base_url=service_url.service_url(url)) as http:
            answer = await http.post("/v3/conversations/x/activities", json={})
    finally:
        await runner.cleanup()
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "ServiceUnavailable"


def test_registering_a_playground_again_at_its_address_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / service_url.CLIENTS_FILE
    service_url.register(path, Client("http://127.0.0.1:1", "29:a", "a", "chat-a"))
    service_url.register(path, Client("http://127.0.0.1:2", "29:b", "b", "chat-b"))
    service_url.register(path, Client("http://127.0.0.1:1", "29:c", "c", "chat-c"))
    assert [c.user_id for c in service_url.load(path)] == ["29:b", "29:c"]
    assert isinstance(json.loads(path.read_text(encoding="utf-8")), list)
