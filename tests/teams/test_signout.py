"""/signout: Mailroom forgets the user's tokens — its sealed cache in the database and the
token service's — and the next delegated send asks the user to sign in again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.settings import Secret
from cards import verbs
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, card_in, running_bot, settings_for, text_of
from tests.teams.sso_steps import JOHANNA, delivered, previewed


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    settings = settings_for(
        emulator,
        tmp_path,
        dev_token_source=False,
        oauth_connection="sso",
        token_cache_keys=(Secret(Fernet.generate_key().decode()),),
    )
    async with running_bot(settings, emulator) as harness:
        yield harness


async def test_signout_forgets_the_tokens_and_the_next_send_asks_to_sign_in(
    bot: BotHarness,
) -> None:
    johanna = bot.person(JOHANNA)
    send = await previewed(bot, johanna)
    sso = bot.emulator.control.mint_user_token(JOHANNA)
    assert (await bot.act(johanna, verbs.SEND, send, authentication={"token": sso}))[
        "statusCode"
    ] == 200
    assert await delivered(bot.emulator) == 1
    assert await bot.services.store.load_token_cache(johanna.oid) is not None
    assert bot.emulator.control.token_service_tokens() != []

    reply = await bot.say(johanna, "/signout")

    assert "signed out" in text_of(card_in(reply))
    assert await bot.services.store.load_token_cache(johanna.oid) is None
    assert bot.emulator.control.token_service_tokens() == []
    again = await previewed(bot, johanna)
    answer = await bot.act(johanna, verbs.SEND, again)
    assert answer["statusCode"] == 401
    assert answer["type"] == "application/vnd.microsoft.activity.loginRequest"


async def test_signout_is_listed_in_help(bot: BotHarness) -> None:
    reply = await bot.say(bot.person(JOHANNA), "/help")

    assert "/signout" in text_of(card_in(reply))
