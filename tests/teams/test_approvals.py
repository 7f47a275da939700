"""Approving sends from a card: approve → sent, reject → nothing, one decision wins, and
every way of deciding without the right is refused."""

from __future__ import annotations

import asyncio
from typing import Any

from cards import verbs
from tests.support.botapp import BotHarness, Person, action, actions_of, card_in, text_of
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()
APPROVERS_GROUP = "b24c3e6b-01b6-4cbf-97f5-38261ebe40d6"  # Notice Approvers: Megan, Diego
CUSTOMERS = [f"customer{i}@fabrikam.com" for i in range(21)]  # > 20: noreply needs approval


def inputs(template: str, **fields: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get(template).sample_values().items()}
    return {**values, **fields}


async def request_approval(
    bot: BotHarness, requester: Person, *, approvers_opened: bool = True
) -> dict[str, Any]:
    """The requester previews a 21-recipient notice and asks for approval; returns the
    requester's card after asking. ``approvers_opened``: the approvers talked to the bot
    before (it has their chats)."""
    for name in ("megan.bowen@contoso.com", "diego.siciliani@contoso.com"):
        if approvers_opened:
            await bot.say(bot.person(name), "/help")
    preview = await preview_needing_approval(bot, requester)
    ask = action(preview, verbs.REQUEST_APPROVAL)
    return card_in(await bot.act(requester, verbs.REQUEST_APPROVAL, ask["data"]))


async def preview_needing_approval(bot: BotHarness, requester: Person) -> dict[str, Any]:
    """The preview card of a 21-recipient notice from noreply@ (approval needed)."""
    await bot.say(requester, "/send")
    compose = card_in(
        await bot.act(requester, verbs.PICK_SENDER, {"sender": "noreply@contoso.com"})
    )
    if not [a for a in actions_of(compose) if a.get("verb") == verbs.PREVIEW]:
        pick = action(compose, verbs.PICK_TEMPLATE)
        compose = card_in(await bot.act(
            requester, verbs.PICK_TEMPLATE, {**pick["data"], "template": "outage-notice"}
        ))  # fmt: skip
    data = {**action(compose, verbs.PREVIEW)["data"],
            **inputs("outage-notice", to=",".join(CUSTOMERS))}  # fmt: skip
    preview = card_in(await bot.act(requester, verbs.PREVIEW, data))
    assert "more than 20" in text_of(preview)
    return preview


def approval_card_of(bot: BotHarness, approver: Person) -> dict[str, Any]:
    cards = [card_in(r) for r in bot.replies(approver) if r.get("activity", r).get("attachments")]
    approvals = [c for c in cards if any(a.get("verb") == verbs.APPROVE for a in actions_of(c))]
    assert approvals, "the approver got no approval card"
    return approvals[-1]


async def external_count(bot: BotHarness, wanted: int) -> int:
    for _ in range(200):
        if len(bot.emulator.control.external_deliveries()) >= wanted:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    return len(bot.emulator.control.external_deliveries())


async def test_approve_sends_once_and_everyone_sees_who_approved(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    mine = await request_approval(bot, adele)
    assert "Waiting for approval" in text_of(mine)
    card = approval_card_of(bot, megan)
    assert "more than 20" in text_of(card)
    decided = card_in(await bot.act(megan, verbs.APPROVE, action(card, verbs.APPROVE)["data"]))
    assert "Approved by Megan Bowen" in text_of(decided)
    assert await external_count(bot, len(CUSTOMERS)) == len(CUSTOMERS)  # each once
    for _ in range(40):  # the requester's card is updated in place: approved, then sent
        now = text_of(bot.current_card(adele))
        if now.startswith("Sent") and "Approved by Megan Bowen at " in now:
            break
        await asyncio.sleep(0.05)
    shown = text_of(bot.current_card(adele))
    assert shown.startswith("Sent")
    assert "Approved by Megan Bowen at " in shown  # who and when stay on the sent card


async def test_reject_with_a_comment_tells_the_requester_and_sends_nothing(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    diego = bot.person("diego.siciliani@contoso.com")
    await request_approval(bot, adele)
    card = approval_card_of(bot, diego)
    data = {**action(card, verbs.REJECT)["data"], "comment": "Wrong incident number"}
    decided = card_in(await bot.act(diego, verbs.REJECT, data))
    assert "Rejected by Diego Siciliani" in text_of(decided)
    assert "Wrong incident number" in text_of(decided)
    assert await external_count(bot, 0) == 0


async def test_two_approvers_at_the_same_instant_make_one_decision_and_one_send(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    diego = bot.person("diego.siciliani@contoso.com")
    await request_approval(bot, adele)
    megan_data = action(approval_card_of(bot, megan), verbs.APPROVE)["data"]
    diego_data = action(approval_card_of(bot, diego), verbs.APPROVE)["data"]
    first, second = await asyncio.gather(
        bot.act(megan, verbs.APPROVE, megan_data), bot.act(diego, verbs.APPROVE, diego_data)
    )
    outcomes = [
        next(line for line in text_of(card_in(r)).splitlines() if "Approved by" in line)
        for r in (first, second)
    ]
    assert outcomes[0] == outcomes[1]  # both see the one decision that counted
    assert await external_count(bot, len(CUSTOMERS)) == len(CUSTOMERS)  # one send


async def test_a_non_approver_forging_an_approval_is_refused_and_nothing_changes(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    alex = bot.person("alex.wilber@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    await request_approval(bot, adele)
    data = action(approval_card_of(bot, megan), verbs.APPROVE)["data"]
    forged = card_in(await bot.act(alex, verbs.APPROVE, data))
    assert "You can't approve this" in text_of(forged)
    still = card_in(await bot.act(megan, verbs.APPROVE, data))  # the real approver still can
    assert "Approved by Megan Bowen" in text_of(still)


async def test_the_requester_cannot_approve_their_own_request(bot: BotHarness) -> None:
    megan = bot.person("megan.bowen@contoso.com")  # in Ops Notifiers and Notice Approvers
    diego = bot.person("diego.siciliani@contoso.com")
    await request_approval(bot, megan)
    data = action(approval_card_of(bot, diego), verbs.APPROVE)["data"]
    own = card_in(await bot.act(megan, verbs.APPROVE, data))
    assert "You can't approve your own request" in text_of(own)
    assert await external_count(bot, 0) == 0


async def test_an_approver_removed_from_the_group_can_no_longer_decide(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    await request_approval(bot, adele)
    data = action(approval_card_of(bot, megan), verbs.APPROVE)["data"]
    bot.emulator.control.set_group_members(APPROVERS_GROUP, ["diego.siciliani@contoso.com"])
    refused = card_in(await bot.act(megan, verbs.APPROVE, data))
    assert "You can't approve this" in text_of(refused)
    assert await external_count(bot, 0) == 0


async def test_editing_after_requesting_needs_a_new_request(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    mine = await request_approval(bot, adele)
    request_id = action(mine, verbs.CANCEL)["data"]["request"]
    stale = card_in(await bot.act(adele, verbs.SEND, {"request": request_id, "version": "1"}))
    assert "Send" not in [a.get("title") for a in stale.get("actions", [])]
    assert await external_count(bot, 0) == 0


async def test_the_requester_may_cancel_while_pending(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    mine = await request_approval(bot, adele)
    opened = approval_card_of(bot, megan)  # the card as it was before the cancel
    cancelled = card_in(await bot.act(adele, verbs.CANCEL, action(mine, verbs.CANCEL)["data"]))
    assert "ancel" in text_of(cancelled)
    late = card_in(await bot.act(megan, verbs.APPROVE, action(opened, verbs.APPROVE)["data"]))
    assert "Approve" not in [a.get("title") for a in late.get("actions", [])]
    assert await external_count(bot, 0) == 0


async def test_an_expired_request_can_no_longer_be_approved(bot: BotHarness) -> None:
    from datetime import UTC, datetime, timedelta

    from bot.domain.send_request import SendState
    from bot.outbox.housekeeping import expire_due

    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    mine = await request_approval(bot, adele)
    request_id = action(mine, verbs.CANCEL)["data"]["request"]
    later = datetime.now(UTC) + timedelta(hours=73)  # default expiry: 72 hours
    expired = await expire_due(bot.services.store, later, clock=lambda: later)
    assert [r.id for r in expired] == [request_id]
    assert (await bot.services.store.get_request(request_id)).state is SendState.EXPIRED
    data = action(approval_card_of(bot, megan), verbs.APPROVE)["data"]
    late = card_in(await bot.act(megan, verbs.APPROVE, data))
    assert "Expired" in text_of(late)
    assert await external_count(bot, 0) == 0


async def test_slash_approvals_lists_what_waits_for_me_as_approver(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    alex = bot.person("alex.wilber@contoso.com")
    await request_approval(bot, adele)
    waiting = text_of(card_in(await bot.say(megan, "/approvals")))
    assert "customer0@fabrikam.com" in waiting
    nothing = text_of(card_in(await bot.say(alex, "/approvals")))
    assert "Nothing waits for your approval" in nothing


async def test_slash_approvals_leaves_out_my_own_request_when_i_may_not_approve_it(
    bot: BotHarness,
) -> None:
    megan = bot.person("megan.bowen@contoso.com")  # in Ops Notifiers and Notice Approvers
    diego = bot.person("diego.siciliani@contoso.com")
    await request_approval(bot, megan)
    assert "Nothing waits for your approval" in text_of(card_in(await bot.say(megan, "/approvals")))
    assert "customer0@fabrikam.com" in text_of(card_in(await bot.say(diego, "/approvals")))


async def test_the_approvers_refresh_shows_their_view_and_an_outsider_gets_nothing(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    alex = bot.person("alex.wilber@contoso.com")
    await request_approval(bot, adele)
    card = approval_card_of(bot, megan)
    refresh = action(card, verbs.APPROVE)  # the data a refresh of this card carries
    data = {"request": refresh["data"]["request"]}
    mine = card_in(await bot.act(megan, verbs.REFRESH, data))
    assert {verbs.APPROVE, verbs.REJECT} <= {a["verb"] for a in actions_of(mine)}
    theirs = card_in(await bot.act(adele, verbs.REFRESH, data))
    assert "Waiting for approval" in text_of(theirs)
    assert verbs.APPROVE not in [a["verb"] for a in actions_of(theirs)]
    outsider = card_in(await bot.act(alex, verbs.REFRESH, data))
    assert "That card isn't yours" in text_of(outsider)
