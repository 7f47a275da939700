"""Teams SSO for delegated senders through Universal Actions, against the emulated Bot
Framework token service and Entra: no token → a login request; Teams re-sends the action with
the user's SSO token (exchanged, then on-behalf-of) or, after the sign-in button, with the
magic code → the send goes through; a refused exchange → 412 so Teams falls back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from cards import verbs
from emulator.testing import RunningEmulator, start_emulator_thread
from tests.bot.doctor_support import seed_without
from tests.support.botapp import BotHarness, card_in, running_bot, settings_for
from tests.teams.sso_steps import ALEX, JOHANNA, delivered, previewed


@pytest.fixture
async def sso_bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    settings = settings_for(emulator, tmp_path, dev_token_source=False, oauth_connection="sso")
    async with running_bot(settings, emulator) as harness:
        yield harness


async def test_a_delegated_send_asks_for_sign_in_then_resumes_with_the_sso_token(
    sso_bot: BotHarness,
) -> None:
    bot = sso_bot
    johanna = bot.person(JOHANNA)
    send = await previewed(bot, johanna)

    login = await bot.act(johanna, verbs.SEND, send)
    assert login["statusCode"] == 401
    assert login["type"] == "application/vnd.microsoft.activity.loginRequest"
    assert login["value"]["connectionName"] == "sso"
    assert login["value"]["tokenExchangeResource"]["uri"] == (
        f"api://botid-{bot.emulator.bot_app.client_id}"
    )
    (button,) = login["value"]["buttons"]
    assert button["type"] == "signin"
    assert button["value"].startswith(bot.emulator.base_url)  # the token service's link
    assert bot.emulator.control.mailbox(ALEX, "inbox") == []

    sso = bot.emulator.control.mint_user_token(JOHANNA)
    resumed = await bot.act(johanna, verbs.SEND, send, authentication={"token": sso})
    assert resumed["statusCode"] == 200
    assert await delivered(bot.emulator) == 1
    # The exchange went through the token service, which now holds Johanna's token.
    (held,) = bot.emulator.control.token_service_tokens()
    assert held["user_id"] == johanna.teams_id

    # Signed in: the next send goes out at the first click, no login request.
    second = await previewed(bot, johanna)
    assert (await bot.act(johanna, verbs.SEND, second))["statusCode"] == 200
    assert await delivered(bot.emulator, 2) == 2


async def test_a_refused_sso_exchange_is_412_then_the_magic_code_resumes_the_send(
    sso_bot: BotHarness,
) -> None:
    bot = sso_bot
    johanna = bot.person(JOHANNA)
    send = await previewed(bot, johanna)
    assert (await bot.act(johanna, verbs.SEND, send))["statusCode"] == 401
    # A token Teams got for some other resource: the token service refuses to exchange it.
    wrong = bot.emulator.control.mint_user_token(JOHANNA, audience="https://graph.microsoft.com")

    failed = await bot.act(johanna, verbs.SEND, send, authentication={"token": wrong})

    assert failed["statusCode"] == 412
    assert failed["type"] == "application/vnd.microsoft.error.preconditionFailed"
    assert bot.emulator.control.mailbox(ALEX, "inbox") == []

    # Teams falls back to the sign-in button; the page's code comes back in `state`.
    code = bot.emulator.control.complete_sign_in(JOHANNA)
    resumed = await bot.act(johanna, verbs.SEND, send, state=code)

    assert resumed["statusCode"] == 200
    assert await delivered(bot.emulator) == 1


async def test_a_magic_code_that_redeems_nothing_is_invalid_auth_code(
    sso_bot: BotHarness,
) -> None:
    bot = sso_bot
    johanna = bot.person(JOHANNA)
    send = await previewed(bot, johanna)

    answer = await bot.act(johanna, verbs.SEND, send, state="000000x")

    assert answer["statusCode"] == 401
    assert answer["type"] == "application/vnd.microsoft.error.invalidAuthCode"
    assert bot.emulator.control.mailbox(ALEX, "inbox") == []


async def test_another_users_magic_code_does_not_sign_johanna_in(sso_bot: BotHarness) -> None:
    bot = sso_bot
    johanna = bot.person(JOHANNA)
    send = await previewed(bot, johanna)
    alex_code = bot.emulator.control.complete_sign_in(ALEX)

    answer = await bot.act(johanna, verbs.SEND, send, state=alex_code)

    assert answer["type"] == "application/vnd.microsoft.error.invalidAuthCode"
    assert bot.emulator.control.mailbox(ALEX, "inbox") == []


@pytest.fixture(scope="module")
def unconsented(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """A tenant whose admin never granted the sign-in permissions (openid) to Mailroom."""
    folder = tmp_path_factory.mktemp("unconsented")
    running = start_emulator_thread(
        seed=seed_without(folder, ["graph-delegated-openid"]), state_dir=folder / "state"
    )
    try:
        yield running
    finally:
        running.stop()


async def test_consent_never_granted_is_a_card_that_says_an_admin_must_consent(
    unconsented: RunningEmulator, tmp_path: Path
) -> None:
    unconsented.control.reset()
    unconsented.control.set_move_delay(0)
    settings = settings_for(unconsented, tmp_path, dev_token_source=False, oauth_connection="sso")
    async with running_bot(settings, unconsented) as bot:
        johanna = bot.person(JOHANNA)
        send = await previewed(bot, johanna)
        sso = unconsented.control.mint_user_token(JOHANNA)

        answer = await bot.act(johanna, verbs.SEND, send, authentication={"token": sso})

    assert answer["statusCode"] == 200
    text = str(card_in(answer))
    assert "consent" in text
    assert "Grant admin consent" in text
    assert unconsented.control.mailbox(ALEX, "inbox") == []


async def test_a_token_service_that_does_not_answer_is_a_temporarily_unavailable_card(
    sso_bot: BotHarness,
) -> None:
    bot = sso_bot
    johanna = bot.person(JOHANNA)
    send = await previewed(bot, johanna)
    bot.emulator.control.add_fault("GET", "/api/usertoken/GetToken", "error", status=503)

    answer = await bot.act(johanna, verbs.SEND, send)

    assert answer["statusCode"] == 200
    assert "Bot Framework token service" in str(card_in(answer))
    assert bot.emulator.control.mailbox(ALEX, "inbox") == []


async def test_a_token_service_failing_during_the_exchange_is_412_so_teams_falls_back(
    sso_bot: BotHarness,
) -> None:
    bot = sso_bot
    johanna = bot.person(JOHANNA)
    send = await previewed(bot, johanna)
    bot.emulator.control.add_fault("POST", "/api/usertoken/exchange", "error", status=503)
    sso = bot.emulator.control.mint_user_token(JOHANNA)

    answer = await bot.act(johanna, verbs.SEND, send, authentication={"token": sso})

    assert answer["statusCode"] == 412
    assert bot.emulator.control.mailbox(ALEX, "inbox") == []
