"""One Teams service URL for several Agents Playgrounds, as one tenant has in Teams.

In Teams every user's activities carry the same regional service URL
(``https://smba.trafficmanager.net/...``), so a bot that opens a 1:1 chat with someone who
never talked to it (``POST /v3/conversations`` at the service URL of any conversation of the
tenant) reaches that person's client. Each Playground is one person's client *and* its own
connector, on its own port: a chat the bot opens through Adele's Playground for Megan stays in
Adele's Playground, which never shows it (tests/e2e/README.md).

``TeamsService`` stands where the service URL is: every Playground is started with
``M365_AGENTS_PLAYGROUND_SERVICE_URL`` pointing here (the Playground's own option, read by its
CLI), and each connector call is passed on to the Playground of the person it is for:

* ``POST /v3/conversations`` (personal scope) — the Playground whose current user is the
  member, named by Teams id (``29:...``) or Entra object id: Teams accepts the object id for a
  1:1 chat with a user the bot is installed for (learn.microsoft.com/microsoftteams/platform/
  bots/how-to/conversations/send-proactive-messages, "Create the conversation"); the member is
  passed on by the Teams id that Playground knows its user by;
* ``/v3/conversations/{id}/...`` — the Playground that holds that conversation (each one's
  personal chat, or a chat opened through here);
* anything else — the first Playground.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import aiohttp
from aiohttp import web

PREFIX = "/_connector"
_CONVERSATIONS = f"{PREFIX}/v3/conversations"
SESSION = web.AppKey("session", aiohttp.ClientSession)
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True)
class Client:
    """One person's Playground, from its ``GET /_internal/v1/config``."""

    url: str
    user_id: str  # 29:...
    aad_object_id: str
    personal_chat_id: str

    @classmethod
    def of(cls, url: str, body: Mapping[str, Any]) -> Client:
        config = body["config"]
        me = config["currentUser"]
        return cls(url.rstrip("/"), me["id"], me["aadObjectId"], config["personalChat"]["id"])


class TeamsService:
    """Started with ``running_teams_service``; add each Playground with ``add``."""

    def __init__(self) -> None:
        self.url = ""  # the service URL to give the Playgrounds
        self.clients: list[Client] = []
        self.conversations: dict[str, Client] = {}
        self.created: list[tuple[str, str]] = []  # (member as asked, conversation id)
        self._lock = threading.Lock()

    def add(self, client: Client) -> None:
        with self._lock:
            self.clients.append(client)
            self.conversations[client.personal_chat_id] = client

    def _for_member(self, member: Mapping[str, Any]) -> Client | None:
        names = {str(member.get("id", "")), str(member.get("aadObjectId", ""))} - {""}
        with self._lock:
            return next((c for c in self.clients if names & {c.user_id, c.aad_object_id}), None)

    def _for_path(self, path: str) -> Client | None:
        with self._lock:
            if path.startswith(_CONVERSATIONS + "/"):
                conversation = unquote(path[len(_CONVERSATIONS) + 1 :].split("/", 1)[0])
                if conversation in self.conversations:
                    return self.conversations[conversation]
            return self.clients[0] if self.clients else None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        path = request.path
        client = self._for_path(path)
        opening = request.method == "POST" and path.rstrip("/") == _CONVERSATIONS
        asked = ""
        if opening:
            payload = await request.json()
            members = payload.get("members") or []
            if not payload.get("isGroup") and len(members) == 1:
                asked = str(members[0].get("id", ""))
                person = self._for_member(members[0])
                if person is not None:
                    client = person
                    payload["members"] = [{**members[0], "id": person.user_id}]
                    body = json.dumps(payload).encode()
        if client is None:
            return web.json_response({"error": {"code": "NoClient"}}, status=503)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        target = client.url + request.path_qs
        async with request.app[SESSION].request(
            request.method, target, data=body, headers=headers
        ) as answer:
            data = await answer.read()
            if opening and answer.status in (200, 201):
                conversation = str((await answer.json()).get("id", ""))
                with self._lock:
                    self.conversations[conversation] = client
                    self.created.append((asked, conversation))
            return web.Response(
                status=answer.status,
                body=data,
                content_type=answer.content_type,
            )


@contextmanager
def running_teams_service() -> Iterator[TeamsService]:
    """A ``TeamsService`` on a free loopback port, served from its own thread."""
    service = TeamsService()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        app = web.Application()
        app.router.add_route("*", PREFIX + "/{tail:.*}", service.handle)
        async with aiohttp.ClientSession() as session:
            app[SESSION] = session
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            service.url = f"http://127.0.0.1:{port}{PREFIX}"
            started.set()
            try:
                await stop.wait()
            finally:
                await runner.cleanup()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the Teams service stand-in did not start")
    try:
        yield service
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()
