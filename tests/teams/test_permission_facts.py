"""The facts behind decisions, against the emulator: cached, dropped when Exchange refuses
at send time, and failing closed when Exchange cannot be asked."""

from __future__ import annotations

import asyncio

from cards import verbs
from tests.support.botapp import BotHarness, action, card_in, text_of
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()


def exchange_calls(bot: BotHarness) -> int:
    return sum(1 for e in bot.emulator.control.request_log() if "/adminapi/" in e["path"])


def send_mail_calls(bot: BotHarness) -> int:
    """Graph calls that create or send mail."""
    return sum(
        1
        for e in bot.emulator.control.request_log()
        if e["method"] == "POST" and e["path"].endswith(("/sendMail", "/send", "/messages"))
    )


async def test_a_second_decision_within_the_ttl_asks_exchange_nothing(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await bot.say(adele, "/why support")
    first = exchange_calls(bot)
    assert first > 0
    await bot.say(adele, "/why support")
    assert exchange_calls(bot) == first


async def test_exchange_down_denies_an_application_mode_sender_and_sends_nothing(
    bot: BotHarness,
) -> None:
    bot.emulator.control.add_fault(
        "POST", "/adminapi/*", "error", count=100, status=503, code="ServiceUnavailable"
    )
    adele = bot.person("adele.vance@contoso.com")
    card = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": "support@contoso.com"}))
    text = text_of(card)
    assert "could not be checked" in text
    assert "Try again in a few minutes" in text
    assert send_mail_calls(bot) == 0


async def test_send_as_denied_at_send_time_is_explained_and_drops_the_cached_rights(
    bot: BotHarness,
) -> None:
    megan = bot.person("megan.bowen@contoso.com")
    await bot.say(megan, "/send")
    compose = card_in(await bot.act(megan, verbs.PICK_SENDER, {"sender": "events@contoso.com"}))
    if not [a for a in compose.get("actions", []) if a.get("verb") == verbs.PREVIEW]:
        pick = action(compose, verbs.PICK_TEMPLATE)
        compose = card_in(await bot.act(
            megan, verbs.PICK_TEMPLATE, {**pick["data"], "template": "on-behalf-note"}
        ))  # fmt: skip
    values = {f"var_{k}": v for k, v in CATALOG.get("on-behalf-note").sample_values().items()}
    data = {**action(compose, verbs.PREVIEW)["data"], **values, "to": "alex.wilber@contoso.com"}
    preview = card_in(await bot.act(megan, verbs.PREVIEW, data))
    asked = exchange_calls(bot)
    bot.emulator.control.add_fault(
        "POST",
        "/v1.0/me/messages/*/send",
        "error",
        count=1,
        status=403,
        code="ErrorSendAsDenied",
    )
    await bot.act(megan, verbs.SEND, action(preview, verbs.SEND)["data"])
    for _ in range(100):
        shown = text_of(bot.current_card(megan))
        if "refused" in shown:
            break
        await asyncio.sleep(0.05)
    assert "Exchange refused to send as events@contoso.com" in shown
    assert "Add-RecipientPermission" in shown
    await bot.say(megan, "/why events")
    assert exchange_calls(bot) > asked  # the cached rights were dropped and asked afresh
