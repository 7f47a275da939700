"""From /send to the delivered mail, one test per sender kind, through the real bot, the
outbox worker and the emulator's Exchange rules."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.rendering import TemplateCatalog
from cards import verbs
from tests.support.botapp import BotHarness, Person, action, card_in, text_of

ROOT = Path(__file__).resolve().parents[2]
CATALOG = TemplateCatalog.load(ROOT / "templates")


def inputs(template: str, **fields: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get(template).sample_values().items()}
    return {**values, **fields}


async def send_through_cards(
    bot: BotHarness, who: Person, sender: str, template: str, to: str
) -> dict[str, Any]:
    """Sender card → compose → preview → Send; returns the preview card."""
    senders = card_in(await bot.say(who, "/send"))
    pick = action(senders, verbs.PICK_SENDER, sender=sender)
    compose = card_in(await bot.act(who, verbs.PICK_SENDER, pick["data"]))
    if not any(a.get("verb") == verbs.PREVIEW for a in _actions(compose)):
        choose = action(compose, verbs.PICK_TEMPLATE)
        compose = card_in(
            await bot.act(who, verbs.PICK_TEMPLATE, {**choose["data"], "template": template})
        )
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs(template, to=to)}
    preview = card_in(await bot.act(who, verbs.PREVIEW, data))
    sending = card_in(await bot.act(who, verbs.SEND, action(preview, verbs.SEND)["data"]))
    assert "Sending" in text_of(sending)
    return preview


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    from tests.support.botapp import actions_of

    return actions_of(card)


async def delivered(bot: BotHarness, mailbox: str, count: int = 1) -> list[dict[str, Any]]:
    for _ in range(200):
        inbox = bot.emulator.control.mailbox(mailbox, "inbox")
        if len(inbox) >= count:
            return inbox
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing delivered to {mailbox}")


def address(field: dict[str, Any] | None) -> str:
    assert field is not None
    return str(field["emailAddress"]["address"]).lower()


async def test_self_send_lands_in_the_users_sent_items(bot: BotHarness) -> None:
    johanna = bot.person("johanna.lorenz@contoso.com")
    await send_through_cards(
        bot, johanna, "johanna.lorenz@contoso.com", "ticket-reply", "adele.vance@contoso.com"
    )
    (mail,) = await delivered(bot, "adele.vance@contoso.com")
    assert address(mail["from"]) == "johanna.lorenz@contoso.com"
    assert len(bot.emulator.control.mailbox("johanna.lorenz@contoso.com", "sentitems")) == 1


async def test_send_as_recipient_sees_only_the_mailbox(bot: BotHarness) -> None:
    megan = bot.person("megan.bowen@contoso.com")
    await send_through_cards(
        bot, megan, "events@contoso.com", "on-behalf-note", "alex.wilber@contoso.com"
    )
    (mail,) = await delivered(bot, "alex.wilber@contoso.com")
    assert address(mail["from"]) == "events@contoso.com"
    assert address(mail["sender"]) == "events@contoso.com"


async def test_send_on_behalf_says_so_and_the_assistant_is_the_sender(bot: BotHarness) -> None:
    lynne = bot.person("lynne.robbins@contoso.com")
    preview = await send_through_cards(
        bot, lynne, "megan.bowen@contoso.com", "on-behalf-note", "johanna.lorenz@contoso.com"
    )
    assert "Lynne Robbins on behalf of Megan Bowen <megan.bowen@contoso.com>" in text_of(preview)
    (mail,) = await delivered(bot, "johanna.lorenz@contoso.com")
    assert address(mail["from"]) == "megan.bowen@contoso.com"
    assert address(mail["sender"]) == "lynne.robbins@contoso.com"


async def test_shared_mailbox_copy_lands_in_its_sent_items(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await send_through_cards(
        bot, adele, "support@contoso.com", "ticket-reply", "johanna.lorenz@contoso.com"
    )
    (mail,) = await delivered(bot, "johanna.lorenz@contoso.com")
    assert address(mail["from"]) == "support@contoso.com"
    assert len(bot.emulator.control.mailbox("support@contoso.com", "sentitems")) == 1
    assert bot.emulator.control.mailbox("adele.vance@contoso.com", "sentitems") == []


async def test_noreply_mail_carries_the_footer_in_html_and_text(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await send_through_cards(
        bot, adele, "noreply@contoso.com", "outage-notice", "johanna.lorenz@contoso.com"
    )
    (mail,) = await delivered(bot, "johanna.lorenz@contoso.com")
    assert address(mail["from"]) == "noreply@contoso.com"
    body = str(mail["body"]["content"])
    assert "unmonitored mailbox" in body
