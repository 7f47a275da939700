"""A single send that would pass the sender mailbox's recipients per 24 hours is refused
before it reaches Exchange, with the explanation and the time it would fit; Exchange (the
emulator, as strict) never sees it, so the mailbox is never blocked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cards import verbs
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, Person, action, card_in, running_bot, settings_for
from tests.support.botapp import text_of as card_text
from tests.teams.test_sender_kinds_end_to_end import _actions, delivered, inputs

SUPPORT = "support@contoso.com"
JOHANNA = "johanna.lorenz@contoso.com"
ALEX = "alex.wilber@contoso.com"
MEGAN = "megan.bowen@contoso.com"


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    emulator.control.set_limits(recipients_per_day=2)
    settings = settings_for(emulator, tmp_path, recipients_per_day=2)
    async with running_bot(settings, emulator) as harness:
        yield harness


async def press_send(bot: BotHarness, who: Person, to: str) -> dict[str, Any]:
    """Sender card → compose → preview → Send from the support mailbox; the answer card."""
    senders = card_in(await bot.say(who, "/send"))
    compose = card_in(
        await bot.act(
            who, verbs.PICK_SENDER, action(senders, verbs.PICK_SENDER, sender=SUPPORT)["data"]
        )
    )
    if not any(a.get("verb") == verbs.PREVIEW for a in _actions(compose)):
        choose = action(compose, verbs.PICK_TEMPLATE)
        compose = card_in(
            await bot.act(who, verbs.PICK_TEMPLATE, {**choose["data"], "template": "ticket-reply"})
        )
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=to)}
    preview = card_in(await bot.act(who, verbs.PREVIEW, data))
    return card_in(await bot.act(who, verbs.SEND, action(preview, verbs.SEND)["data"]))


async def test_a_send_past_the_daily_recipients_is_refused_with_when_it_fits(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    assert "Sending" in card_text(await press_send(bot, adele, JOHANNA))
    await delivered(bot, JOHANNA)

    refused = card_text(await press_send(bot, adele, f"{ALEX}; {MEGAN}"))

    assert "support@contoso.com has reached its daily recipient limit" in refused
    assert "at most 2 recipients in any 24 hours" in refused
    assert "has sent to 1 in the last 24 hours, and this message has 2" in refused
    assert "Send it after" in refused
    bot.emulator.control.transport(wait=5)
    assert bot.emulator.control.mailbox(ALEX, "inbox") == []
    assert bot.emulator.control.mailbox(SUPPORT, "inbox") == []  # no NDR, no block


async def test_a_message_to_more_recipients_than_a_day_allows_is_refused(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")

    refused = card_text(await press_send(bot, adele, f"{JOHANNA}; {ALEX}; {MEGAN}"))

    assert "More recipients than support@contoso.com may send to in a day" in refused
    assert "The message has 3 recipients" in refused
