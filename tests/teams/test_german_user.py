"""A user whose Teams speaks German (``activity.locale`` de-DE) meets Mailroom in German from
the welcome to the sent card, including why a sender is not available to them; a colleague
whose Teams speaks English, at the same time, still meets it in English."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.schedule import DAY_NAMES
from bot.domain.send_request import SendState
from cards import verbs
from emulator.testing import RunningEmulator, start_emulator_thread
from tests.bot.doctor_support import seed_without
from tests.i18n.test_cards_in_german import FRAGMENTS
from tests.support.botapp import (
    ROOT,
    BotHarness,
    Person,
    action,
    card_in,
    running_bot,
    settings_for,
    text_of,
)
from tests.teams.sso_steps import JOHANNA, previewed
from tests.teams.test_bulk_send import bulk_preview
from tests.teams.test_everyday_use import SUPPORT, samples, state_becomes

Json = dict[str, Any]
BERLIN = "Europe/Berlin"


def german(bot: BotHarness, upn: str) -> Person:
    return replace(bot.person(upn), locale="de-DE")


async def welcome_of(bot: BotHarness, who: Person) -> str:
    before = len(bot.replies(who))
    response = await bot.post(bot.activity(who, type="installationUpdate", action="add"))
    assert response.status_code in (200, 202), response.text
    for _ in range(100):
        if len(bot.replies(who)) > before:
            return text_of(card_in(bot.replies(who)[-1]))
        await asyncio.sleep(0.05)
    raise AssertionError("no welcome")


async def test_a_german_user_sends_an_email_in_german_end_to_end(bot: BotHarness) -> None:
    adele = german(bot, "adele.vance@contoso.com")
    welcome = await welcome_of(bot, adele)
    assert "Willkommen bei Mailroom, Adele Vance" in welcome
    assert "„Senden als“ oder „Senden im Auftrag von“" in welcome
    assert "E-Mail senden" in welcome

    senders = card_in(await bot.say(adele, "/send"))
    assert "Als wer möchten Sie senden?" in text_of(senders)
    assert "Freigegebene Postfächer" in text_of(senders)
    # The From line as German Outlook shows a send on behalf.
    assert "Adele Vance im Auftrag von Megan Bowen <megan.bowen@contoso.com>" in text_of(senders)

    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": SUPPORT}))
    shown = text_of(compose)
    assert "Neue E-Mail" in shown
    assert action(compose, verbs.PREVIEW)["title"] == "Vorschau"
    assert "Wichtigkeit" in shown

    data = {**action(compose, verbs.PREVIEW)["data"], **samples("ticket-reply", to="a@contoso.com")}
    preview = card_in(await bot.act(adele, verbs.PREVIEW, data))
    assert "Betreff" in text_of(preview)
    send = action(preview, verbs.SEND)
    assert send["title"] == "Senden"
    assert action(preview, verbs.EDIT)["title"] == "Bearbeiten"

    sending = card_in(await bot.act(adele, verbs.SEND, send["data"]))
    assert "Wird gesendet…" in text_of(sending) or "Gesendet" in text_of(sending)
    await state_becomes(bot, str(send["data"]["request"]), SendState.SENT)
    for _ in range(100):  # the card is updated in place once the message is out
        final = text_of(bot.current_card(adele))
        if final.startswith("Gesendet"):
            break
        await asyncio.sleep(0.05)
    assert final.startswith("Gesendet"), final
    assert "Sent" not in final
    status = text_of(card_in(await bot.say(adele, f"/status {send['data']['request']}")))
    assert re.search(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}", status), status  # a German date


async def test_a_german_user_is_told_in_german_why_a_sender_is_not_theirs(
    bot: BotHarness,
) -> None:
    adele = german(bot, "adele.vance@contoso.com")
    text = text_of(card_in(await bot.say(adele, "/why hr")))
    assert "hr@contoso.com ist auf bestimmte Gruppen beschränkt" in text
    assert "So beheben Sie das Problem" in text
    assert "Wer es beheben kann" in text
    # Exchange's own names and cmdlets stay as they are inside the German sentences.
    assert "Delegierung → Senden als" in text
    assert "Add-RecipientPermission hr@contoso.com -Trustee adele.vance@contoso.com" in text
    assert "How to fix it" not in text


async def test_a_german_and_an_english_user_at_once_each_get_their_own_language(
    bot: BotHarness,
) -> None:
    adele = german(bot, "adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")  # en-GB
    answers = await asyncio.gather(
        *(bot.say(who, "/help") for who in (adele, megan, adele, megan, adele, megan))
    )
    texts = [text_of(card_in(a)) for a in answers]
    assert ["Befehle" in text for text in texts] == [True, False] * 3
    assert ["Commands" in text for text in texts] == [False, True] * 3


async def test_a_german_approver_gets_the_approval_card_in_german(bot: BotHarness) -> None:
    from tests.teams.test_approvals import approval_card_of, request_approval

    megan = german(bot, "megan.bowen@contoso.com")
    await bot.say(megan, "/help")  # Megan's chat (and language) is known to Mailroom
    adele = bot.person("adele.vance@contoso.com")  # the requester speaks English
    mine = await request_approval(bot, adele, approvers_opened=False)
    assert "Waiting for approval" in text_of(mine)
    card = approval_card_of(bot, megan)
    shown = text_of(card)
    assert "Genehmigung erforderlich" in shown
    assert action(card, verbs.APPROVE)["title"] == "Genehmigen"
    assert "Approval needed" not in shown


async def test_without_a_locale_the_client_info_entity_names_the_language(
    bot: BotHarness,
) -> None:
    adele = replace(bot.person("adele.vance@contoso.com"), locale=None)
    client = {"entities": [{"type": "clientInfo", "locale": "de-DE"}]}
    assert "Befehle" in text_of(card_in(await bot.say(adele, "/help", extra=client)))
    assert "Commands" in text_of(card_in(await bot.say(adele, "/help")))


async def test_a_german_user_sees_the_forms_problems_in_german(bot: BotHarness) -> None:
    adele = german(bot, "adele.vance@contoso.com")
    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": SUPPORT}))
    data = {**action(compose, verbs.PREVIEW)["data"], **samples("ticket-reply", to="")}
    again = text_of(card_in(await bot.act(adele, verbs.PREVIEW, data)))
    assert "fügen Sie mindestens einen Empfänger hinzu" in again
    assert "add at least one recipient" not in again


async def test_a_german_user_whose_sign_in_is_not_set_up_is_told_all_of_it_in_german(
    tmp_path: Path,
) -> None:
    """The tenant's app registration has no Application ID URI (AADSTS500011): the card's
    sentence and the statement's step it names are German, the portal's German names
    included; the URI itself stays as Entra writes it."""
    running = start_emulator_thread(
        seed=seed_without(tmp_path, ["teams-sso-application-id-uri"]), state_dir=tmp_path
    )
    try:
        settings = settings_for(running, tmp_path, dev_token_source=False, oauth_connection="sso")
        async with running_bot(settings, running) as bot:
            johanna = german(bot, JOHANNA)
            send = await previewed(bot, johanna)
            text = text_of(card_in(await bot.act(johanna, verbs.SEND, send)))
            app_id = bot.emulator.bot_app.client_id
    finally:
        running.stop()

    assert "Die Anmeldung bei Mailroom ist nicht eingerichtet" in text, text
    assert "AADSTS500011" in text
    assert "Es fehlt: die Anwendungs-ID-URI" in text
    assert "App-Registrierungen → Mailroom → API verfügbar machen → Anwendungs-ID-URI" in text
    assert f"api://botid-{app_id}" in text
    assert "Expose an API" not in text
    assert "App registrations" not in text
    assert [fragment for fragment in FRAGMENTS if fragment in text] == []


def windowed_policy(folder: Path, days: str) -> Path:
    """The example policy with a send window on support@contoso.com open only on ``days``."""
    text = (ROOT / "mailroom.example.toml").read_text(encoding="utf-8")
    anchor = 'templates = ["ticket-reply"]\n'
    assert text.count(anchor) == 1
    window = f'[senders.window]\ndays = "{days}"\nfrom = "08:00"\nto = "18:00"\nzone = "{BERLIN}"\n'
    path = folder / "policy.toml"
    path.write_text(text.replace(anchor, anchor + window), encoding="utf-8")
    return path


async def test_a_german_user_reads_the_send_window_in_german(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A bulk send held by its sender's window: the progress card names the window's days
    and times as German writes them. The window is open only on yesterday's weekday, so it
    is closed now and for six days to come, whenever the test runs."""
    yesterday = (datetime.now(ZoneInfo(BERLIN)) - timedelta(days=1)).weekday()
    policy = windowed_policy(tmp_path, DAY_NAMES[yesterday])
    async with running_bot(settings_for(emulator, tmp_path, policy=policy), emulator) as bot:
        adele = german(bot, "adele.vance@contoso.com")
        await bot.say(adele, "/send")  # the card the send is then updated in
        preview = await bulk_preview(bot, adele)
        send = action(preview, verbs.SEND)
        await bot.act(adele, verbs.SEND, send["data"])
        for _ in range(200):  # the worker hands the messages back and the card says why
            shown = text_of(bot.current_card(adele))
            if "Sendefenster" in shown:
                break
            await asyncio.sleep(0.05)

    day = ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So.")[yesterday]
    assert f"Außerhalb des Sendefensters des Absenders zurückgehalten ({day} 08:00–18:00" in shown
    assert f"das nächste Fenster öffnet sich {day}, " in shown, shown
    assert emulator.control.mailbox("johanna.lorenz@contoso.com", "inbox") == []
