"""What a Teams user meets every day, through the real bot over HTTP: plain sentences,
short request references, the template guide, named groups, the privacy prompt for many
external recipients and the outside-the-organisation warning."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.domain.send_request import SendState
from bot.rendering import TemplateCatalog
from cards import verbs
from tests.support.botapp import BotHarness, Person, action, card_in, text_of

ROOT = Path(__file__).resolve().parents[2]
CATALOG = TemplateCatalog.load(ROOT / "templates")
SUPPORT = "support@contoso.com"
JOHANNA = "johanna.lorenz@contoso.com"
Json = dict[str, Any]


def samples(template: str, **fields: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get(template).sample_values().items()}
    return {**values, **fields}


async def compose_for(bot: BotHarness, who: Person, sender: str) -> Json:
    return card_in(await bot.act(who, verbs.PICK_SENDER, {"sender": sender}))


async def preview_with(bot: BotHarness, who: Person, compose: Json, fields: dict[str, str]) -> Json:
    data = {**action(compose, verbs.PREVIEW)["data"], **fields}
    return card_in(await bot.act(who, verbs.PREVIEW, data))


async def state_becomes(bot: BotHarness, request_id: str, state: SendState) -> None:
    for _ in range(200):
        if (await bot.services.store.get_request(request_id)).state is state:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"request {request_id} did not become {state}")


# --- plain sentences ------------------------------------------------------------------------


async def test_a_plain_sentence_naming_a_sender_opens_the_compose_card_for_it(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    card = card_in(await bot.say(adele, "I need to send an email from support"))
    text = text_of(card)
    assert SUPPORT in text
    assert "don't know the command" not in text
    action(card, verbs.PREVIEW)  # the compose card, sender chosen
    senders = text_of(card_in(await bot.say(adele, "who can I send as")))
    assert "Who do you want to send as?" in senders
