"""Double clicks, forged card data and stale cards: nothing is sent twice or wrongly."""

from __future__ import annotations

import asyncio

from cards import verbs
from tests.support.botapp import BotHarness, action, card_in, text_of
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()


def inputs(template: str, **fields: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get(template).sample_values().items()}
    return {**values, **fields}


async def preview_as_adele(bot: BotHarness, to: str) -> dict[str, object]:
    adele = bot.person("adele.vance@contoso.com")
    await bot.say(adele, "/send")
    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": "support@contoso.com"}))
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs("ticket-reply", to=to)}
    return card_in(await bot.act(adele, verbs.PREVIEW, data))


async def sends(bot: BotHarness, wanted: int) -> int:
    for _ in range(100):
        count = len(bot.emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox"))
        if count >= wanted:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # time enough for a duplicate to show up, were there one
    return len(bot.emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox"))


async def test_two_identical_send_clicks_send_one_mail(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await preview_as_adele(bot, "johanna.lorenz@contoso.com")
    data = action(preview, verbs.SEND)["data"]
    first, second = await asyncio.gather(
        bot.act(adele, verbs.SEND, data), bot.act(adele, verbs.SEND, data)
    )
    assert first["statusCode"] == second["statusCode"] == 200
    assert await sends(bot, 1) == 1


async def test_a_replayed_send_after_delivery_changes_nothing(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await preview_as_adele(bot, "johanna.lorenz@contoso.com")
    data = action(preview, verbs.SEND)["data"]
    await bot.act(adele, verbs.SEND, data)
    assert await sends(bot, 1) == 1
    replay = card_in(await bot.act(adele, verbs.SEND, data))
    assert "Send" not in [a.get("title") for a in replay.get("actions", [])]
    assert await sends(bot, 2) == 1


async def test_a_forged_send_of_another_users_request_is_refused(bot: BotHarness) -> None:
    johanna = bot.person("johanna.lorenz@contoso.com")
    preview = await preview_as_adele(bot, "johanna.lorenz@contoso.com")
    forged = card_in(await bot.act(johanna, verbs.SEND, action(preview, verbs.SEND)["data"]))
    assert "isn't yours" in text_of(forged)
    assert await sends(bot, 0) == 0


async def test_a_forged_sender_the_user_may_not_use_is_refused_and_nothing_is_sent(
    bot: BotHarness,
) -> None:
    johanna = bot.person("johanna.lorenz@contoso.com")
    card = card_in(await bot.act(johanna, verbs.PICK_SENDER, {"sender": "noreply@contoso.com"}))
    assert "limited to certain groups" in text_of(card)
    unknown = card_in(await bot.act(johanna, verbs.PICK_SENDER, {"sender": "ceo@contoso.com"}))
    assert "not a sender you can use" in text_of(unknown)
    posts = [e for e in bot.emulator.control.request_log() if e["method"] == "POST"
             and "/v1.0/" in e["path"]]  # fmt: skip
    assert [e for e in posts if e["path"].endswith(("sendMail", "/send", "/messages"))] == []


async def test_a_tampered_version_gets_the_current_state_not_a_second_send(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await preview_as_adele(bot, "johanna.lorenz@contoso.com")
    data = dict(action(preview, verbs.SEND)["data"])
    data["version"] = str(int(data["version"]) + 5)
    stale = card_in(await bot.act(adele, verbs.SEND, data))
    assert "Send" not in [a.get("title") for a in stale.get("actions", [])]
    assert await sends(bot, 0) == 0
