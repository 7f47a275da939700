"""A right taken away while a request waits: the request is re-decided from fresh facts
(Graph and Exchange asked again, the 300 s decision cache notwithstanding) when it is
approved, and again by the outbox's guard before its first Graph call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.send_request import SendState
from bot.flow.guard import DecisionGuard
from cards import verbs
from emulator.testing import RunningEmulator
from tests.reliability.figures import Figures
from tests.security.helpers import mail_submissions, preview
from tests.support.botapp import BotHarness, action, actions_of, card_in, running_bot, settings_for
from tests.support.botapp import text_of as text_in

DIEGO = "diego.siciliani@contoso.com"
MEGAN = "megan.bowen@contoso.com"
HR = "hr@contoso.com"
HR_TEAM = "b5f44c90-245e-43d1-aeb9-4742c8f1c9e4"  # hr@'s allowed group: Diego alone
OUTSIDE = "candidate@fabrikam.example"  # external: hr@ needs approval (Notice Approvers)


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(settings_for(emulator, tmp_path), emulator) as harness:
        yield harness


async def waiting_for_approval(bot: BotHarness) -> tuple[dict[str, Any], str]:
    """Diego asks Megan to approve an HR announcement to an outside candidate; returns
    Megan's approval card and the request id. Every fact is cached by now."""
    await bot.say(bot.person(MEGAN), "/help")  # the approver has the bot installed
    diego = bot.person(DIEGO)
    shown = await preview(bot, diego, HR, "hr-announcement", OUTSIDE)
    ask = action(shown, verbs.REQUEST_APPROVAL)
    mine = card_in(await bot.act(diego, verbs.REQUEST_APPROVAL, ask["data"]))
    assert "Waiting for approval" in text_in(mine)
    cards = [card_in(r) for r in bot.replies(bot.person(MEGAN))
             if r.get("activity", r).get("attachments")]  # fmt: skip
    approval = next(c for c in reversed(cards)
                    if any(a.get("verb") == verbs.APPROVE for a in actions_of(c)))  # fmt: skip
    return approval, ask["data"]["request"]


async def approve_and_settle(bot: BotHarness, card: dict[str, Any]) -> str:
    megan = bot.person(MEGAN)
    return text_in(
        card_in(await bot.act(megan, verbs.APPROVE, action(card, verbs.APPROVE)["data"]))
    )


async def requester_card_text(bot: BotHarness, wanted: str) -> str:
    diego = bot.person(DIEGO)
    shown = ""
    for _ in range(100):  # the requester's card is updated in place after the decision
        shown = text_in(bot.current_card(diego))
        if wanted in shown:
            break
        await asyncio.sleep(0.05)
    return shown


async def test_removed_from_the_allowed_group_while_approval_waits_approve_sends_nothing(
    bot: BotHarness, figures: Figures
) -> None:
    card, request_id = await waiting_for_approval(bot)
    bot.emulator.control.set_group_members(HR_TEAM, [])  # Diego leaves HR meanwhile

    approver_sees = await approve_and_settle(bot, card)
    requester_sees = await requester_card_text(bot, "not sent")
    await asyncio.sleep(0.3)  # give a wrongly queued send the time to go out
    stored = await bot.services.store.get_request(request_id)

    figures.attack("authorisation", refused=not mail_submissions(bot.emulator))
    assert mail_submissions(bot.emulator) == []
    assert (stored.state, stored.error_key) == (SendState.FAILED, "not_in_allowed_group")
    for shown in (approver_sees, requester_sees):
        assert "Approved by Megan Bowen" in shown
        assert "but not sent: hr@contoso.com is limited to certain groups" in shown
        assert DIEGO in shown  # "... You (diego...) are not in any of them."


async def test_send_as_removed_while_approval_waits_approve_sends_nothing(
    bot: BotHarness, figures: Figures
) -> None:
    card, request_id = await waiting_for_approval(bot)
    bot.emulator.control.set_mailbox_rights(HR, send_as=[])  # an admin takes Send As away

    approver_sees = await approve_and_settle(bot, card)
    requester_sees = await requester_card_text(bot, "not sent")
    await asyncio.sleep(0.3)
    stored = await bot.services.store.get_request(request_id)

    figures.attack("authorisation", refused=not mail_submissions(bot.emulator))
    assert mail_submissions(bot.emulator) == []
    assert (stored.state, stored.error_key) == (SendState.FAILED, "missing_send_as")
    for shown in (approver_sees, requester_sees):
        assert "but not sent: You can't send as hr@contoso.com" in shown
        assert "Send As trustee" in shown


async def test_with_the_right_intact_the_approved_request_is_sent(bot: BotHarness) -> None:
    card, request_id = await waiting_for_approval(bot)

    shown = await approve_and_settle(bot, card)
    for _ in range(200):
        if (await bot.services.store.get_request(request_id)).state is SendState.SENT:
            break
        await asyncio.sleep(0.05)

    assert "not sent" not in shown
    assert (await bot.services.store.get_request(request_id)).state is SendState.SENT
    assert len(bot.emulator.control.external_deliveries()) == 1


async def test_the_outbox_guard_decides_from_fresh_facts(bot: BotHarness) -> None:
    """The guard's decision for a stored request ignores the cached one: Send As taken
    away after the preview (which cached the rights) means no."""
    diego = bot.person(DIEGO)
    shown = await preview(bot, diego, HR, "hr-announcement", "alex.wilber@contoso.com")
    request = await bot.services.store.get_request(action(shown, verbs.SEND)["data"]["request"])
    guard = DecisionGuard(bot.services.flow)
    assert (await guard.check(request)).allowed

    bot.emulator.control.set_mailbox_rights(HR, send_as=[])
    cached = await bot.services.flow.redecide(diego.oid, request)
    refused = await guard.check(request)

    assert not hasattr(cached, "explanation")  # the cached decision still says yes
    assert (refused.allowed, refused.explanation_key) == (False, "missing_send_as")
