"""What a Teams user meets every day, through the real bot over HTTP: plain sentences,
short request references, the template guide, named groups, the privacy prompt for many
external recipients and the outside-the-organisation warning."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.references import reference_of
from bot.domain.send_request import SendState
from cards import verbs
from tests.cards.anatomy import inputs, of_type
from tests.store.helpers import draft
from tests.support.botapp import BotHarness, Person, action, card_in, text_of
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()
SUPPORT = "support@contoso.com"
JOHANNA = "johanna.lorenz@contoso.com"
HR_TEAM = "b5f44c90-245e-43d1-aeb9-4742c8f1c9e4"
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


# --- short references -----------------------------------------------------------------------


async def test_cards_show_a_short_reference_that_status_and_cancel_accept_in_any_case(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = await compose_for(bot, adele, SUPPORT)
    preview = await preview_with(bot, adele, compose, samples("ticket-reply", to=JOHANNA))
    request_id = str(action(preview, verbs.SEND)["data"]["request"])
    reference = reference_of(request_id)
    assert reference in text_of(preview)

    status = text_of(card_in(await bot.say(adele, f"/status {reference.lower()}")))
    assert reference in status
    assert "Not found" not in status
    history = card_in(await bot.say(adele, "/history"))
    listed = text_of(history)
    assert reference in listed
    # People see the reference, not the id: the id is only the choice's hidden value.
    choice = inputs(history)["request"]
    shown = listed.replace(choice["value"], "")
    for item in choice["choices"]:
        shown = shown.replace(item["value"], "")
    assert request_id[:8] not in shown

    cancelled = text_of(card_in(await bot.say(adele, f"cancel {reference} please")))
    assert "cancelled" in cancelled.lower()
    assert (await bot.services.store.get_request(request_id)).state is SendState.CANCELLED


async def test_a_sent_request_keeps_its_full_id_in_the_audit_and_its_reference_on_the_card(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = await compose_for(bot, adele, SUPPORT)
    preview = await preview_with(bot, adele, compose, samples("ticket-reply", to=JOHANNA))
    send = action(preview, verbs.SEND)["data"]
    await bot.act(adele, verbs.SEND, send)
    request_id = str(send["request"])
    await state_becomes(bot, request_id, SendState.SENT)
    card = text_of(card_in(await bot.say(adele, f"/status {reference_of(request_id)}")))
    assert reference_of(request_id) in card
    audit = await bot.services.store.query_audit(user=adele.oid)
    assert [e.request_id for e in audit if e.outcome == "sent"] == [request_id]


async def test_a_reference_two_requests_share_lists_both_to_pick_from(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    now = datetime.now(UTC)
    twins = []
    for n in range(2):
        request, messages = draft(now + timedelta(seconds=n), requester_oid=adele.oid)
        request = replace(request, id="7f3a9" + uuid.uuid4().hex[5:])
        await bot.services.store.create_request(request, messages)
        twins.append(request.id)
    card = card_in(await bot.say(adele, "/status MR-FWX9"))
    assert "2 of your requests have the reference MR-FWX9" in text_of(card)
    choices = [c["value"] for c in inputs(card)["request"]["choices"]]
    assert sorted(choices) == sorted(twins)  # each can be chosen for Details
    action(card, verbs.STATUS)


# --- the template guide ---------------------------------------------------------------------


async def test_templates_name_lists_each_variable_and_a_one_line_send_that_works(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    card = card_in(await bot.say(adele, "/templates ticket-reply"))
    text = text_of(card)
    for variable in CATALOG.get("ticket-reply").variables:
        assert variable.name in text
    assert "ticket_id\n · string · required" in text
    assert "portal_url\n · url · optional" in text
    assert "Example: \n48213" in text
    command = next(
        r["text"] for r in of_type(card, "TextRun") if str(r["text"]).startswith("/send ")
    )
    assert command.startswith(f"/send from:support template:ticket-reply to:{adele.upn} ")
    preview = card_in(await bot.say(adele, command))
    action(preview, verbs.SEND)  # straight to the preview: nothing was missing
    assert "Re: [Ticket #48213] Cannot sign in to the customer portal" in text_of(preview)


# --- explanations name groups and give every fix ----------------------------------------------


async def test_why_not_names_the_group_by_its_display_name_and_gives_every_fix(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    bot.emulator.control.clear_log()
    text = text_of(card_in(await bot.say(adele, "/why hr")))
    assert "use hr@contoso.com: HR Team." in text
    assert HR_TEAM not in text  # the group's id stays out of sight
    fixes = text[text.index("How to fix it") : text.index("Who can fix it")]
    assert "1. Ask the group's owner to add you" in fixes  # the policy rule
    assert "Add-RecipientPermission hr@contoso.com -Trustee adele.vance@contoso.com" in fixes
    assert "Add-MailboxPermission hr@contoso.com" in fixes  # and each Exchange right
    again = text_of(card_in(await bot.say(adele, "why can't I send as hr")))
    assert "HR Team" in again
    log = bot.emulator.control.request_log()
    reads = [e for e in log if str(e.get("path")).endswith(f"/groups/{HR_TEAM}")]
    assert len(reads) == 1  # the name is cached


# --- the privacy prompt ---------------------------------------------------------------------

CUSTOMERS = tuple(f"customer{n}@fabrikam.com" for n in range(12))


async def many_external_preview(bot: BotHarness, who: Person, count: int) -> Json:
    compose = await compose_for(bot, who, SUPPORT)
    to, cc = CUSTOMERS[: count - 1], CUSTOMERS[count - 1 : count]
    fields = samples("ticket-reply", to=", ".join(to), cc=", ".join(cc))
    return await preview_with(bot, who, compose, fields)


async def test_many_external_addresses_in_to_and_cc_get_the_privacy_prompt(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    quiet = await many_external_preview(bot, adele, 10)  # the default threshold: 10
    assert "outside your organisation are in To or Cc" not in text_of(quiet)
    preview = await many_external_preview(bot, adele, 12)
    assert "12 addresses outside your organisation are in To or Cc" in text_of(preview)
    request_id = str(action(preview, verbs.SEND)["data"]["request"])
    for verb in (verbs.TO_BCC, verbs.ONE_EACH):
        assert action(preview, verb)["data"] == action(preview, verbs.SEND)["data"]
    assert (await bot.services.store.get_request(request_id)).state is SendState.DRAFT


async def test_put_everyone_in_bcc_previews_and_sends_one_email_nobody_sees_the_others_in(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await many_external_preview(bot, adele, 12)
    old = str(action(preview, verbs.SEND)["data"]["request"])
    again = card_in(await bot.act(adele, verbs.TO_BCC, action(preview, verbs.TO_BCC)["data"]))
    assert "outside your organisation are in To or Cc" not in text_of(again)
    assert "Bcc (hidden from other recipients)" in text_of(again)
    send = action(again, verbs.SEND)["data"]
    assert send["request"] != old
    assert (await bot.services.store.get_request(old)).state is SendState.CANCELLED
    await bot.act(adele, verbs.SEND, send)
    await state_becomes(bot, str(send["request"]), SendState.SENT)
    sent = await bot.services.store.get_request(str(send["request"]))
    assert sent.recipients.to == (SUPPORT,)
    assert sent.recipients.cc == ()
    assert set(sent.recipients.bcc) == set(CUSTOMERS)


async def test_one_email_each_previews_a_personalised_send_to_each_recipient_alone(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await many_external_preview(bot, adele, 12)
    again = card_in(await bot.act(adele, verbs.ONE_EACH, action(preview, verbs.ONE_EACH)["data"]))
    assert "12 personalised messages" in text_of(again)
    assert "outside your organisation are in To or Cc" not in text_of(again)
    request_id = str(action(again, verbs.SEND)["data"]["request"])
    request = await bot.services.store.get_request(request_id)
    assert request.message_count == len(CUSTOMERS)
    assert set(request.recipients.all()) == set(CUSTOMERS)
    await bot.act(adele, verbs.SEND, action(again, verbs.SEND)["data"])
    queued = await bot.services.store.get_request(request_id)
    assert queued.state in (SendState.QUEUED, SendState.SENDING, SendState.SENT)
    jobs = await bot.services.store.list_jobs(request_id)  # one message each, paced out
    assert sorted(j.recipients.to for j in jobs) == sorted((c,) for c in CUSTOMERS)


async def test_a_privacy_button_on_an_old_preview_changes_nothing(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await many_external_preview(bot, adele, 12)
    data = action(preview, verbs.TO_BCC)["data"]
    await bot.act(adele, verbs.TO_BCC, data)
    drafts_before = await bot.services.store.page_requests(requester_oid=adele.oid, limit=50)
    stale = card_in(await bot.act(adele, verbs.ONE_EACH, data))  # the same, old card
    drafts_after = await bot.services.store.page_requests(requester_oid=adele.oid, limit=50)
    assert len(drafts_after.requests) == len(drafts_before.requests)
    assert "personalised" not in text_of(stale)
