"""The guided send's rough edges, as a new user meets them, through the real bot over HTTP:
bulk CSV rows, the fast path's mistakes, the sender list, choice defaults, Outlook's
recipient lists, /cancel too late, /why as a question, and the full preview page."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.domain.send_request import SendState
from bot.flow.preview_links import PreviewLinks
from cards import verbs
from tests.cards.anatomy import inputs
from tests.support.botapp import (
    PREVIEW_KEY,
    BotHarness,
    Person,
    action,
    actions_of,
    card_in,
    text_of,
)
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()
SIGNED_LINKS = True  # the bot fixture (conftest.py) signs links with PREVIEW_KEY
KEY = PREVIEW_KEY
SUPPORT = "support@contoso.com"
JOHANNA = "johanna.lorenz@contoso.com"
PATTI = "patti.fernandez@contoso.com"
Json = dict[str, Any]


def samples(template: str, **fields: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get(template).sample_values().items()}
    return {**values, **fields}


def verbs_in(card: Json) -> set[str]:
    return {str(a.get("verb")) for a in actions_of(card)}


async def compose_for(bot: BotHarness, who: Person, sender: str) -> Json:
    return card_in(await bot.act(who, verbs.PICK_SENDER, {"sender": sender}))


async def preview_with(bot: BotHarness, who: Person, compose: Json, fields: dict[str, str]) -> Json:
    data = {**action(compose, verbs.PREVIEW)["data"], **fields}
    return card_in(await bot.act(who, verbs.PREVIEW, data))


# --- bulk CSV ------------------------------------------------------------------------------


async def test_fields_a_csv_can_supply_are_not_required_on_the_card(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    fields = inputs(await compose_for(bot, adele, SUPPORT))
    name = fields["var_customer_name"]
    assert not name.get("isRequired")  # Teams would refuse Preview over an empty field
    assert "(required)" in name["label"]  # the label still says it is needed


async def test_a_csv_fills_its_columns_per_row_with_the_form_field_left_empty(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = await compose_for(bot, adele, SUPPORT)
    csv = f"email,customer_name\n{JOHANNA},Johanna\n{PATTI},Patti\n"
    preview = await preview_with(
        bot, adele, compose, samples("ticket-reply", var_customer_name="", bulk_csv=csv)
    )
    request_id = action(preview, verbs.SEND)["data"]["request"]
    jobs = await bot.services.store.list_jobs(str(request_id))
    greetings = [(j.recipients.to, j.values["customer_name"]) for j in jobs]
    assert greetings == [((JOHANNA,), "Johanna"), ((PATTI,), "Patti")]
    assert all(j.content is not None and "Dana" not in j.content.html for j in jobs)


async def test_an_empty_required_cell_is_that_rows_error_and_every_row_is_listed_at_once(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = await compose_for(bot, adele, SUPPORT)
    csv = (
        "email,customer_name,status\n"
        f"{JOHANNA},Johanna,Resolved\n"
        f"{PATTI},,Resolved\n"
        "not-an-address,Nobody,Resolved\n"
        "grady.archie@contoso.com,,Maybe\n"
    )
    again = await preview_with(
        bot, adele, compose, samples("ticket-reply", var_customer_name="x", bulk_csv=csv)
    )
    text = text_of(again)
    assert verbs.SEND not in verbs_in(again)  # nothing to send: the form's "x" filled nobody
    assert "row 3, column customer_name: is empty, and this variable is required" in text
    assert "row 4, column email: not one valid address" in text
    assert "row 5, column customer_name: is empty, and this variable is required" in text
    assert "row 5, column status: is not one of the options" in text
    assert "4 problems in the CSV:" in text
    assert "row 2" not in text
    page = await bot.services.store.page_requests(requester_oid=adele.oid, limit=5)
    assert not page.requests


# --- choice defaults and samples -------------------------------------------------------------


async def test_a_choice_shows_its_default_selected_and_samples_only_hint_text_inputs(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    fields = inputs(await compose_for(bot, adele, SUPPORT))
    status = fields["var_status"]
    assert status["type"] == "Input.ChoiceSet"
    assert status["value"] == "In progress"  # the template's default, selected
    assert status.get("placeholder") != "Resolved"  # the sample never looks selected
    assert fields["var_customer_name"]["placeholder"] == "Dana"  # a sample hints a text box
    assert not fields["var_customer_name"].get("value")


# --- recipients as Outlook copies them ------------------------------------------------------


async def test_recipients_pasted_from_outlook_are_read_with_their_quoted_names(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = await compose_for(bot, adele, SUPPORT)
    pasted = f'"Lorenz, Johanna" <{JOHANNA}>; Patti Fernandez <{PATTI}>'
    preview = await preview_with(bot, adele, compose, samples("ticket-reply", to=pasted))
    request_id = action(preview, verbs.SEND)["data"]["request"]
    request = await bot.services.store.get_request(str(request_id))
    assert request.recipients.to == (JOHANNA, PATTI)


# --- the fast path never substitutes ---------------------------------------------------------


async def test_a_mistyped_template_is_named_with_a_suggestion_and_nothing_is_opened_instead(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    card = card_in(
        await bot.say(adele, f"/send from:support template:ticket-replly to:{JOHANNA} ticket_id=7")
    )
    text = text_of(card)
    assert "There is no template called “ticket-replly”. Did you mean ticket-reply?" in text
    assert f"Templates for {SUPPORT}: ticket-reply." in text
    assert verbs_in(card) >= {verbs.PICK_TEMPLATE}  # the user picks; none is picked for them
    assert verbs.PREVIEW not in verbs_in(card)


async def test_a_template_the_sender_may_not_use_is_refused_with_the_allowed_list(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    shared = text_of(card_in(await bot.say(adele, "/send from:support template:hr-announcement")))
    assert f"The template “hr-announcement” can't be sent from {SUPPORT}." in shared
    assert f"Templates for {SUPPORT}: ticket-reply." in shared
    noreply = card_in(await bot.say(adele, "/send from:noreply template:ticket-reply"))
    said = text_of(noreply)
    assert "The template “ticket-reply” can't be sent from noreply@contoso.com." in said
    assert "Templates for noreply@contoso.com: maintenance-window, outage-notice." in said


async def test_a_value_for_no_variable_is_named_with_a_suggestion_on_the_filled_form(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    card = card_in(
        await bot.say(
            adele,
            f"/send from:support template:ticket-reply to:{JOHANNA} customer_name=Johanna "
            "ticket=48213",
        )
    )
    text = text_of(card)
    assert "“ticket” is not a variable of ticket-reply, so it was not used." in text
    assert "Did you mean ticket_id?" in text
    assert "Its variables: customer_name, ticket_id," in text
    assert verbs.SEND not in verbs_in(card)  # not previewed over the mistake
    fields = inputs(card)
    assert fields["var_customer_name"]["value"] == "Johanna"  # what was typed is kept
    assert fields["to"]["value"] == JOHANNA


# --- /senders -------------------------------------------------------------------------------


async def test_senders_are_grouped_by_their_true_kind_and_the_users_own_mailbox_is_you(
    bot: BotHarness,
) -> None:
    megan = bot.person("megan.bowen@contoso.com")
    text = text_of(card_in(await bot.say(megan, "/senders")))
    assert "On behalf of people" not in text
    assert "on behalf of Megan Bowen" not in text  # her own mailbox is not a delegation
    assert text.count("megan.bowen@contoso.com") == 1
    you, send_as, noreply = text.index("You\n"), text.index("Send as\n"), text.index("No-reply")
    assert you < text.index("Megan Bowen (you)") < send_as
    assert send_as < text.index("Contoso Events") < noreply


# --- /cancel too late -------------------------------------------------------------------------


async def sent_request(bot: BotHarness, who: Person) -> str:
    compose = await compose_for(bot, who, SUPPORT)
    preview = await preview_with(bot, who, compose, samples("ticket-reply", to=JOHANNA))
    await bot.act(who, verbs.SEND, action(preview, verbs.SEND)["data"])
    request_id = str(action(preview, verbs.SEND)["data"]["request"])
    for _ in range(200):
        if (await bot.services.store.get_request(request_id)).state is SendState.SENT:
            return request_id
        await asyncio.sleep(0.05)
    raise AssertionError("the request was not sent")


async def test_cancelling_a_sent_request_says_it_was_already_sent_and_changes_nothing(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    request_id = await sent_request(bot, adele)
    typed = card_in(await bot.say(adele, f"/cancel {request_id[:8]}"))
    clicked = card_in(await bot.act(adele, verbs.CANCEL, {"request": request_id}))
    for card in (typed, clicked):
        assert "Already sent: nothing was cancelled" in text_of(card)
        action(card, verbs.STATUS, request=request_id)
    assert (await bot.services.store.get_request(request_id)).state is SendState.SENT


# --- /why -------------------------------------------------------------------------------------


async def test_why_answers_the_question_and_offers_to_send_from_that_sender(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    card = card_in(await bot.say(adele, "/why support"))
    text = text_of(card)
    assert f"Yes: you can send from {SUPPORT}" in text
    assert f"You can send from {SUPPORT} because you are in a group allowed" in text
    assert "Mailroom did not send" not in text
    button = action(card, verbs.PICK_SENDER, sender=SUPPORT)
    assert button["title"] == f"Send from {SUPPORT}"
    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, button["data"]))
    action(compose, verbs.PREVIEW)  # straight to the compose card
    noreply = text_of(card_in(await bot.say(adele, "/why noreply")))
    assert "Yes: you can send from noreply@contoso.com" in noreply
    assert "A send to more than 20 recipients needs an approver's OK first." in noreply


async def test_why_not_explains_without_talking_of_a_message_that_never_existed(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    text = text_of(card_in(await bot.say(adele, "/why hr")))
    assert "Mailroom did not send" not in text
    assert "hr@contoso.com" in text
    assert "How to fix it" in text


# --- GET /preview/{id} ------------------------------------------------------------------------


async def previewed(bot: BotHarness) -> tuple[str, str]:
    """(the request id, its "View full preview" link, aimed at the running bot)."""
    adele = bot.person("adele.vance@contoso.com")
    compose = await compose_for(bot, adele, SUPPORT)
    preview = await preview_with(bot, adele, compose, samples("ticket-reply", to=JOHANNA))
    link = next(a["url"] for a in preview["actions"] if a.get("title") == "View full preview")
    parts = urlsplit(link)
    return str(action(preview, verbs.SEND)["data"]["request"]), (
        f"{bot.url}{parts.path}?{parts.query}"
    )


def assert_locked_down(response: httpx.Response) -> None:
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy  # no script, image, font or frame from anywhere
    assert "script-src" not in policy
    assert "'unsafe-eval'" not in policy
    assert "sandbox" in policy
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


async def test_the_full_preview_is_the_stored_html_byte_for_byte_behind_its_signed_link(
    bot: BotHarness,
) -> None:
    request_id, link = await previewed(bot)
    async with httpx.AsyncClient() as http:
        response = await http.get(link)
    assert response.status_code == 200
    stored = (await bot.services.store.get_request(request_id)).content
    assert stored is not None
    assert response.content == stored.html.encode("utf-8")
    assert_locked_down(response)


async def test_a_tampered_expired_or_unknown_preview_link_gets_a_clear_page(
    bot: BotHarness,
) -> None:
    request_id, link = await previewed(bot)
    base = bot.url
    stale = PreviewLinks(KEY.encode(), base, clock=lambda: 1_000_000.0).url(request_id)
    nobody = PreviewLinks(KEY.encode(), base).url("0" * 32)
    tampered = link.replace(request_id, request_id[:-1] + ("0" if request_id[-1] != "0" else "1"))
    async with httpx.AsyncClient() as http:
        answers = {
            "tampered": await http.get(tampered),
            "unsigned": await http.get(f"{base}/preview/{request_id}"),
            "expired": await http.get(stale),
            "unknown": await http.get(nobody),
        }
    assert {k: r.status_code for k, r in answers.items()} == {
        "tampered": 403, "unsigned": 403, "expired": 410, "unknown": 404,
    }  # fmt: skip
    assert "This link is not valid" in answers["tampered"].text
    assert "This preview link has expired" in answers["expired"].text
    assert "View full preview" in answers["expired"].text  # and how to get a new one
    for response in answers.values():
        assert_locked_down(response)
        assert "Ticket" not in response.text  # none of the message leaks


async def test_each_message_of_a_bulk_send_has_its_own_full_preview(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    compose = await compose_for(bot, adele, SUPPORT)
    csv = f"email,customer_name\n{JOHANNA},Johanna\n{PATTI},Patti\n"
    preview = await preview_with(bot, adele, compose, samples("ticket-reply", bulk_csv=csv))
    link = next(a["url"] for a in preview["actions"] if a.get("title") == "View full preview")
    parts = urlsplit(link)
    request_id = str(action(preview, verbs.SEND)["data"]["request"])
    jobs = await bot.services.store.list_jobs(request_id)
    async with httpx.AsyncClient() as http:
        pages = [
            await http.get(f"{bot.url}{parts.path}?{parts.query}&message={n}") for n in (1, 2, 3)
        ]
    assert [p.status_code for p in pages] == [200, 200, 404]
    assert [p.content for p in pages[:2]] == [
        j.content.html.encode("utf-8") for j in jobs if j.content is not None
    ]
    assert "Hello Patti," in pages[1].text
