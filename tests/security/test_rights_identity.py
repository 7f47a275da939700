"""Rights are matched by identity, never by display name, and rights held through a group
count — in application mode, where Mailroom's check is the only one. Against a tenant of
their own (tests/support/rights_tenant.toml): two people called Jordan Lee, only one of
them holding the rights; Send As and Full Access granted to a group with a nested group."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.send_request import SendState
from bot.flow.guard import DecisionGuard
from cards import verbs
from emulator.testing import RunningEmulator, running_emulator
from tests.reliability.figures import Figures
from tests.security.helpers import mail_submissions, preview, settle_outbox
from tests.support.botapp import BotHarness, action, card_in, running_bot, settings_for, text_of

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "support" / "rights_tenant.toml"
POLICY = """
internal_domains = ["fabrikam.com"]

[[senders]]
address = "dana.director@fabrikam.com"
display_name = "Dana Director"
kind = "send_as"
mode = "application"
templates = ["on-behalf-note"]

[[senders]]
address = "pat.owner@fabrikam.com"
display_name = "Pat Owner"
kind = "send_on_behalf"
mode = "application"
templates = ["on-behalf-note"]

[[senders]]
address = "escalations@fabrikam.com"
display_name = "Fabrikam Escalations"
kind = "shared"
mode = "application"
templates = ["ticket-reply"]
"""
JORDAN = "jordan.lee@fabrikam.com"
NAMESAKE = "jordan.lee2@fabrikam.com"  # also displayed as "Jordan Lee"
KIM = "kim.akers@fabrikam.com"  # in Escalations Team
NESTOR = "nestor.wilke@fabrikam.com"  # in Night Shift, which is in Escalations Team
OMAR = "omar.bennett@fabrikam.com"  # in neither
TO = "omar.bennett@fabrikam.com"


@pytest.fixture(scope="module")
def fabrikam() -> Iterator[RunningEmulator]:
    with running_emulator(seed=SEED) as emu:
        yield emu


@pytest.fixture
async def bot(fabrikam: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    fabrikam.control.reset()
    fabrikam.control.set_move_delay(0)  # as the shared fixture: Inboxes can be read at once
    policy = tmp_path / "mailroom.toml"
    policy.write_text(POLICY, encoding="utf-8")
    async with running_bot(settings_for(fabrikam, tmp_path, policy=policy), fabrikam) as harness:
        yield harness


async def pick(bot: BotHarness, upn: str, sender: str) -> str:
    who = bot.person(upn)
    await bot.say(who, "/send")
    return text_of(card_in(await bot.act(who, verbs.PICK_SENDER, {"sender": sender})))


async def send(bot: BotHarness, upn: str, sender: str, template: str) -> str:
    """Preview and send; the request's final state."""
    who = bot.person(upn)
    card: dict[str, Any] = await preview(bot, who, sender, template, TO)
    data = action(card, verbs.SEND)["data"]
    await bot.act(who, verbs.SEND, data)
    return await settle_outbox(bot, data["request"], seconds=10)


async def why(bot: BotHarness, upn: str, sender: str) -> str:
    return text_of(card_in(await bot.say(bot.person(upn), f"/why {sender}")))


# --- identity, not display name ---------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "refusal"),
    [
        ("dana.director@fabrikam.com", "You can't send as dana.director@fabrikam.com"),
        ("pat.owner@fabrikam.com", "You can't send on behalf of pat.owner@fabrikam.com"),
    ],
)
async def test_of_two_people_with_the_same_display_name_only_the_right_holder_can_send(
    bot: BotHarness, figures: Figures, sender: str, refusal: str
) -> None:
    """Pat's GrantSendOnBehalfTo names Jordan by his older recipient Name, "Jordan Lee" —
    which is also the other Jordan's display name."""
    refused = await pick(bot, NAMESAKE, sender)
    figures.attack("authorisation", refused=refusal in refused)
    assert refusal in refused
    assert mail_submissions(bot.emulator) == []

    assert await send(bot, JORDAN, sender, "on-behalf-note") == SendState.SENT
    assert len(mail_submissions(bot.emulator)) == 1
    assert len(bot.emulator.control.mailbox(TO, "inbox")) == 1


# --- rights held through a group --------------------------------------------------------


@pytest.mark.parametrize("member", [KIM, NESTOR])
async def test_send_as_given_to_a_group_lets_its_members_send_and_names_the_group(
    bot: BotHarness, member: str
) -> None:
    shown = await why(bot, member, "escalations")

    assert "you can send from escalations@fabrikam.com" in shown
    assert "you hold Full Access through the group Escalations Team" in shown
    assert "you hold Send As through the group Escalations Team" in shown
    assert await send(bot, member, "escalations@fabrikam.com", "ticket-reply") == SendState.SENT


async def test_send_as_given_to_a_group_refuses_everyone_outside_it(
    bot: BotHarness, figures: Figures
) -> None:
    refused = await pick(bot, OMAR, "escalations@fabrikam.com")

    figures.attack("authorisation", refused="You need Full Access" in refused)
    assert "You need Full Access to escalations@fabrikam.com" in refused
    assert mail_submissions(bot.emulator) == []


async def test_leaving_the_group_takes_the_right_away_at_the_next_fresh_decision(
    bot: BotHarness,
) -> None:
    kim = bot.person(KIM)
    card = await preview(bot, kim, "escalations@fabrikam.com", "ticket-reply", TO)
    request = await bot.services.store.get_request(action(card, verbs.SEND)["data"]["request"])
    bot.emulator.control.set_group_members("c1111111-1111-4111-8111-111111111111", [])

    verdict = await DecisionGuard(bot.services.flow).check(request)

    assert (verdict.allowed, verdict.explanation_key) == (False, "missing_full_access")


# --- rights = "policy": Mailroom's groups decide, Exchange is not asked --------------------

POLICY_DECIDES = """
internal_domains = ["fabrikam.com"]

[[senders]]
address = "escalations@fabrikam.com"
display_name = "Fabrikam Escalations"
kind = "shared"
mode = "application"
rights = "policy"
allowed_groups = ["c3333333-3333-4333-8333-333333333333"]  # Fabrikam Staff, but not Kim
templates = ["ticket-reply"]
"""


@pytest.fixture
async def policy_bot(fabrikam: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    fabrikam.control.reset()
    fabrikam.control.set_group_members("c3333333-3333-4333-8333-333333333333", [OMAR, JORDAN])
    policy = tmp_path / "mailroom.toml"
    policy.write_text(POLICY_DECIDES, encoding="utf-8")
    async with running_bot(settings_for(fabrikam, tmp_path, policy=policy), fabrikam) as harness:
        yield harness
    fabrikam.control.reset()


async def test_a_policy_decided_sender_follows_the_groups_and_never_asks_exchange(
    policy_bot: BotHarness,
) -> None:
    bot = policy_bot
    kim_refused = await pick(bot, KIM, "escalations@fabrikam.com")  # Exchange says yes
    omar_sent = await send(bot, OMAR, "escalations@fabrikam.com", "ticket-reply")  # no rights

    assert "limited to certain groups" in kim_refused
    assert omar_sent == SendState.SENT
    assert [e for e in bot.emulator.control.request_log() if "/adminapi/" in e["path"]] == []
