"""A reply within a turn that Teams refuses for its rate limit (429 with Retry-After, from
the Bot Connector's own limits) is sent again after the wait: the user gets the answer and
/api/messages still answers 202."""

from __future__ import annotations

import httpx

from tests.support.botapp import BotHarness, card_in, text_of


async def test_a_reply_over_the_chats_rate_is_sent_after_retry_after(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    chat = f"a:personal-{adele.oid}"
    async with httpx.AsyncClient(
        verify=bot.emulator.ssl_context(), base_url=bot.emulator.base_url
    ) as other:  # the chat's second is used up (another replica, a burst of updates)
        for _ in range(7):
            assert (await other.post(f"/v3/conversations/{chat}/activities", json={})).is_success

    reply = await bot.say(adele, "/help")

    assert "Mailroom" in text_of(card_in(reply))
    statuses = [
        e["status"] for e in bot.emulator.control.request_log()
        if e["path"].startswith(f"/v3/conversations/{chat}/activities")
    ]  # fmt: skip
    assert statuses[7:] == [429, 200]
