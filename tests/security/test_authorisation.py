"""Forged card data from elsewhere, redelivered activities, and the last line before an
application-mode send.

Already covered in tests/teams (not repeated here): another user's Send, a sender the user
may not use, a tampered version, a non-approver's or the requester's own approval, a late
approval after cancel or expiry (test_send_safety.py, test_approvals.py).
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.send_request import SendState
from cards import verbs
from emulator.testing import RunningEmulator
from tests.reliability.figures import Figures
from tests.security.helpers import (
    ADELE,
    JOHANNA,
    MEGAN,
    compose,
    conversation_replies,
    invoke_for,
    mail_submissions,
    post,
    preview,
    settle_outbox,
    wait_for_replies,
)
from tests.support.botapp import BotHarness, action, card_in, running_bot, settings_for, text_of

ROOT = Path(__file__).resolve().parents[2]
GROUP_CHAT = "19:meeting-attacker@thread.v2"


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(settings_for(emulator, tmp_path), emulator) as harness:
        yield harness


def uncached_policy(tmp_path: Path) -> Path:
    """The example policy with the decision cache off: every step asks Exchange again."""
    text = (ROOT / "mailroom.example.toml").read_text()
    path = tmp_path / "policy.toml"
    path.write_text(text.replace("decision_cache_seconds = 300", "decision_cache_seconds = 0"))
    return path


# --- card actions from another conversation ------------------------------------------------

REFUSALS = ("isn't yours", "can't approve", "not a sender", "out of date")
# In a group chat no handler runs: the answer points to the 1:1 chat.
POINTER = "Mailroom works in your 1:1 chat with it"
# Every verb that names a draft or a request, with the ids Adele's cards carry.
ID_VERBS = (
    verbs.PICK_TEMPLATE, verbs.PREVIEW, verbs.COMPOSE_CANCEL, verbs.SEND, verbs.EDIT,
    verbs.CANCEL, verbs.STATUS, verbs.RETRY, verbs.RETRY_FAILED, verbs.REQUEST_APPROVAL,
    verbs.APPROVE, verbs.REJECT, verbs.REFRESH, verbs.TO_BCC, verbs.ONE_EACH,
    verbs.PREVIEW_ROW, verbs.SEND_AGAIN, verbs.RESUME_DRAFT, verbs.DISCARD_DRAFT,
)  # fmt: skip


async def test_every_card_verb_replayed_by_someone_else_in_another_chat_changes_nothing(
    bot: BotHarness, figures: Figures
) -> None:
    adele = bot.person(ADELE)
    johanna = bot.person(JOHANNA)
    card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
    request_id = action(card, verbs.SEND)["data"]["request"]
    open_draft = action(await compose(bot, adele, "support@contoso.com", "ticket-reply"),
                        verbs.PREVIEW)["data"]  # fmt: skip
    store = bot.services.store
    before = await store.get_request(request_id)
    draft_before = await store.get_compose(open_draft["draft"])
    adele_replies = len(bot.replies(adele))
    sends_before = len(mail_submissions(bot.emulator))

    for verb, conversation in [(v, c) for v in ID_VERBS for c in (None, GROUP_CHAT)]:
        for ids in (
            {"request": request_id, "version": str(before.version)},
            {"draft": open_draft["draft"], "version": open_draft["version"]},
        ):
            data = {**ids, "template": "ticket-reply", "comment": "ok", "row": "1",
                    "to": "attacker@evil.example", "var_ticket_id": "1"}  # fmt: skip
            response = await post(
                bot, invoke_for(bot, johanna, verb, data, conversation=conversation)
            )
            assert response.status_code == 200, (verb, response.text)
            body = response.json()
            value = body.get("value")
            shown = text_of(value) if isinstance(value, dict) else str(value)
            expected = (POINTER,) if conversation else REFUSALS
            refused = body.get("statusCode") != 200 or any(r in shown for r in expected)
            leaked = before.subject in shown or JOHANNA in shown
            figures.attack("authorisation", refused=refused and not leaked)
            assert refused, (verb, ids, shown[:300])
            assert not leaked, (verb, ids, "Adele's request showed to someone else")

    after = await store.get_request(request_id)
    draft_after = await store.get_compose(open_draft["draft"])
    assert (after.state, after.version) == (before.state, before.version)
    assert draft_after == draft_before
    assert len(mail_submissions(bot.emulator)) == sends_before
    assert len(bot.replies(adele)) == adele_replies
    assert conversation_replies(bot.emulator, GROUP_CHAT) == []


async def test_the_owner_clicking_from_another_chat_still_sends_once(
    bot: BotHarness, figures: Figures
) -> None:
    """Adele's own Send, arriving from a group chat (she forwarded the card): nothing runs
    there, the answer points to her 1:1 chat; her click there sends it — once."""
    adele = bot.person(ADELE)
    card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
    data = action(card, verbs.SEND)["data"]
    first = await post(bot, invoke_for(bot, adele, verbs.SEND, data, conversation=GROUP_CHAT))
    again = await bot.act(adele, verbs.SEND, data)
    assert first.status_code == 200
    assert POINTER in str(first.json().get("value"))
    assert "Send" not in [a.get("title") for a in card_in(again).get("actions", [])]
    assert await settle_outbox(bot, data["request"]) == SendState.SENT
    await asyncio.sleep(0.3)
    delivered = len(bot.emulator.control.mailbox(JOHANNA, "inbox"))
    figures.attack("replay", refused=delivered == 1)
    figures.mail(queued=1, delivered=delivered, lost=max(0, 1 - delivered),
                 duplicates=max(0, delivered - 1))  # fmt: skip
    assert delivered == 1


# --- redelivered activities (same activity id) -----------------------------------------------


async def test_a_redelivered_send_click_sends_one_mail(bot: BotHarness, figures: Figures) -> None:
    adele = bot.person(ADELE)
    card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
    data = action(card, verbs.SEND)["data"]
    click = invoke_for(bot, adele, verbs.SEND, data, activity_id="redelivered-send-1")
    first, second = await asyncio.gather(post(bot, click), post(bot, click))
    third = await post(bot, click)  # and once more, after the first two were answered
    assert {first.status_code, second.status_code, third.status_code} == {200}
    assert await settle_outbox(bot, data["request"]) == SendState.SENT
    await asyncio.sleep(0.3)
    delivered = len(bot.emulator.control.mailbox(JOHANNA, "inbox"))
    figures.attack("replay", refused=delivered == 1)
    figures.mail(queued=1, delivered=delivered, lost=max(0, 1 - delivered),
                 duplicates=max(0, delivered - 1))  # fmt: skip
    assert delivered == 1
    assert third.json()["statusCode"] == 200  # answered with the current state, not an error


async def test_a_redelivered_approval_makes_one_decision_and_one_send(
    bot: BotHarness, figures: Figures
) -> None:
    from tests.teams.test_approvals import CUSTOMERS, approval_card_of, request_approval

    adele = bot.person(ADELE)
    megan = bot.person(MEGAN)
    await request_approval(bot, adele)
    data = action(approval_card_of(bot, megan), verbs.APPROVE)["data"]
    click = invoke_for(bot, megan, verbs.APPROVE, data, activity_id="redelivered-approve-1")
    answers = await asyncio.gather(post(bot, click), post(bot, click))
    late = await post(bot, click)
    assert all(a.status_code == 200 for a in (*answers, late))
    assert "Approved by Megan Bowen" in text_of(late.json()["value"])
    assert await settle_outbox(bot, data["request"], seconds=10) == SendState.SENT
    await asyncio.sleep(0.3)
    delivered = len(bot.emulator.control.external_deliveries())
    figures.attack("replay", refused=delivered == len(CUSTOMERS))
    figures.mail(queued=len(CUSTOMERS), delivered=delivered,
                 lost=max(0, len(CUSTOMERS) - delivered),
                 duplicates=max(0, delivered - len(CUSTOMERS)))  # fmt: skip
    assert delivered == len(CUSTOMERS)
    approvals = [a for a in [await bot.services.store.get_approval(data["request"])] if a]
    assert len(approvals) == 1


async def test_a_redelivered_message_is_answered_once(bot: BotHarness, figures: Figures) -> None:
    """Teams redelivers an activity the bot was slow to acknowledge: the fast path must not
    make a second preview (a second request a careless click could send)."""
    adele = bot.person(ADELE)
    await bot.say(adele, "/help")  # warm up: conversation reference, caches
    before = len(bot.replies(adele))
    text = "/send from:support@contoso.com template:ticket-reply to:johanna.lorenz@contoso.com"
    for key, value in _ticket_values().items():
        text += f" {key}={shlex.quote(value)}"
    activity = invoke_for(bot, adele, "", {})  # the Teams shape, then made a message
    activity.update(type="message", text=text, id="redelivered-message-1")
    for field in ("name", "value", "replyToId"):
        activity.pop(field, None)
    responses = await asyncio.gather(post(bot, activity), post(bot, activity))
    late = await post(bot, activity)
    assert {r.status_code for r in (*responses, late)} == {202}
    replies = await wait_for_replies(bot.emulator, f"a:personal-{adele.oid}", before + 1,
                                     settle=0.5)  # fmt: skip
    drafts = await bot.services.store.list_requests(requester_oid=adele.oid, limit=50)
    figures.attack("replay", refused=len(replies) == before + 1 and len(drafts) == 1)
    assert len(replies) == before + 1, [text_of(card_in(r))[:80] for r in replies[before:]]
    assert len(drafts) == 1


def _ticket_values() -> dict[str, str]:
    from tests.security.helpers import CATALOG

    return dict(CATALOG.get("ticket-reply").sample_values())


# --- application mode: never without a verified Exchange right --------------------------------


async def test_an_application_send_is_refused_when_exchange_cannot_confirm_the_right(
    emulator: RunningEmulator, tmp_path: Path, figures: Figures
) -> None:
    settings = settings_for(emulator, tmp_path, policy=uncached_policy(tmp_path))
    async with running_bot(settings, emulator) as bot:
        adele = bot.person(ADELE)
        card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
        data = action(card, verbs.SEND)["data"]
        emulator.control.add_fault("*", "/adminapi/*", "error", count=1000, status=503)
        figures.fault("exchange:error")
        refused = card_in(await bot.act(adele, verbs.SEND, data))
        unverified = "could not be checked" in text_of(refused)
        figures.attack("application mode", refused=unverified)
        assert unverified, text_of(refused)
        assert mail_submissions(emulator) == []
        emulator.control.clear_faults()
        sent = card_in(await bot.act(adele, verbs.SEND, data))  # Exchange is back: it goes
        assert "Send" not in [a.get("title") for a in sent.get("actions", [])]
        assert await settle_outbox(bot, data["request"]) == SendState.SENT
        assert len(mail_submissions(emulator)) == 1


async def test_a_queued_application_send_is_not_sent_when_the_right_cannot_be_verified(
    emulator: RunningEmulator, tmp_path: Path, figures: Figures
) -> None:
    """The worker's own check: a request that reached the queue without going through the
    Send click (forged row, or Exchange failing between click and send) is not sent."""
    settings = settings_for(emulator, tmp_path, policy=uncached_policy(tmp_path))
    async with running_bot(settings, emulator) as bot:
        adele = bot.person(ADELE)
        card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
        request_id = action(card, verbs.SEND)["data"]["request"]
        emulator.control.add_fault("*", "/adminapi/*", "error", count=1000, status=503)
        figures.fault("exchange:error")
        store = bot.services.store
        draft = await store.get_request(request_id)
        await store.transition(draft.id, draft.version, SendState.QUEUED)
        assert bot.services.worker is not None
        bot.services.worker.wake()
        state = await settle_outbox(bot, request_id)
        figures.attack("application mode", refused=mail_submissions(emulator) == [])
        assert state == SendState.FAILED
        assert mail_submissions(emulator) == []
