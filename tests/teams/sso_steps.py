"""Steps the sign-in tests share: a preview of a delegated send, and waiting for delivery."""

from __future__ import annotations

import asyncio

from cards import verbs
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, Person, action, card_in
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()
JOHANNA = "johanna.lorenz@contoso.com"
ALEX = "alex.wilber@contoso.com"


async def previewed(bot: BotHarness, who: Person) -> dict[str, str]:
    """The Send button's data of a ticket-reply preview from the user's own mailbox."""
    await bot.say(who, "/send")
    compose = card_in(await bot.act(who, verbs.PICK_SENDER, {"sender": who.upn}))
    pick = action(compose, verbs.PICK_TEMPLATE)
    compose = card_in(
        await bot.act(who, verbs.PICK_TEMPLATE, {**pick["data"], "template": "ticket-reply"})
    )
    values = {f"var_{k}": v for k, v in CATALOG.get("ticket-reply").sample_values().items()}
    data = {**action(compose, verbs.PREVIEW)["data"], **values, "to": ALEX}
    preview = card_in(await bot.act(who, verbs.PREVIEW, data))
    send: dict[str, str] = action(preview, verbs.SEND)["data"]
    return send


async def delivered(emulator: RunningEmulator, count: int = 1) -> int:
    """Alex's inbox once the outbox worker delivered (or after 5 s)."""
    for _ in range(100):
        if len(emulator.control.mailbox(ALEX, "inbox")) >= count:
            break
        await asyncio.sleep(0.05)
    return len(emulator.control.mailbox(ALEX, "inbox"))
