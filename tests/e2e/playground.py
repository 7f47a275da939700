"""A small driver for the Microsoft 365 Agents Playground's internal HTTP/WebSocket API.

This is the API the Playground's own web UI uses; it is undocumented, so the npm version is
pinned (``tools/node/package.json`` + lock) and ``PINNED_VERSION`` below must match it. Shapes
are in tests/e2e/README.md.

    async with Playground.connect("http://127.0.0.1:56150") as pg:
        await pg.send_text("/help")
        reply = await pg.expect(BotMessage.has_card)
        result = await pg.execute(reply, "send.start")

Order matters: the WebSocket is connected FIRST. Bot messages produced while no client is
connected are buffered by the Playground and flushed to the next client (without any
reply-to id), so ``connect`` opens the socket, drains that backlog into ``backlog``, and only
then reads the config and lets you act.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

PINNED_VERSION = "0.2.28"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_RESPONSE = "application/vnd.microsoft.card.adaptive"
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
ERROR_RESPONSE = "application/vnd.microsoft.error"
DEFAULT_TIMEOUT = 20.0
# GET /_internal/v1/config first waits (up to 15 s) for the bot's endpoint to answer.
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=40)


class PlaygroundError(RuntimeError):
    """The Playground refused a request, closed its socket, or nothing came in time."""


@dataclass(frozen=True)
class PlaygroundConfig:
    """From ``GET /_internal/v1/config`` (the ``config`` part; ``raw`` has it all)."""

    tenant_id: str
    bot_id: str
    current_user_id: str
    current_user_aad_object_id: str
    personal_chat_id: str
    group_chat_id: str | None
    users: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> PlaygroundConfig:
        config = body["config"]
        groups = config.get("groupChats") or []
        return cls(
            tenant_id=config["tenantId"],
            bot_id=config["bot"]["id"],
            current_user_id=config["currentUser"]["id"],
            current_user_aad_object_id=config["currentUser"]["aadObjectId"],
            personal_chat_id=config["personalChat"]["id"],
            group_chat_id=groups[0]["id"] if groups else None,
            users=tuple(config.get("users", [])),
            raw=body,
        )


@dataclass(frozen=True)
class BotMessage:
    """One ``createMessage`` / ``updateMessage`` event from the WebSocket."""

    action: str
    conversation_id: str
    message_id: str
    from_id: str
    text: str | None
    attachments: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def parse(cls, event: Mapping[str, Any]) -> BotMessage:
        message = event["message"]
        return cls(
            action=event["action"],
            conversation_id=event.get("actionConversationId", ""),
            message_id=str(message.get("messageId", "")),
            from_id=message.get("from", {}).get("id", ""),
            text=message.get("text"),
            attachments=tuple(message.get("attachments") or ()),
            raw=event,
        )

    @property
    def cards(self) -> list[Mapping[str, Any]]:
        return [a["content"] for a in self.attachments if a.get("contentType") == ADAPTIVE_CARD]

    @property
    def card(self) -> Mapping[str, Any]:
        cards = self.cards
        if len(cards) != 1:
            raise PlaygroundError(f"expected one Adaptive Card, got {len(cards)}: {self}")
        return cards[0]

    def with_card(self, card: Mapping[str, Any]) -> BotMessage:
        """This message as the Playground now stores it after an invoke answered ``card``
        (it replaces the card of a one-attachment message; no WebSocket event says so)."""
        attachments = ({"contentType": ADAPTIVE_CARD, "content": card},)
        return dataclasses.replace(self, attachments=attachments)

    def has_card(self) -> bool:
        return bool(self.cards)

    def all_text(self) -> str:
        """The message text plus every string in its cards: for assertions."""
        parts = [self.text or ""]
        for card in self.cards:
            parts.extend(_strings(card))
        return "\n".join(parts)


@dataclass(frozen=True)
class InvokeResponse:
    """What ``POST /_conversation/v1/invoke`` returned: the bot's invoke response body
    without its ``statusCode`` (the Playground keeps only ``type`` and ``value``)."""

    type: str
    value: Any

    @property
    def card(self) -> Mapping[str, Any]:
        if self.type != CARD_RESPONSE or not isinstance(self.value, Mapping):
            raise PlaygroundError(f"the invoke answered {self.type}: {self.value!r}")
        return self.value


def card_actions(card: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every action in a card (top level, in ActionSets, in show-cards), in order."""
    found: list[Mapping[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def find_action(
    card: Mapping[str, Any],
    verb: str | None = None,
    title: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Mapping[str, Any]:
    """The first ``Action.Execute`` with that verb and title whose ``data`` includes ``data``
    (e.g. ``{"sender": "support@contoso.com"}`` for one of several "Choose" buttons)."""
    for action in card_actions(card):
        if action.get("type") != "Action.Execute":
            continue
        if (verb is None or action.get("verb") == verb) and (
            title is None or action.get("title") == title
        ):
            own = action.get("data") or {}
            if all(own.get(key) == value for key, value in (data or {}).items()):
                return action
    known = [(a.get("verb"), a.get("title"), a.get("data")) for a in card_actions(card)]
    raise PlaygroundError(
        f"no Action.Execute verb={verb!r} title={title!r} data={data!r}; card has {known}"
    )


def with_verb(verb: str) -> Callable[[BotMessage], bool]:
    """A predicate for ``expect``: a bot message whose card has an action with this verb."""
    return lambda message: any(
        action.get("verb") == verb for card in message.cards for action in card_actions(card)
    )


def saying(text: str) -> Callable[[BotMessage], bool]:
    """A predicate for ``expect``: a bot message whose text or cards contain ``text``."""
    return lambda message: text in message.all_text()


def card_input_defaults(card: Mapping[str, Any]) -> dict[str, str]:
    """What the UI would submit for untouched inputs: each Input.* of the card's body (not
    those inside a show-card) with an id and a value; Input.Toggle gives valueOff if unset."""
    values: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            kind = str(node.get("type", ""))
            if kind.startswith("Input.") and node.get("id"):
                if kind == "Input.Toggle":
                    values[node["id"]] = str(node.get("value", node.get("valueOff", "false")))
                elif node.get("value") not in (None, ""):
                    values[node["id"]] = str(node["value"])
            for key, value in node.items():
                if not (kind == "Action.ShowCard" and key == "card"):  # its own inputs
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body", []))
    return values


class Playground:
    """A connected driver. Build it with ``Playground.connect``."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self.events: list[Mapping[str, Any]] = []  # every WebSocket event since connect
        self.backlog: list[Mapping[str, Any]] = []  # the ones flushed at connect time
        self._cursor = 0  # events before it were consumed by ``expect``
        self._arrived = asyncio.Condition()
        self._closed: str | None = None
        self._reader: asyncio.Task[None] | None = None
        self._config: PlaygroundConfig | None = None

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, base_url: str, *, backlog_quiet: float = 0.5
    ) -> AsyncIterator[Playground]:
        async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
            driver = cls(base_url, session)
            ws_url = driver.base_url.replace("http", "ws", 1)
            ws = await session.ws_connect(
                f"{ws_url}/_ws_conversation/v1/conversations/stream", heartbeat=None
            )
            try:
                driver.backlog = await _drain(ws, backlog_quiet)
                driver.events.extend(driver.backlog)
                driver._cursor = len(driver.events)
                driver._reader = asyncio.create_task(driver._read(ws))
                driver._config = PlaygroundConfig.parse(
                    await driver._request("GET", "/_internal/v1/config")
                )
                yield driver
            finally:
                if driver._reader is not None:
                    driver._reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await driver._reader
                await ws.close()

    @property
    def config(self) -> PlaygroundConfig:
        assert self._config is not None
        return self._config

    # --- acting -------------------------------------------------------------------------

    async def send_text(
        self,
        text: str,
        *,
        conversation_id: str | None = None,
        from_id: str | None = None,
        mentions: list[Mapping[str, Any]] | None = None,
    ) -> str:
        """Post a user message (personal chat by default); the Playground forwards it to the
        bot in a personal chat, or when ``mentions`` names the bot. Returns its message id.
        The bot always gets it from the Playground's current user: ``from_id`` is only checked
        to be a member of the chat (for another person, use ``devrun.running_playground``)."""
        conversation = conversation_id or self.config.personal_chat_id
        body: dict[str, Any] = {
            "from": {"id": from_id or self.config.current_user_id},
            "text": text,
            "textFormat": "plain",
        }
        if mentions:
            body["mentions"] = mentions
        answer = await self._request(
            "POST", f"/_conversation/v1/conversations/{conversation}/messages", body
        )
        return str(answer["messageId"])

    async def execute(
        self,
        message: BotMessage,
        verb: str | None = None,
        *,
        title: str | None = None,
        data: Mapping[str, Any] | None = None,
        inputs: Mapping[str, str] | None = None,
        from_id: str | None = None,
    ) -> InvokeResponse:
        """Click an ``Action.Execute`` of ``message``'s card as the UI does: the action's data,
        plus the card's input values (defaults, overridden by ``inputs``), all as strings.
        ``verb``, ``title`` and ``data`` pick the action (see ``find_action``)."""
        card = message.card
        action = find_action(card, verb, title, data)
        data = dict(action.get("data") or {})
        if action.get("associatedInputs") != "none":
            data.update(card_input_defaults(card))
            data.update({key: str(value) for key, value in (inputs or {}).items()})
        value = {
            "action": {
                "type": "Action.Execute",
                "title": action.get("title"),
                "verb": action.get("verb"),
                "data": data,
            }
        }
        return await self.invoke(
            value,
            reply_to_id=message.message_id,
            conversation_id=message.conversation_id,
            from_id=from_id,
        )

    async def click(
        self,
        message: BotMessage,
        verb: str | None = None,
        *,
        title: str | None = None,
        data: Mapping[str, Any] | None = None,
        inputs: Mapping[str, str] | None = None,
        from_id: str | None = None,
    ) -> BotMessage:
        """``execute``, then ``message`` as the Playground now shows it: the bot answered with
        a card, which replaced the clicked one (anything else raises ``PlaygroundError``)."""
        answer = await self.execute(
            message, verb, title=title, data=data, inputs=inputs, from_id=from_id
        )
        return message.with_card(answer.card)

    async def invoke(
        self,
        value: Mapping[str, Any],
        *,
        reply_to_id: str,
        conversation_id: str | None = None,
        from_id: str | None = None,
    ) -> InvokeResponse:
        """A raw ``adaptiveCard/action`` invoke (e.g. forged data). ``reply_to_id`` must be
        a message the Playground knows in that conversation, else it answers 400."""
        body = {
            "name": "adaptiveCard/action",
            "value": dict(value),
            "from": {"id": from_id or self.config.current_user_id},
            "conversation": {"id": conversation_id or self.config.personal_chat_id},
            "replyToId": reply_to_id,
        }
        answer = await self._request("POST", "/_conversation/v1/invoke", body)
        return InvokeResponse(type=answer.get("type", ""), value=answer.get("value"))

    async def install(self, conversation_id: str | None = None) -> None:
        """What the UI does when a chat is first opened: the bot receives installationUpdate
        and conversationUpdate (membersAdded) activities, e.g. to post its welcome card."""
        conversation = conversation_id or self.config.personal_chat_id
        await self._request("POST", f"/_debug/conversation/{conversation}/installation", {})

    # --- watching -----------------------------------------------------------------------

    async def expect(
        self,
        predicate: Callable[[BotMessage], bool] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        actions: tuple[str, ...] = ("createMessage", "updateMessage"),
    ) -> BotMessage:
        """The next bot message not yet consumed (and matching ``predicate``); the ones
        skipped on the way stay in ``events``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._arrived:
            while True:
                while self._cursor < len(self.events):
                    event = self.events[self._cursor]
                    self._cursor += 1
                    if event.get("action") in actions:
                        message = BotMessage.parse(event)
                        if predicate is None or predicate(message):
                            return message
                if self._closed is not None:
                    raise PlaygroundError(f"the WebSocket closed: {self._closed}")
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise PlaygroundError(
                        f"no matching bot message within {timeout} s; events so far:\n"
                        + "\n".join(json.dumps(e)[:400] for e in self.events)
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), remaining)

    def messages(self) -> list[BotMessage]:
        """Every bot message seen so far (backlog included)."""
        return [
            BotMessage.parse(e)
            for e in self.events
            if e.get("action") in ("createMessage", "updateMessage")
        ]

    # --- plumbing -----------------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        reason = "closed by the Playground"
        try:
            async for frame in ws:
                if frame.type == aiohttp.WSMsgType.TEXT:
                    async with self._arrived:
                        self.events.append(json.loads(frame.data))
                        self._arrived.notify_all()
                elif frame.type == aiohttp.WSMsgType.ERROR:
                    reason = f"error {ws.exception()!r}"
                    break
        finally:
            async with self._arrived:
                self._closed = reason
                self._arrived.notify_all()

    async def _request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        async with self._session.request(method, self.base_url + path, json=body) as response:
            text = await response.text()
            if response.status != 200:
                raise PlaygroundError(f"{method} {path} -> {response.status}: {text[:500]}")
            if not text:
                return {}
            answer = json.loads(text)
            return answer if isinstance(answer, dict) else {"value": answer}


async def _drain(ws: aiohttp.ClientWebSocketResponse, quiet: float) -> list[Mapping[str, Any]]:
    """Read what the Playground flushes on connect, until it is quiet for ``quiet`` s."""
    found: list[Mapping[str, Any]] = []
    while True:
        try:
            frame = await ws.receive(timeout=quiet)
        except TimeoutError:
            return found
        if frame.type != aiohttp.WSMsgType.TEXT:
            raise PlaygroundError(f"the WebSocket closed while connecting: {frame.type!r}")
        found.append(json.loads(frame.data))


_TEXT_KEYS = frozenset({"text", "title", "value", "label", "placeholder", "errorMessage"})


def _strings(node: Any) -> list[str]:
    """The human-readable strings of a card (TextBlock text, fact titles/values, labels...)."""
    found: list[str] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            if isinstance(value, str):
                if key in _TEXT_KEYS:
                    found.append(value)
            else:
                found.extend(_strings(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_strings(item))
    return found
