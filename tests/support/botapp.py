"""The whole bot over real HTTP against the emulator: a test talks to it like Teams does.

``BotHarness`` posts Teams-shaped activities to ``/api/messages`` (messages are answered by
the bot posting to the emulator's Bot Connector; invokes are answered synchronously) and
reads replies back from the emulator's connector log.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
from aiohttp import web

from bot.app import SERVICES, create_app
from bot.inbound_auth import SigningKeySource
from bot.metrics import Metrics
from bot.services import Services, build_services
from bot.settings import Secret, Settings
from emulator.testing import RunningEmulator
from tests.support.databases import start_migrated
from tests.support.servers import http_client, serve
from tests.support.templates import static_for

ROOT = Path(__file__).resolve().parents[2]
Json = dict[str, Any]
H = TypeVar("H", bound="BotHarness")


PREVIEW_KEY = "preview-signing-key-for-tests-0123456789"
"""The signing key of the preview and results links, in tests that follow them."""


def settings_for(
    emulator: RunningEmulator, tmp_path: Path, *, policy: Path | None = None, **overrides: Any
) -> Settings:
    """The bot's settings against ``emulator``; its database (unless ``overrides`` name
    another) is ``tmp_path/mailroom.db``, which starts as a migrated empty one."""
    app = emulator.bot_app
    base = Settings(
        host="127.0.0.1",
        port=3978,
        graph_url=f"{emulator.base_url}/v1.0",
        authority_host=emulator.base_url,
        exchange_admin_url=f"{emulator.base_url}/adminapi/beta",
        ca_bundle=emulator.ca_path,
        database_url=f"sqlite:///{tmp_path / 'mailroom.db'}",
        config_path=policy or ROOT / "mailroom.example.toml",
        templates_dir=ROOT / "templates",
        allowed_tenants=(emulator.tenant_id,),
        tenant_domain=emulator.domain,
        graph_client_id=app.client_id,
        graph_client_secret=Secret(app.secret),
        graph_tenant_id=emulator.tenant_id,
        token_service_url=emulator.base_url,
        dev_token_source=True,
    )
    if "database_url" not in overrides:
        start_migrated(base.database_url)
    return replace(base, **overrides)


@dataclass
class Person:
    """A demo user as Teams identifies them in activities."""

    oid: str
    upn: str
    name: str
    teams_id: str = field(default="")
    locale: str | None = "en-GB"
    """The Teams client's language (``activity.locale``; None: the activity has none)."""

    def __post_init__(self) -> None:
        self.teams_id = self.teams_id or f"29:{self.oid}"


class BotHarness:
    def __init__(
        self,
        url: str,
        emulator: RunningEmulator,
        app: web.Application,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.url = url
        self.emulator = emulator
        self.app = app
        self._http = http_client(timeout=30, headers=headers)
        # The message holding the card a user last clicked on, as Teams tracks it: invokes
        # carry it as replyToId, and the outbox updates that message in place.
        self._last_card: dict[str, str] = {}

    async def close(self) -> None:
        await self._http.aclose()

    @property
    def services(self) -> Services:
        """The running bot's services (store, flow, worker), for checks a user can't see."""
        return self.app[SERVICES].get()

    def person(self, upn: str) -> Person:
        user = self.emulator.tenant.account(upn)
        assert user is not None, f"no demo user {upn}"
        return Person(oid=user.id, upn=user.upn, name=user.display_name)

    def activity(self, who: Person, **fields: Any) -> Json:
        conversation = f"a:personal-{who.oid}"
        activity: Json = {
            "id": str(uuid.uuid4()),
            "timestamp": "2026-11-26T10:00:00.000Z",
            "serviceUrl": self.emulator.base_url,
            "channelId": "msteams",
            "from": {"id": who.teams_id, "name": who.name, "aadObjectId": who.oid},
            "conversation": {
                "id": conversation,
                "conversationType": "personal",
                "tenantId": self.emulator.tenant_id,
            },
            "recipient": {"id": "28:mailroom", "name": "Mailroom"},
            "channelData": {"tenant": {"id": self.emulator.tenant_id}},
            **({"locale": who.locale} if who.locale else {}),
        }
        activity.update(fields)
        return activity

    async def say(self, who: Person, text: str, *, extra: Json | None = None) -> Json:
        """Send a message; return the card the bot posted in reply. ``extra``: more
        activity fields (e.g. ``entities`` with the client's time zone)."""
        before = len(self.replies(who))
        activity = self.activity(
            who, type="message", text=text, textFormat="plain", **(extra or {})
        )
        response = await self._http.post(f"{self.url}/api/messages", json=activity)
        assert response.status_code == 202, response.text
        return await self._next_reply(who, before, within=5.0)

    async def send_file(self, who: Person, attachment: Json) -> Json:
        """The user sends a file in the personal chat: a message whose attachment is the one
        Teams makes (``emulator.control.share_file``); returns the card the bot posted."""
        before = len(self.replies(who))
        activity = self.activity(who, type="message", text="", attachments=[attachment])
        response = await self._http.post(f"{self.url}/api/messages", json=activity)
        assert response.status_code == 202, response.text
        return await self._next_reply(who, before, within=20.0)

    async def _next_reply(self, who: Person, before: int, *, within: float) -> Json:
        """The first reply after the ``before`` already posted, within ``within`` seconds.
        A reply usually comes a few milliseconds after the 202: the first looks are quick,
        then every 50 ms."""
        deadline = time.monotonic() + within
        pause = 0.005
        while True:
            replies = self.replies(who)
            if len(replies) > before:
                self._last_card[who.oid] = str(replies[-1]["id"])
                return replies[-1]
            if time.monotonic() > deadline:
                raise AssertionError("the bot did not reply")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def act(
        self,
        who: Person,
        verb: str,
        data: Json,
        *,
        card_activity_id: str | None = None,
        authentication: Json | None = None,
        state: str | None = None,
        extra: Json | None = None,
    ) -> Json:
        """An Action.Execute click; returns the invoke response body. ``authentication`` is
        what Teams adds when it re-sends an action after a login request (SSO), ``state`` the magic
        code it adds after a sign-in through the button."""
        activity = self.activity(
            who,
            type="invoke",
            name="adaptiveCard/action",
            replyToId=card_activity_id
            or self._last_card.get(who.oid)
            or f"card-{uuid.uuid4().hex[:8]}",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data},
                   "trigger": "manual",
                   **({"authentication": authentication} if authentication else {}),
                   **({"state": state} if state is not None else {})},
            **(extra or {}),
        )  # fmt: skip
        response = await self._http.post(f"{self.url}/api/messages", json=activity)
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body

    async def invoke(self, who: Person, name: str, value: Json, **fields: Any) -> Json:
        """Any other invoke (a message extension's, say); returns the invoke response body."""
        activity = self.activity(who, type="invoke", name=name, value=value, **fields)
        response = await self._http.post(f"{self.url}/api/messages", json=activity)
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body

    async def post(self, activity: Json) -> httpx.Response:
        """Post any activity to /api/messages, as Teams does."""
        return await self._http.post(f"{self.url}/api/messages", json=activity)

    def replies(self, who: Person) -> list[Json]:
        """The messages the bot posted in the person's chat (typing indicators left out:
        ``connector_log`` has everything)."""
        return [r for r in self.connector_log(who) if r["activity"].get("type") != "typing"]

    def connector_log(self, who: Person) -> list[Json]:
        """Every activity the bot posted in the person's chat, in order."""
        return self.emulator.control.connector_activities(f"a:personal-{who.oid}")

    def current_card(self, who: Person) -> Json:
        """The card now shown in the message the user last clicked on (after updates)."""
        activity_id = self._last_card[who.oid]
        record = next(r for r in self.replies(who) if str(r["id"]) == activity_id)
        return card_in(record)


def card_in(reply: Json) -> Json:
    """The Adaptive Card in a posted activity or an invoke response."""
    if "value" in reply and isinstance(reply["value"], dict) and "statusCode" in reply:
        assert reply["statusCode"] == 200, reply
        card: Json = reply["value"]
        return card
    activity = reply.get("activity", reply)
    attachments = activity.get("attachments") or []
    assert attachments, f"no card in {activity}"
    content: Json = attachments[0]["content"]
    return content


def actions_of(card: Json) -> list[Json]:
    """Every Action.Execute in the card, wherever it sits."""
    found: list[Json] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def action(card: Json, verb: str, **match: str) -> Json:
    for candidate in actions_of(card):
        data = candidate.get("data") or {}
        if candidate.get("verb") == verb and all(data.get(k) == v for k, v in match.items()):
            return candidate
    raise AssertionError(
        f"no {verb} {match} action in the card: {[a.get('verb') for a in actions_of(card)]}"
    )


def text_of(card: Json) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value", "label", "placeholder"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(parts)


def bot_services(settings: Settings, **kwargs: Any) -> AbstractAsyncContextManager[Services]:
    """``build_services`` as ``mailroom serve`` calls it: with the policy and templates loaded
    first (``static``), here the shipped templates from the catalog every test shares."""
    return build_services(settings, static=static_for(settings), **kwargs)


@asynccontextmanager
async def running_bot(
    settings: Settings,
    emulator: RunningEmulator,
    *,
    signing_keys: SigningKeySource | None = None,
    # A TypeVar's default can't be typed; BotHarness is one H.
    harness: Callable[[str, RunningEmulator, web.Application], H] = BotHarness,  # type: ignore[assignment]
) -> AsyncIterator[H]:
    """The bot on a free port; ``signing_keys`` (the JWT seam) and ``harness`` (a
    BotHarness subclass) for tests that speak with tokens."""
    metrics = Metrics()
    app = create_app(
        settings,
        services=lambda: bot_services(settings, metrics=metrics),
        signing_keys=signing_keys,
        metrics=metrics,
    )
    async with serve(app) as url:
        running = harness(url, emulator, app)
        try:
            yield running
        finally:
            await running.close()


def env_for(emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    """The environment a `mailroom` process needs to run against the emulator."""
    app = emulator.bot_app
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("MAILROOM", "Microsoft"))}
    return {
        **keep,
        "MAILROOM_GRAPH_URL": f"{emulator.base_url}/v1.0",
        "MAILROOM_AUTHORITY_HOST": emulator.base_url,
        "MAILROOM_EXCHANGE_ADMIN_URL": f"{emulator.base_url}/adminapi/beta",
        "MAILROOM_CA_BUNDLE": str(emulator.ca_path),
        "MAILROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "MAILROOM_CONFIG": str(ROOT / "mailroom.example.toml"),
        "MAILROOM_TEMPLATES_DIR": str(ROOT / "templates"),
        "MAILROOM_TENANT_DOMAIN": emulator.domain,
        "MAILROOM_GRAPH_CLIENT_ID": app.client_id,
        "MAILROOM_GRAPH_CLIENT_SECRET": app.secret,
        "MAILROOM_GRAPH_TENANT_ID": emulator.tenant_id,
    }
