""" "Send later" on the preview card, over HTTP: the time is read in the user's own time zone
(the client's ``localTimezone``), the card says when it goes, a time in the past or too far
ahead comes back on the card, and a scheduled send can be cancelled before it goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.schedule import resolve_pick
from bot.domain.send_request import SendState
from cards import verbs
from tests.security.helpers import preview
from tests.support.botapp import (
    BotHarness,
    Json,
    Person,
    action,
    actions_of,
    card_in,
    text_of,
)
from tests.teams.test_guided_steps import sample_inputs

BERLIN = {"localTimezone": "Europe/Berlin"}
MEGAN = "megan.bowen@contoso.com"


async def previewed(bot: BotHarness, who: Person) -> Json:
    compose = card_in(await bot.act(who, verbs.PICK_SENDER, {"sender": "support@contoso.com"}))
    data = dict(action(compose, verbs.PREVIEW)["data"])
    data |= sample_inputs("ticket-reply", to="customer@fabrikam.com")
    return card_in(await bot.act(who, verbs.PREVIEW, data))


def quick_pick(card: Json, key: str) -> Json:
    """ "Send at this time" with the quick pick ``key`` chosen in its "When" list (Teams
    merges the inputs into the action's data)."""
    return {"data": {**at_this_time(card), "pick": key}}


def at_this_time(card: Json) -> Json:
    """The data of "Send at this time" (the button without a quick pick)."""
    found = [
        a for a in actions_of(card) if a["verb"] == verbs.SEND_LATER and "pick" not in a["data"]
    ]
    assert len(found) == 1
    return dict(found[0]["data"])


def sends(bot: BotHarness) -> list[Json]:
    return [
        e
        for e in bot.emulator.control.request_log()
        if e["method"] == "POST" and e["path"].endswith(("/sendMail", "/send"))
    ]


async def test_tomorrow_at_nine_is_scheduled_in_the_users_zone(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await previewed(bot, adele)
    pick = quick_pick(preview, "tomorrow_0900")
    before = datetime.now(UTC)

    card = card_in(await bot.act(adele, verbs.SEND_LATER, pick["data"], extra=BERLIN))

    request = await bot.services.store.get_request(str(pick["data"]["request"]))
    expected = resolve_pick("tomorrow_0900", ZoneInfo("Europe/Berlin"), before)
    assert request.state is SendState.QUEUED
    assert request.send_at == expected
    assert request.send_zone == "Europe/Berlin"
    text = text_of(card)
    assert "Scheduled" in text
    assert "09:00 (Europe/Berlin)" in text
    assert sends(bot) == []


async def test_status_shows_when_a_scheduled_send_will_go(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await previewed(bot, adele)
    pick = quick_pick(preview, "monday_0900")
    await bot.act(adele, verbs.SEND_LATER, pick["data"], extra=BERLIN)

    status = text_of(card_in(await bot.say(adele, "/status")))

    assert "goes out Mon" in status
    assert "09:00 (Europe/Berlin)" in status


async def test_a_time_in_the_past_comes_back_on_the_preview(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await previewed(bot, adele)
    data = at_this_time(preview)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    data |= {"send_date": yesterday, "send_time": "09:00"}

    card = card_in(await bot.act(adele, verbs.SEND_LATER, data, extra=BERLIN))

    assert "Not scheduled: That time has passed" in text_of(card)
    action(card, verbs.SEND)  # the same preview, still ready to send
    request = await bot.services.store.get_request(str(data["request"]))
    assert request.state is SendState.DRAFT
    assert request.send_at is None


async def test_a_time_too_far_ahead_comes_back_with_the_limit(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await previewed(bot, adele)
    data = at_this_time(preview)
    later = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    data |= {"send_date": later, "send_time": "09:00"}

    card = card_in(await bot.act(adele, verbs.SEND_LATER, data, extra=BERLIN))

    assert "at most 30 days ahead" in text_of(card)
    request = await bot.services.store.get_request(str(data["request"]))
    assert request.state is SendState.DRAFT


async def test_without_a_client_zone_the_time_is_read_as_utc_and_says_so(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await previewed(bot, adele)
    pick = quick_pick(preview, "tomorrow_0900")

    card = card_in(await bot.act(adele, verbs.SEND_LATER, pick["data"]))

    assert "09:00 (UTC)" in text_of(card)


async def test_a_scheduled_send_cancelled_before_its_time_sends_nothing(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    preview = await previewed(bot, adele)
    pick = quick_pick(preview, "in_1h")
    scheduled = card_in(await bot.act(adele, verbs.SEND_LATER, pick["data"], extra=BERLIN))
    cancel = action(scheduled, verbs.CANCEL)

    card = card_in(await bot.act(adele, verbs.CANCEL, cancel["data"]))

    request = await bot.services.store.get_request(str(pick["data"]["request"]))
    assert request.state is SendState.CANCELLED
    assert "cancelled" in text_of(card).lower()
    jobs = await bot.services.store.list_jobs(request.id)
    assert {str(j.state) for j in jobs} == {"cancelled"}
    assert sends(bot) == []


async def test_a_sender_using_the_users_own_sign_in_offers_no_send_later(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    shown = await preview(bot, adele, "adele.vance@contoso.com", "ticket-reply", MEGAN)
    assert [a for a in actions_of(shown) if a["verb"] == verbs.SEND_LATER] == []
    forged = {**action(shown, verbs.SEND)["data"], "pick": "tomorrow_0900"}

    card = card_in(await bot.act(adele, verbs.SEND_LATER, forged, extra=BERLIN))

    assert "Not scheduled: this sender sends with your own sign-in" in text_of(card)
    request = await bot.services.store.get_request(str(forged["request"]))
    assert (request.state, request.send_at) == (SendState.DRAFT, None)
