"""Approvals as both sides live them: the reason in words before and after a decision,
every card following the request, and the approver who never opened Mailroom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.send_request import SendState
from bot.outbox.housekeeping import expire_due
from cards import verbs
from tests.support.botapp import BotHarness, Person, action, actions_of, card_in, text_of
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


def approval_activity(bot: BotHarness, approver: Person) -> str:
    """The id of the message holding the approver's approval card (as first posted)."""
    for reply in bot.replies(approver):
        if any(a.get("verb") == verbs.APPROVE for a in actions_of(card_in(reply))):
            return str(reply["id"])
    raise AssertionError("the approver got no approval card")


def card_now(bot: BotHarness, who: Person, activity_id: str) -> dict[str, Any]:
    """What the message ``activity_id`` in ``who``'s chat shows now (after updates)."""
    return card_in(next(r for r in bot.replies(who) if str(r["id"]) == activity_id))


async def test_cancelling_updates_the_approvers_open_card(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    diego = bot.person("diego.siciliani@contoso.com")
    mine = await request_approval(bot, adele)
    open_cards = {p.oid: approval_activity(bot, p) for p in (megan, diego)}
    await bot.act(adele, verbs.CANCEL, action(mine, verbs.CANCEL)["data"])
    for approver in (megan, diego):
        now = card_now(bot, approver, open_cards[approver.oid])
        assert "Cancelled by the requester" in text_of(now)
        assert not {verbs.APPROVE, verbs.REJECT} & {a["verb"] for a in actions_of(now)}


async def test_slash_cancel_updates_the_approvers_card_too(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    mine = await request_approval(bot, adele)
    request_id = action(mine, verbs.CANCEL)["data"]["request"]
    opened = approval_activity(bot, megan)
    await bot.say(adele, f"/cancel {request_id[:8]}")
    assert "Cancelled by the requester" in text_of(card_now(bot, megan, opened))


async def test_expiry_tells_the_requester_and_every_approver(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    mine = await request_approval(bot, adele)
    request_id = action(mine, verbs.CANCEL)["data"]["request"]
    opened = approval_activity(bot, megan)
    worker = bot.services.worker
    assert worker is not None
    later = datetime.now(UTC) + timedelta(hours=73)  # default expiry: 72 hours
    await expire_due(bot.services.store, later, clock=lambda: later, notify=worker.told)
    assert (await bot.services.store.get_request(request_id)).state is SendState.EXPIRED
    theirs = card_now(bot, megan, opened)
    assert "Expired without a decision" in text_of(theirs)
    assert verbs.APPROVE not in {a["verb"] for a in actions_of(theirs)}
    assert "Request expired: nothing was sent" in text_of(bot.current_card(adele))
