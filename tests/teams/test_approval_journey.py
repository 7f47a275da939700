"""Approvals as both sides live them: the reason in words before and after a decision,
every card following the request, and the approver who never opened Mailroom."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.domain.references import reference_of
from bot.domain.send_request import SendState
from bot.outbox.housekeeping import expire_due
from cards import verbs
from tests.cards.anatomy import inputs
from tests.support.botapp import BotHarness, Person, action, actions_of, card_in, text_of
from tests.teams.test_approvals import (
    CUSTOMERS,
    approval_card_of,
    external_count,
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


def inputs_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


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


def filled(compose: dict[str, Any]) -> dict[str, Any]:
    """The compose card's Preview data with every value its inputs hold."""
    fields = {i["id"]: i.get("value") for i in inputs_of(compose)}
    return {**action(compose, verbs.PREVIEW)["data"],
            **{k: v for k, v in fields.items() if v is not None}}  # fmt: skip


async def rejected_by_megan(bot: BotHarness, comment: str) -> dict[str, Any]:
    """Megan rejects the request waiting for her; returns the approval card she decided on."""
    card = approval_card_of(bot, bot.person("megan.bowen@contoso.com"))
    data = {**action(card, verbs.REJECT)["data"], "comment": comment}
    await bot.act(bot.person("megan.bowen@contoso.com"), verbs.REJECT, data)
    return card


async def test_rejected_then_edited_resubmitted_approved_again_and_sent_once(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    diego = bot.person("diego.siciliani@contoso.com")
    mine = await request_approval(bot, adele)
    first = action(mine, verbs.CANCEL)["data"]["request"]
    await rejected_by_megan(bot, "Wrong incident number")
    told = bot.current_card(adele)  # the requester's card, updated in place
    assert "Rejected by Megan Bowen at " in text_of(told)
    assert "Wrong incident number" in text_of(told)
    again = card_in(await bot.act(adele, verbs.RESUBMIT, action(told, verbs.RESUBMIT)["data"]))
    fields = {i["id"]: i.get("value") for i in inputs_of(again)}
    assert fields["to"] is not None
    assert "customer20@fabrikam.com" in fields["to"]  # every value kept
    assert fields["var_started_at"] == "2026-11-26"
    assert fields["var_started_at__time"] == "08:40"
    preview = card_in(await bot.act(adele, verbs.PREVIEW, filled(again)))
    assert "Request approval" in str(preview), text_of(preview)  # a new approval
    second = card_in(await bot.act(
        adele, verbs.REQUEST_APPROVAL, action(preview, verbs.REQUEST_APPROVAL)["data"]
    ))  # fmt: skip
    second_id = action(second, verbs.CANCEL)["data"]["request"]
    assert second_id != first
    # The message Adele resubmitted in shows the new request now: the old one's "replaced"
    # view must not be written over it.
    assert "Replaced by" not in text_of(bot.current_card(adele))
    fresh = approval_card_of(bot, diego)
    assert action(fresh, verbs.APPROVE)["data"]["request"] == second_id
    await bot.act(diego, verbs.APPROVE, {**action(fresh, verbs.APPROVE)["data"], "comment": "OK"})
    assert await external_count(bot, len(CUSTOMERS)) == len(CUSTOMERS)  # sent once
    for _ in range(40):  # the requester's card follows: approved, then sent
        now = text_of(bot.current_card(adele))
        if now.startswith("Sent") and "Approved by Diego Siciliani at " in now:
            break
        await asyncio.sleep(0.05)
    final = text_of(bot.current_card(adele))
    assert final.startswith("Sent")
    assert "Approved by Diego Siciliani at " in final
    assert "“OK”" in final
    stayed = await bot.services.store.get_request(first)
    assert stayed.state is SendState.REJECTED


async def test_an_edited_resubmission_shows_as_replaced_on_every_card_of_the_old_request(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    diego = bot.person("diego.siciliani@contoso.com")
    mine = await request_approval(bot, adele)
    first = action(mine, verbs.CANCEL)["data"]["request"]
    opened = {p.oid: approval_activity(bot, p) for p in (megan, diego)}
    card = await rejected_by_megan(bot, "No")
    (tracked,) = [str(r["id"]) for r in bot.replies(adele)
                  if "Rejected by Megan Bowen" in text_of(card_in(r))]  # fmt: skip
    # Adele resubmits from the card /status gives her, and edits the preview once more.
    status = card_in(await bot.say(adele, f"/status {reference_of(first)}"))
    again = card_in(await bot.act(adele, verbs.RESUBMIT, action(status, verbs.RESUBMIT)["data"]))
    preview = card_in(await bot.act(adele, verbs.PREVIEW, filled(again)))
    again = card_in(await bot.act(adele, verbs.EDIT, action(preview, verbs.EDIT)["data"]))
    preview = card_in(await bot.act(adele, verbs.PREVIEW, filled(again)))
    assert "Replaced" not in text_of(card_now(bot, megan, opened[megan.oid]))  # not sent yet

    asked = card_in(await bot.act(
        adele, verbs.REQUEST_APPROVAL, action(preview, verbs.REQUEST_APPROVAL)["data"]
    ))  # fmt: skip

    second = action(asked, verbs.CANCEL)["data"]["request"]
    replaced = f"Replaced by {reference_of(second)}"
    for who, activity in ((megan, opened[megan.oid]), (diego, opened[diego.oid]),
                          (adele, tracked)):  # fmt: skip
        old = card_now(bot, who, activity)
        assert replaced in text_of(old), (who.upn, text_of(old))
        assert "Rejected by Megan Bowen" in text_of(old)
        assert not {verbs.APPROVE, verbs.REJECT, verbs.RESUBMIT, verbs.CANCEL} & {
            a["verb"] for a in actions_of(old)
        }
    assert replaced in text_of(card_in(await bot.say(adele, f"/status {reference_of(first)}")))
    refreshed = card_in(await bot.act(megan, verbs.REFRESH, {"request": first}))
    assert replaced in text_of(refreshed)
    for approver in (megan, diego):  # the new request needs its own approval
        fresh = approval_card_of(bot, approver)
        assert action(fresh, verbs.APPROVE)["data"]["request"] == second
    stale = {"request": first, "version": str(action(card, verbs.REJECT)["data"]["version"])}
    await bot.act(diego, verbs.APPROVE, {**stale, "comment": ""})
    assert (await bot.services.store.get_request(first)).state is SendState.REJECTED
    assert await external_count(bot, 0) == 0


async def test_an_approver_who_never_opened_mailroom_decides_from_slash_approvals(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    mine = await request_approval(bot, adele, approvers_opened=False)
    request_id = action(mine, verbs.CANCEL)["data"]["request"]
    listed = card_in(await bot.say(megan, "/approvals"))
    assert inputs(listed)["request"]["value"] == request_id
    details = {**action(listed, verbs.STATUS)["data"], "request": request_id}
    working = card_in(await bot.act(megan, verbs.STATUS, details))
    assert "That card isn't yours" not in text_of(working)
    assert {verbs.APPROVE, verbs.REJECT} <= {a["verb"] for a in actions_of(working)}
    by_id = card_in(await bot.say(megan, f"/status {request_id[:8]}"))
    assert {verbs.APPROVE, verbs.REJECT} <= {a["verb"] for a in actions_of(by_id)}
    approve = {**action(working, verbs.APPROVE)["data"], "comment": "Go ahead"}
    await bot.act(megan, verbs.APPROVE, approve)
    assert await external_count(bot, len(CUSTOMERS)) == len(CUSTOMERS)  # once
    told = text_of(bot.current_card(adele))
    assert "Approved by Megan Bowen at " in told
    assert "Go ahead" in told


async def test_someone_who_may_not_decide_still_cannot_see_the_request(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    alex = bot.person("alex.wilber@contoso.com")
    mine = await request_approval(bot, adele)
    request_id = action(mine, verbs.CANCEL)["data"]["request"]
    assert "That card isn't yours" in text_of(
        card_in(await bot.act(alex, verbs.STATUS, {"request": request_id}))
    )
    assert "Not found" in text_of(card_in(await bot.say(alex, f"/status {request_id[:8]}")))


async def post_activity(bot: BotHarness, activity: dict[str, Any]) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(f"{bot.url}/api/messages", json=activity)
    assert response.status_code in (200, 202), response.text


async def test_opening_mailroom_tells_an_approver_how_many_requests_wait(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    alex = bot.person("alex.wilber@contoso.com")
    await request_approval(bot, adele, approvers_opened=False)
    before = len(bot.replies(megan))
    await post_activity(bot, bot.activity(megan, type="installationUpdate", action="add"))
    for _ in range(100):
        if len(bot.replies(megan)) > before:
            break
        await asyncio.sleep(0.05)
    welcome = text_of(card_in(bot.replies(megan)[-1]))
    assert "Welcome to Mailroom" in welcome
    assert "1 request waits for your approval (type /approvals)" in welcome
    assert "1 request waits" in text_of(card_in(await bot.say(megan, "/help")))
    assert "waits for your approval" not in text_of(card_in(await bot.say(alex, "/help")))


async def test_approvers_get_one_reminder_after_the_configured_time(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    mine = await request_approval(bot, adele)
    request_id = action(mine, verbs.CANCEL)["data"]["request"]
    worker = bot.services.worker
    assert worker is not None
    await worker.remind(datetime.now(UTC) + timedelta(hours=1))  # too early (default: 24 h)
    assert not reminders(bot, megan)
    later = datetime.now(UTC) + timedelta(hours=25)
    await worker.remind(later)
    await worker.remind(later)  # one reminder, however often the chore runs
    (reminder,) = reminders(bot, megan)
    assert request_id[:8] in text_of(reminder)
    opened = card_in(await bot.act(megan, verbs.STATUS, action(reminder, verbs.STATUS)["data"]))
    assert {verbs.APPROVE, verbs.REJECT} <= {a["verb"] for a in actions_of(opened)}


def reminders(bot: BotHarness, who: Person) -> list[dict[str, Any]]:
    cards = [card_in(r) for r in bot.replies(who)]
    return [c for c in cards if text_of(c).startswith("Reminder: a request waits")]
