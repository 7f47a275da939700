"""Entra ID, Graph and Exchange down, or slow past every deadline, while people use the bot:
each step answers with a "temporarily unavailable" card (or, for an application-mode sender
whose rights Exchange cannot confirm, the card saying so), nothing is sent, and the same
process serves normally once the dependency is back.

Deadlines are short here (tests/reliability/botrun.py ``SHORT``); production's are longer
(docs/reliability.md says by how much and what that means inside Teams' 15 s).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from cards import verbs
from emulator.testing import RunningEmulator
from tests.reliability.botrun import running_bot
from tests.reliability.figures import Figures
from tests.security.helpers import ADELE, JOHANNA, mail_submissions, preview, settle_outbox
from tests.support.botapp import BotHarness, action, card_in, settings_for, text_of

UNAVAILABLE = "Mailroom is temporarily unavailable"
UNVERIFIED = "could not be checked"


@dataclass(frozen=True)
class Fault:
    service: str
    method: str
    path: str
    kind: str
    status: int | None = None
    delay: float | None = None

    @property
    def name(self) -> str:
        return f"{self.service}:{self.kind}"


ENTRA = "/*/oauth2/v2.0/token"
GRAPH = "/v1.0/*"
EXCHANGE = "/adminapi/*"

# Down (an error answer, a dropped connection) and slow (past the read deadline).
FAULTS = [
    Fault("entra", "POST", ENTRA, "error", status=503),
    Fault("entra", "POST", ENTRA, "delay", delay=3),
    Fault("entra", "POST", ENTRA, "drop_before_accept"),
    Fault("graph", "*", GRAPH, "error", status=503),
    Fault("graph", "*", GRAPH, "delay", delay=3),
    Fault("graph", "*", GRAPH, "drop_before_accept"),
    Fault("graph", "*", GRAPH, "throttle"),
    Fault("exchange", "POST", EXCHANGE, "error", status=503),
    Fault("exchange", "POST", EXCHANGE, "delay", delay=3),
    Fault("exchange", "POST", EXCHANGE, "drop_before_accept"),
]


def arm(emulator: RunningEmulator, fault: Fault, figures: Figures) -> None:
    emulator.control.add_fault(
        fault.method,
        fault.path,
        fault.kind,
        count=10_000,
        status=fault.status,
        delay=fault.delay,
        retry_after=60 if fault.kind == "throttle" else None,  # past every deadline
    )
    figures.fault(fault.name)


async def pick_support(bot: BotHarness) -> str:
    adele = bot.person(ADELE)
    return text_of(
        card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": "support@contoso.com"}))
    )


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_a_dependency_down_or_slow_gets_a_clear_card_and_recovers_without_a_restart(
    emulator: RunningEmulator, tmp_path: Path, figures: Figures, fault: Fault
) -> None:
    async with running_bot(settings_for(emulator, tmp_path), emulator) as bot:
        adele = bot.person(ADELE)
        arm(emulator, fault, figures)  # before the first call: every cache is cold
        await bot.say(adele, "/help")  # needs nothing outside: answered all the same
        during = await pick_support(bot)
        expected = UNVERIFIED if fault.service == "exchange" else UNAVAILABLE
        assert expected in during, during[:300]
        assert mail_submissions(emulator) == []

        emulator.control.clear_faults()
        after = await recovered(bot)
        figures.recoveries[fault.service] += int("New email" in after)
        assert "New email" in after, after[:300]


async def recovered(bot: BotHarness, within: float = 10.0) -> str:
    """The compose card once the dependency is back. msal, by Microsoft's throttling rules,
    replays a 5xx from the token endpoint for 5 s (or its Retry-After) before asking again:
    so "back" may take a few seconds to show, never a restart."""
    shown = ""
    for _ in range(int(within / 0.5)):
        shown = await pick_support(bot)
        if "New email" in shown:
            break
        await asyncio.sleep(0.5)
    return shown


async def test_a_send_queued_while_graph_is_down_goes_out_once_when_it_is_back(
    emulator: RunningEmulator, tmp_path: Path, figures: Figures
) -> None:
    """The outbox keeps the message through the outage (the send answering 503 with a short
    Retry-After) and sends it exactly once afterwards."""
    async with running_bot(settings_for(emulator, tmp_path), emulator) as bot:
        adele = bot.person(ADELE)
        card = await preview(bot, adele, "support@contoso.com", "ticket-reply", JOHANNA)
        emulator.control.add_fault("POST", "*/messages/*/send", "error", count=1, status=503,
                                   retry_after=0.2)  # fmt: skip
        figures.fault("graph:send error")
        data = action(card, verbs.SEND)["data"]
        await bot.act(adele, verbs.SEND, data)
        state = await settle_outbox(bot, data["request"], seconds=15)
        await asyncio.sleep(0.3)
        delivered = len(emulator.control.mailbox(JOHANNA, "inbox"))
        figures.mail(queued=1, delivered=delivered, lost=1 - min(delivered, 1),
                     duplicates=max(0, delivered - 1))  # fmt: skip
        assert state == "sent"
        assert delivered == 1
