""" "Request approval" answers promptly however slow reaching an approver is: the approvers
are reached side by side, a slow one after the answer, and the requester's card then says
who got it in Teams and who could not be reached. Approvers a stopped process left untold
are taken over by the remind chore, once."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.flow.approvals import Requested
from cards import verbs
from emulator.state import TeamsApps
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, action, card_in, running_bot, settings_for, text_of
from tests.teams.test_approvals import APPROVERS_GROUP, preview_needing_approval
from tests.teams.test_reaching_approvers import approval_cards

MEGAN, DIEGO, ALEX = (
    "megan.bowen@contoso.com",
    "diego.siciliani@contoso.com",
    "alex.wilber@contoso.com",
)


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    settings = settings_for(emulator, tmp_path, teams_app_id=TeamsApps.catalog_id)
    async with running_bot(settings, emulator) as harness:
        harness.emulator.control.set_group_members(APPROVERS_GROUP, [MEGAN, DIEGO, ALEX])
        yield harness


def posts_to(bot: BotHarness, pattern: str) -> int:
    log = bot.emulator.control.request_log()
    return sum(1 for e in log if e["method"] == "POST" and fnmatch.fnmatch(e["path"], pattern))


def in_teams(shown: str) -> set[str]:
    line = next(t for t in shown.splitlines() if t.startswith("Got this card in Teams: "))
    return set(line.removeprefix("Got this card in Teams: ").split(", "))


async def card_when(bot: BotHarness, who: str, done: Any) -> dict[str, Any]:
    """The requester's card once ``done(text)`` holds (bounded)."""
    for _ in range(400):
        card = bot.current_card(bot.person(who))
        if done(text_of(card)):
            return card
        await asyncio.sleep(0.05)
    raise AssertionError(f"the card never got there: {text_of(card)}")


async def test_a_chat_that_no_longer_answers_does_not_hold_up_the_click(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    diego = bot.person(DIEGO)
    for name in (MEGAN, DIEGO):  # they opened Mailroom: it has their chats; Alex never did
        await bot.say(bot.person(name), "/help")
    # Diego's chat answers 502 to every attempt: the notifier retries it with backoff
    # (at least 0.5 + 1 + 2 s before its fourth and last attempt).
    failing = f"/v3/conversations/a:personal-{diego.oid}/activities*"
    bot.emulator.control.add_fault("POST", failing, "error", count=4, status=502, code="BadGateway")
    before = posts_to(bot, failing)  # the replies to his /help
    preview = await preview_needing_approval(bot, adele)
    answer = card_in(
        await bot.act(
            adele, verbs.REQUEST_APPROVAL, action(preview, verbs.REQUEST_APPROVAL)["data"]
        )
    )
    # Answered while Diego's chat was still being retried.
    assert posts_to(bot, failing) - before < 4
    assert bot.emulator.control.faults()[0]["remaining"] > 0
    shown = text_of(answer)
    assert "Waiting for approval" in shown
    assert "Asking 1 approver…" in shown or "Asking 2 approvers…" in shown
    assert "Diego" not in shown  # not given up on yet
    # Once his retries ran out, the requester's card says who was reached how.
    final = text_of(await card_when(bot, adele.upn, lambda t: "Asking" not in t and "Diego" in t))
    assert posts_to(bot, failing) - before == 4
    assert in_teams(final) == {"Megan Bowen", "Alex Wilber"}
    assert "Diego Siciliani <diego.siciliani@contoso.com> — could not be reached" in final
    assert len(approval_cards(bot, MEGAN)) == 1
    assert len(approval_cards(bot, ALEX)) == 1  # installed for him, chat opened
    assert not approval_cards(bot, DIEGO)


async def test_approvers_a_stopped_process_left_untold_are_reached_by_the_chore_once(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    for name in (MEGAN, DIEGO):
        await bot.say(bot.person(name), "/help")
    preview = await preview_needing_approval(bot, adele)
    ask = action(preview, verbs.REQUEST_APPROVAL)["data"]
    services = bot.services
    # What "Request approval" stores before anyone is told, then the process is gone.
    requested = await services.approvals.request(adele.oid, ask["request"], ask["version"])
    assert isinstance(requested, Requested)
    for approver in requested.approvers:
        await services.store.record_reach(requested.request.id, approver.oid, "pending")
    assert services.worker is not None
    now = datetime.now(UTC)
    await services.worker.remind(now)  # still fresh: whoever is telling them may be at it
    assert not approval_cards(bot, MEGAN)
    await services.worker.remind(now + timedelta(minutes=6))
    for name in (MEGAN, DIEGO, ALEX):
        assert len(approval_cards(bot, name)) == 1, name
    reach = await services.store.list_reach(requested.request.id)
    assert sorted(reach.values()) == ["chat", "chat", "installed"]
    await services.worker.remind(now + timedelta(minutes=20))  # told: not again
    for name in (MEGAN, DIEGO, ALEX):
        assert len(approval_cards(bot, name)) == 1, name
