"""A delegated user signs in once: the user's token cache is in the database, sealed, so a
restarted bot (new process objects, same database) and a second bot on the same database send
as them without asking them to sign in again — even once the token service has forgotten them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from psycopg import sql

from bot.settings import Secret, Settings
from cards import verbs
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, running_bot, settings_for
from tests.support.postgres import postgres_base_url
from tests.teams.sso_steps import ALEX, JOHANNA, delivered, previewed

KEY = Fernet.generate_key().decode()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mailroom.db'}"
        return
    base = postgres_base_url()
    schema = f"mailroom_test_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(base, autocommit=True) as conn:
        await conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    joiner = "&" if "?" in base else "?"
    try:
        yield f"{base}{joiner}options=-csearch_path%3D{schema}"
    finally:
        async with await psycopg.AsyncConnection.connect(base, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def settings(emulator: RunningEmulator, tmp_path: Path, database_url: str) -> Settings:
    return settings_for(
        emulator,
        tmp_path,
        dev_token_source=False,
        oauth_connection="sso",
        database_url=database_url,
        token_cache_keys=(Secret(KEY),),
    )


async def sign_in_and_send(bot: BotHarness) -> None:
    johanna = bot.person(JOHANNA)
    send = await previewed(bot, johanna)
    assert (await bot.act(johanna, verbs.SEND, send))["statusCode"] == 401
    sso = bot.emulator.control.mint_user_token(JOHANNA)
    assert (await bot.act(johanna, verbs.SEND, send, authentication={"token": sso}))[
        "statusCode"
    ] == 200
    assert await delivered(bot.emulator) == 1


async def test_a_restart_between_preview_and_send_needs_no_new_sign_in(
    settings: Settings, emulator: RunningEmulator
) -> None:
    async with running_bot(settings, emulator) as before:
        await sign_in_and_send(before)
        johanna = before.person(JOHANNA)
        send = await previewed(before, johanna)
        stored = await before.services.store.load_token_cache(johanna.oid)
    assert stored is not None
    assert "access_token" not in stored
    assert "secret" not in stored
    emulator.control.clear_token_service()  # only Mailroom's own cache can help now

    async with running_bot(settings, emulator) as after:  # new app, services, msal objects
        answer = await after.act(johanna, verbs.SEND, send)
        assert answer["statusCode"] == 200, answer
        assert await delivered(emulator, 2) == 2
    assert len(emulator.control.mailbox(ALEX, "inbox")) == 2


async def test_a_user_signed_in_through_one_bot_sends_through_another(
    settings: Settings, emulator: RunningEmulator
) -> None:
    async with running_bot(settings, emulator) as first, running_bot(settings, emulator) as second:
        await sign_in_and_send(first)
        emulator.control.clear_token_service()
        johanna = second.person(JOHANNA)
        send = await previewed(second, johanna)

        answer = await second.act(johanna, verbs.SEND, send)

        assert answer["statusCode"] == 200, answer
        assert await delivered(emulator, 2) == 2


async def test_without_a_key_a_restart_asks_to_sign_in_again(
    settings: Settings, emulator: RunningEmulator
) -> None:
    unsealed = Settings(**{**settings.__dict__, "token_cache_keys": ()})
    async with running_bot(unsealed, emulator) as before:
        await sign_in_and_send(before)
        johanna = before.person(JOHANNA)
        send = await previewed(before, johanna)
        assert await before.services.store.load_token_cache(johanna.oid) is None
    emulator.control.clear_token_service()

    async with running_bot(unsealed, emulator) as after:
        answer = await after.act(johanna, verbs.SEND, send)

    assert answer["statusCode"] == 401


async def test_a_refresh_entra_refuses_drops_the_users_cache_and_asks_to_sign_in(
    settings: Settings, emulator: RunningEmulator
) -> None:
    # Access tokens that msal must refresh at every use (it renews within 5 minutes of expiry).
    emulator.control.set_token_lifetime(120)
    async with running_bot(settings, emulator) as bot:
        await sign_in_and_send(bot)
        johanna = bot.person(JOHANNA)
        assert await bot.services.store.load_token_cache(johanna.oid) is not None
        emulator.control.revoke_sessions(JOHANNA)
        emulator.control.clear_token_service()
        send = await previewed(bot, johanna)

        answer = await bot.act(johanna, verbs.SEND, send)

        assert answer["statusCode"] == 401  # a login request: sign in again
        assert await bot.services.store.load_token_cache(johanna.oid) is None
    assert len(emulator.control.mailbox(ALEX, "inbox")) == 1
