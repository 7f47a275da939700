"""Approvals as both sides live them: the reason in words before and after a decision,
every card following the request, and the approver who never opened Mailroom."""

from __future__ import annotations

from cards import verbs
from tests.support.botapp import BotHarness, action, card_in, text_of
from tests.teams.test_approvals import (
    approval_card_of,
    preview_needing_approval,
    request_approval,
)


async def test_the_preview_says_why_approval_is_needed_and_who_can_approve(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await preview_needing_approval(bot, adele)
    shown = text_of(preview)
    assert "more than 20 recipients (this send has 21)" in shown
    assert "Notice Approvers (2 people)" in shown  # Megan and Diego
    ask = action(preview, verbs.REQUEST_APPROVAL)["data"]
    mine = text_of(card_in(await bot.act(adele, verbs.REQUEST_APPROVAL, ask)))
    assert "more than 20 recipients (this send has 21)" in mine
    assert "Notice Approvers (2 people)" in mine


async def test_after_a_decision_the_reason_stays_in_words(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    await request_approval(bot, adele)
    card = approval_card_of(bot, megan)
    data = {**action(card, verbs.REJECT)["data"], "comment": "Not today"}
    decided = text_of(card_in(await bot.act(megan, verbs.REJECT, data)))
    assert "more than 20 recipients (this send has 21)" in decided
    assert "approval over recipients" not in decided
    assert "over_recipients" not in decided
