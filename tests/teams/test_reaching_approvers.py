"""Every approver gets the request, whether or not they ever opened Mailroom: installed for
them through Graph and a chat opened with createConversation, or, when the tenant refuses
the installation, an email from the no-reply sender with a link that opens the request."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.domain.references import reference_of
from bot.teams.approval_email import bot_id
from cards import verbs
from emulator.state import TeamsApps
from emulator.testing import RunningEmulator
from tests.support.botapp import (
    BotHarness,
    action,
    actions_of,
    card_in,
    running_bot,
    settings_for,
    text_of,
)
from tests.teams.test_approvals import CUSTOMERS, external_count, request_approval

CATALOG_ID = TeamsApps.catalog_id


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    settings = settings_for(emulator, tmp_path, teams_app_id=CATALOG_ID)
    async with running_bot(settings, emulator) as harness:
        yield harness


def approval_cards(bot: BotHarness, upn: str) -> list[dict[str, object]]:
    cards = [card_in(r) for r in bot.replies(bot.person(upn))]
    return [c for c in cards if any(a.get("verb") == verbs.APPROVE for a in actions_of(c))]


async def test_an_approver_who_never_opened_mailroom_gets_the_card_approves_and_it_goes_once(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    megan = bot.person("megan.bowen@contoso.com")
    assert megan.oid not in bot.emulator.control.teams_apps()["installed"]
    mine = await request_approval(bot, adele, approvers_opened=False)
    assert megan.oid in bot.emulator.control.teams_apps()["installed"]  # installed for her
    cards = approval_cards(bot, "megan.bowen@contoso.com")
    assert len(cards) == 1  # in her 1:1 chat, opened by createConversation
    data = {**action(cards[0], verbs.APPROVE)["data"], "comment": "Fine by me"}
    await bot.act(megan, verbs.APPROVE, data)
    assert await external_count(bot, len(CUSTOMERS)) == len(CUSTOMERS)  # sent once
    shown = str(bot.current_card(adele))
    assert "Approved by Megan Bowen at " in shown
    assert "Fine by me" in shown
    assert "did not get this card" not in str(mine)


async def test_a_refused_installation_emails_the_approver_a_link_and_the_request_says_so(
    bot: BotHarness,
) -> None:
    bot.emulator.control.teams_apps(install_blocked=True)
    adele = bot.person("adele.vance@contoso.com")
    card = await request_approval(bot, adele, approvers_opened=False)
    mine = text_of(card)
    assert not approval_cards(bot, "megan.bowen@contoso.com")
    assert "did not get this card in Teams" in mine
    assert "Megan Bowen <megan.bowen@contoso.com> — emailed a link instead" in mine
    inbox = bot.emulator.control.mailbox("megan.bowen@contoso.com", "Inbox")
    mails = [m for m in inbox if str(m.get("subject", "")).startswith("Approval needed:")]
    assert len(mails) == 1
    body = str(mails[0]["body"]["content"])
    assert f"https://teams.microsoft.com/l/app/{CATALOG_ID}?tenantId=" in body
    request_id = action(card, verbs.CANCEL)["data"]["request"]
    # The request's link: her 1:1 chat with the bot (Teams named it 28:… in Adele's chat),
    # /status of the request typed in.
    link = urlsplit(html.unescape(links_in(body)[0]))
    assert (link.scheme, link.netloc, link.path) == ("https", "teams.microsoft.com", "/l/chat/0/0")
    query = parse_qs(link.query)
    assert query["users"] == ["28:mailroom"]
    assert query["tenantId"] == [bot.emulator.tenant_id]
    assert query["message"] == [f"/status {reference_of(request_id)}"]
    # Sent as typed, it opens her approver card.
    megan = bot.person("megan.bowen@contoso.com")
    opened = card_in(await bot.say(megan, query["message"][0]))
    assert {verbs.APPROVE, verbs.REJECT} <= {a["verb"] for a in actions_of(opened)}
    assert action(opened, verbs.APPROVE)["data"]["request"] == request_id


def links_in(body: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', body)


def test_the_link_names_the_bot_by_its_app_id_when_one_is_configured() -> None:
    app_id = "0f9c4e7a-2b1d-4c3e-8f5a-6d7e8f9a0b1c"
    assert bot_id(app_id, {"bot": {"id": "28:other"}}) == f"28:{app_id}"
    assert bot_id(None, {"bot": {"id": "28:mailroom"}}) == "28:mailroom"
    assert bot_id(None, {"bot": {"id": "mailroom"}}) is None  # not a Teams bot id: no link
