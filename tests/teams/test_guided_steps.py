"""The guided send's steps over HTTP: senders, compose, preview, refusals, stale cards."""

from __future__ import annotations

from cards import verbs
from tests.support.botapp import BotHarness, action, card_in, text_of
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()


def sample_inputs(template: str, **recipients: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get(template).sample_values().items()}
    return {**values, **recipients}


async def test_the_sender_card_lists_what_a_support_agent_may_use(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    card = card_in(await bot.say(adele, "/send"))
    text = text_of(card)
    assert "Contoso Support <support@contoso.com>" in text
    action(card, verbs.PICK_SENDER, sender="support@contoso.com")
    action(card, verbs.WHY, sender="hr@contoso.com")  # listed as unavailable, with Why?


async def test_compose_then_preview_shows_the_from_line_as_recipients_see_it(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": "support@contoso.com"}))
    preview_action = action(compose, verbs.PREVIEW)
    data = dict(preview_action["data"])
    data |= sample_inputs("ticket-reply", to="customer@fabrikam.com")
    preview = card_in(await bot.act(adele, verbs.PREVIEW, data))
    text = text_of(preview)
    assert "Contoso Support <support@contoso.com>" in text
    assert "customer@fabrikam.com" in text
    action(preview, verbs.SEND)


async def test_invalid_inputs_come_back_on_the_same_card_next_to_their_fields(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": "support@contoso.com"}))
    data = dict(action(compose, verbs.PREVIEW)["data"])
    data |= sample_inputs("ticket-reply", to="not-an-address")
    data["var_ticket_id"] = ""
    again = card_in(await bot.act(adele, verbs.PREVIEW, data))
    text = text_of(again)
    assert "not-an-address" in text
    assert "is not an email address" in text
    assert "is required" in text
    action(again, verbs.PREVIEW)  # still the compose card


async def test_the_no_rights_user_gets_an_explanation_naming_the_fix(bot: BotHarness) -> None:
    johanna = bot.person("johanna.lorenz@contoso.com")
    card = card_in(await bot.act(johanna, verbs.PICK_SENDER, {"sender": "support@contoso.com"}))
    text = text_of(card)
    assert "Add-RecipientPermission" in text or "allowed_groups" in text
    sends = [
        e
        for e in bot.emulator.control.request_log()
        if e["method"] == "POST" and e["path"].endswith(("/sendMail", "/send", "/messages"))
    ]
    assert sends == []


async def test_a_forged_preview_on_another_users_draft_is_refused(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    johanna = bot.person("johanna.lorenz@contoso.com")
    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": "support@contoso.com"}))
    data = dict(action(compose, verbs.PREVIEW)["data"])
    data |= sample_inputs("ticket-reply", to="customer@fabrikam.com")
    forged = card_in(await bot.act(johanna, verbs.PREVIEW, data))
    assert "isn't yours" in text_of(forged)
