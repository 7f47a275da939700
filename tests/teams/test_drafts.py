"""Unfinished emails survive a page reload: /drafts lists them and resumes one where it
was left, /send offers the last one, and /history offers to view a request's message or
send it again as a new request. Through the real bot over HTTP."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from bot.domain.send_request import SendState
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
Json = dict[str, object]


def values(**fields: str) -> dict[str, str]:
    found = {f"var_{k}": v for k, v in CATALOG.get("ticket-reply").sample_values().items()}
    return {**found, **fields}


async def compose(bot: BotHarness, who: Person) -> Json:
    return card_in(await bot.act(who, verbs.PICK_SENDER, {"sender": SUPPORT}))


async def preview(bot: BotHarness, who: Person, card: Json, **fields: str) -> Json:
    data = {**action(card, verbs.PREVIEW)["data"], **values(**fields)}
    return card_in(await bot.act(who, verbs.PREVIEW, data))


def resume_data(card: Json) -> dict[str, object]:
    return dict(action(card, verbs.RESUME_DRAFT)["data"])


async def test_a_half_filled_form_is_listed_and_resumes_with_what_was_typed(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    form = await compose(bot, adele)
    await preview(bot, adele, form, to="not an address", var_customer_name="Johanna")
    # The page is reloaded: the cards are gone, the draft is not.
    listed = card_in(await bot.say(adele, "/drafts"))
    text = text_of(listed)
    assert CATALOG.get("ticket-reply").title in text
    assert "not previewed yet" in text
    assert SUPPORT in text
    resumed = card_in(await bot.act(adele, verbs.RESUME_DRAFT, resume_data(listed)))
    fields = inputs(resumed)
    assert fields["to"]["value"] == "not an address"
    assert fields["var_customer_name"]["value"] == "Johanna"
    assert verbs.PREVIEW in {a.get("verb") for a in actions_of(resumed)}


async def test_a_preview_that_was_not_sent_resumes_as_that_preview(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    shown = await preview(bot, adele, await compose(bot, adele), to=JOHANNA)
    request_id = action(shown, verbs.SEND)["data"]["request"]
    listed = card_in(await bot.say(adele, "/drafts"))
    assert "previewed, not sent" in text_of(listed)
    resumed = card_in(await bot.act(adele, verbs.RESUME_DRAFT, resume_data(listed)))
    assert "Check before sending" in text_of(resumed)
    assert action(resumed, verbs.SEND)["data"]["request"] == request_id


async def test_send_offers_the_last_unfinished_draft(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    fresh = text_of(card_in(await bot.say(adele, "/send")))
    assert "Pick up where you left off?" not in fresh
    form = await compose(bot, adele)
    await preview(bot, adele, form, to="", var_customer_name="Johanna")
    offer = card_in(await bot.say(adele, "/send"))
    assert "Pick up where you left off?" in text_of(offer)
    assert "Who do you want to send as?" in text_of(offer)  # a new email stays one click away
    assert resume_data(offer)["draft"] == action(form, verbs.PREVIEW)["data"]["draft"]


async def test_sent_cancelled_and_discarded_drafts_are_not_listed(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    sent = await preview(bot, adele, await compose(bot, adele), to=JOHANNA)
    await bot.act(adele, verbs.SEND, action(sent, verbs.SEND)["data"])
    cancelled = await compose(bot, adele)
    await bot.act(adele, verbs.COMPOSE_CANCEL, action(cancelled, verbs.COMPOSE_CANCEL)["data"])
    kept = await compose(bot, adele)
    listed = card_in(await bot.say(adele, "/drafts"))
    assert [a["data"]["draft"] for a in actions_of(listed) if a["verb"] == verbs.RESUME_DRAFT] == [
        action(kept, verbs.PREVIEW)["data"]["draft"]
    ]
    after = card_in(await bot.act(adele, verbs.DISCARD_DRAFT, resume_data(listed)))
    assert "Nothing unfinished" in text_of(after)


async def test_someone_elses_draft_is_neither_resumed_nor_discarded(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await preview(bot, adele, await compose(bot, adele), to="", var_customer_name="Johanna")
    data = resume_data(card_in(await bot.say(adele, "/drafts")))
    megan = bot.person("megan.bowen@contoso.com")
    for verb in (verbs.RESUME_DRAFT, verbs.DISCARD_DRAFT):
        answer = text_of(card_in(await bot.act(megan, verb, data)))
        assert "isn't yours" in answer
        assert "Johanna" not in answer
    assert resume_data(card_in(await bot.say(adele, "/drafts"))) == data


async def test_history_offers_to_view_the_message_and_send_it_again(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    shown = await preview(bot, adele, await compose(bot, adele), to=JOHANNA)
    request_id = str(action(shown, verbs.SEND)["data"]["request"])
    await bot.act(adele, verbs.SEND, action(shown, verbs.SEND)["data"])
    for _ in range(200):
        if (await bot.services.store.get_request(request_id)).state is SendState.SENT:
            break
        await asyncio.sleep(0.05)
    history = card_in(await bot.say(adele, "/history"))
    assert inputs(history)["request"]["value"] == request_id  # the newest is chosen
    details = card_in(await bot.act(adele, verbs.STATUS, {"request": request_id}))
    view = next(a for a in details["actions"] if a["title"] == "View")
    parts = urlsplit(str(view["url"]))
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{bot.url}{parts.path}?{parts.query}")
    stored = await bot.services.store.get_request(request_id)
    assert page.status_code == 200
    assert stored.content is not None
    assert page.text == stored.content.html

    assert action(details, verbs.SEND_AGAIN)["data"] == {"request": request_id}
    chosen = {**action(history, verbs.SEND_AGAIN)["data"], "request": request_id}
    again = card_in(await bot.act(adele, verbs.SEND_AGAIN, chosen))
    fields = inputs(again)
    assert fields["to"]["value"] == JOHANNA
    assert verbs.PREVIEW in {a.get("verb") for a in actions_of(again)}
    assert (await bot.services.store.get_request(request_id)).state is SendState.SENT
    new = await preview(bot, adele, again, to=JOHANNA)
    assert action(new, verbs.SEND)["data"]["request"] != request_id


async def test_sending_again_someone_elses_request_is_refused(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    shown = await preview(bot, adele, await compose(bot, adele), to=JOHANNA)
    megan = bot.person("megan.bowen@contoso.com")
    ref = {"request": action(shown, verbs.SEND)["data"]["request"]}
    answer = text_of(card_in(await bot.act(megan, verbs.SEND_AGAIN, ref)))
    assert "isn't yours" in answer
