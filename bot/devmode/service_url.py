"""One Teams service URL for the Agents Playgrounds of ``mailroom dev``, as one tenant has.

In Teams every user's activities carry the same regional service URL, so a 1:1 chat the bot
opens with someone who never talked to it (``POST /v3/conversations`` at the service URL of
a conversation of the tenant: how an approval card reaches a new approver) is one that
person's client shows. Each Playground, though, is one person's client *and* its own
connector: a chat opened through the requester's Playground for the approver stays there,
shown to no one.

So ``mailroom dev`` starts every Playground with ``M365_AGENTS_PLAYGROUND_SERVICE_URL`` (the
Playground's own ``--service-url`` option) set to ``PREFIX`` on the bot's port, and this
sub-application passes each connector call on to the Playground of the person it is for:

* ``POST /v3/conversations`` for one member — the Playground whose current user that is,
  named by Teams id (``29:...``) or Entra object id (Teams accepts the object id for a 1:1
  chat with a user the bot is installed for: learn.microsoft.com/microsoftteams/platform/
  bots/how-to/conversations/send-proactive-messages), passed on by the Teams id that
  Playground knows its user by (it keys personal chats by it and answers with the existing
  one, as Teams keeps one 1:1 chat per user and bot);
* ``/v3/conversations/{id}/...`` — the Playground that holds the conversation;
* anything else — the first Playground.

The Playgrounds are listed in ``.mailroom/playgrounds.json`` (``register``), written by
``mailroom dev`` as each one answers. Loopback only, development only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import aiohttp
from aiohttp import web

from bot.devmode import playground_config
from bot.devmode.files import write_json
from emulator.seed import Account

PREFIX = "/_dev/connector"
CLIENTS_FILE = "playgrounds.json"
ENV = "M365_AGENTS_PLAYGROUND_SERVICE_URL"
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_TIMEOUT = aiohttp.ClientTimeout(total=30)
SESSION = web.AppKey("session", aiohttp.ClientSession)


@dataclass(frozen=True)
class Client:
    """One person's Playground: where it answers and whose it is."""

    url: str
    user_id: str  # 29:<object id>
    aad_object_id: str
    personal_chat_id: str

    @classmethod
    def of(cls, url: str, account: Account) -> Client:
        return cls(
            url.rstrip("/"),
            playground_config.teams_user_id(account),
            account.id,
            playground_config.personal_chat_id(account),
        )


def service_url(bot_url: str) -> str:
    return bot_url.rstrip("/") + PREFIX


def register(path: Path, client: Client) -> None:
    """Add ``client`` to the list (replacing one at the same address), atomically."""
    clients = [c for c in load(path) if c.url != client.url] + [client]
    write_json(path, [asdict(c) for c in clients])


def load(path: Path) -> list[Client]:
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    try:
        return [Client(**entry) for entry in entries]
    except TypeError:  # not a list of clients: nobody to pass calls to
        return []


class Router:
    def __init__(self, clients_file: Path) -> None:
        self._file = clients_file
        self._opened: dict[str, Client] = {}  # chats opened through here

    def _for_member(self, clients: list[Client], member: Mapping[str, Any]) -> Client | None:
        names = {str(member.get("id") or ""), str(member.get("aadObjectId") or "")} - {""}
        return next((c for c in clients if names & {c.user_id, c.aad_object_id}), None)

    def _for_conversation(self, clients: list[Client], tail: str) -> Client | None:
        if tail.startswith("v3/conversations/"):
            conversation = unquote(tail.split("/", 3)[2])
            for client in clients:
                if client.personal_chat_id == conversation:
                    return client
            if conversation in self._opened:
                return self._opened[conversation]
        return clients[0] if clients else None

    def _remember(self, answer: bytes, client: Client) -> None:
        """The chat a createConversation opened is answered by the Playground that opened it."""
        try:
            opened = json.loads(answer).get("id")
        except (ValueError, AttributeError):
            return
        if isinstance(opened, str):
            self._opened[opened] = client

    async def handle(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        clients = load(self._file)
        body = await request.read()
        client = self._for_conversation(clients, tail)
        opening = request.method == "POST" and tail.rstrip("/") == "v3/conversations"
        if opening:
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            members = payload.get("members") if isinstance(payload, dict) else None
            one = members[0] if isinstance(members, list) and len(members) == 1 else None
            if isinstance(payload, dict) and not payload.get("isGroup") and isinstance(one, dict):
                person = self._for_member(clients, one)
                if person is not None:
                    client = person
                    payload["members"] = [{**one, "id": person.user_id}]
                    body = json.dumps(payload).encode()
        if client is None:
            return web.json_response(
                {"error": {"code": "ServiceUnavailable", "message": "No Playground yet."}},
                status=503,
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        target = f"{client.url}/_connector/{tail}"
        session = request.app[SESSION]
        async with session.request(
            request.method, target, params=request.query, data=body, headers=headers
        ) as answer:
            data = await answer.read()
            if opening and answer.status in (200, 201):
                self._remember(data, client)
            return web.Response(status=answer.status, body=data, content_type=answer.content_type)


def create(clients_file: Path) -> web.Application:
    """The sub-application to mount at ``PREFIX``."""
    app = web.Application()
    router = Router(clients_file)

    async def session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(timeout=_TIMEOUT, trust_env=False) as client:
            app[SESSION] = client
            yield

    app.cleanup_ctx.append(session)
    app.router.add_route("*", "/{tail:.*}", router.handle)
    return app
