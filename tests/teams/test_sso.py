"""Teams SSO for delegated senders through Universal Actions: no token → a login request;
Teams re-sends the action with the user's SSO token → the send goes through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.rendering import TemplateCatalog
from cards import verbs
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, action, card_in, running_bot, settings_for

ROOT = Path(__file__).resolve().parents[2]
CATALOG = TemplateCatalog.load(ROOT / "templates")


@pytest.fixture
async def sso_bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    settings = settings_for(emulator, tmp_path, dev_token_source=False, oauth_connection="sso")
    async with running_bot(settings, emulator) as harness:
        yield harness


async def test_a_delegated_send_asks_for_sign_in_then_resumes_with_the_sso_token(
    sso_bot: BotHarness,
) -> None:
    bot = sso_bot
    johanna = bot.person("johanna.lorenz@contoso.com")
    await bot.say(johanna, "/send")
    compose = card_in(
        await bot.act(johanna, verbs.PICK_SENDER, {"sender": "johanna.lorenz@contoso.com"})
    )
    pick = action(compose, verbs.PICK_TEMPLATE)
    compose = card_in(
        await bot.act(johanna, verbs.PICK_TEMPLATE, {**pick["data"], "template": "ticket-reply"})
    )
    values = {f"var_{k}": v for k, v in CATALOG.get("ticket-reply").sample_values().items()}
    data = {**action(compose, verbs.PREVIEW)["data"], **values, "to": "alex.wilber@contoso.com"}
    preview = card_in(await bot.act(johanna, verbs.PREVIEW, data))
    send = action(preview, verbs.SEND)["data"]

    login = await bot.act(johanna, verbs.SEND, send)
    assert login["statusCode"] == 401
    assert login["type"] == "application/vnd.microsoft.activity.loginRequest"
    assert login["value"]["connectionName"] == "sso"
    assert login["value"]["tokenExchangeResource"]["uri"].startswith("api://botid-")
    assert bot.emulator.control.mailbox("alex.wilber@contoso.com", "inbox") == []

    sso = bot.emulator.control.mint_user_token("johanna.lorenz@contoso.com")
    resumed = await bot.act(johanna, verbs.SEND, send, authentication={"token": sso})
    assert resumed["statusCode"] == 200
    for _ in range(100):
        if bot.emulator.control.mailbox("alex.wilber@contoso.com", "inbox"):
            break
        await asyncio.sleep(0.05)
    assert len(bot.emulator.control.mailbox("alex.wilber@contoso.com", "inbox")) == 1
