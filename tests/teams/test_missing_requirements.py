"""Leave out one step of the requirements statement and the flow it serves says what is
missing and how to fix it — the same item `mailroom doctor` fails (tests/bot/test_doctor.py)
— instead of "temporarily unavailable" or a fix for the wrong grant."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cards import verbs
from emulator.requirements import load_statement
from emulator.testing import RunningEmulator, start_emulator_thread
from tests.bot.doctor_support import seed_without
from tests.support.botapp import (
    BotHarness,
    action,
    actions_of,
    card_in,
    running_bot,
    settings_for,
    text_of,
)
from tests.teams.test_sender_kinds_end_to_end import CASES, Case, inputs, policy_for

STATEMENT = {r.id: r for r in load_statement()}
ADELE = "adele.vance@contoso.com"
SUPPORT = "support@contoso.com"


def case(kind: str, mode: str) -> Case:
    return next(c for c in CASES if (c.kind, c.mode) == (kind, mode))


@dataclass(frozen=True)
class Missing:
    requirement: str
    flow: Case
    says: tuple[str, ...]
    """What the answer names: the missing grant and where it is fixed."""


MISSING = [
    Missing("graph-app-user-read-all", case("shared", "application"),
            ("may not read your organisation's directory", "User.Read.All", "admin consent")),
    Missing("graph-app-groupmember-read-all", case("shared", "application"),
            ("GroupMember.Read.All",)),
    Missing("exchange-app-manage-as-app", case("shared", "application"),
            ("Exchange.ManageAsApp",)),
    Missing("exchange-app-manage-as-app-v2", case("send_on_behalf", "application"),
            ("Exchange.ManageAsAppV2",)),
    Missing("exchange-recipient-reader-role", case("shared", "application"),
            ("Exchange Recipient Administrator",)),
    Missing("exchange-rbac-mail-send", case("shared", "application"),
            ("not allowed to send from support@contoso.com", "Application Mail.Send")),
    Missing("exchange-rbac-mail-readwrite", case("shared", "application"),
            ("may not write to support@contoso.com", "Application Mail.ReadWrite")),
    Missing("exchange-scope-application-senders", case("shared", "application"),
            ("management scope that holds support@contoso.com", "CustomAttribute15")),
    Missing("graph-delegated-mail-send", case("self", "delegated"),
            ("refused to send the message for you", "delegated permission", "Mail.Send",
             "admin consent")),
    Missing("graph-delegated-mail-readwrite", case("self", "delegated"),
            ("refused to create the message for you", "delegated permission", "Mail.ReadWrite",
             "admin consent")),
    Missing("graph-delegated-mail-send-shared", case("shared", "delegated"),
            ("refused to send the message for you", "Mail.Send.Shared")),
    Missing("graph-delegated-mail-readwrite-shared", case("shared", "delegated"),
            ("refused to create the message for you", "Mail.ReadWrite.Shared")),
]  # fmt: skip


@pytest.fixture
def without(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningEmulator]:
    missing: Missing = request.param
    assert missing.requirement in STATEMENT
    running = start_emulator_thread(
        seed=seed_without(tmp_path, [missing.requirement]), state_dir=tmp_path
    )
    try:
        yield running
    finally:
        running.stop()


async def answer_to_send(bot: BotHarness, flow: Case) -> str:
    """Go as far as the flow gets: the text of the card that stopped it (or the request's
    final card after Send)."""
    who = bot.person(flow.who)
    senders = card_in(await bot.say(who, "/send"))
    picks = [a for a in actions_of(senders) if a.get("verb") == verbs.PICK_SENDER]
    pick = next((a for a in picks if a["data"].get("sender") == flow.sender), None)
    whys = [a for a in actions_of(senders) if a.get("verb") == verbs.WHY]
    why = next((a for a in whys if a["data"].get("sender") == flow.sender), None)
    if pick is None and why is not None:  # listed as not available: "Why?" says why
        return text_of(card_in(await bot.act(who, verbs.WHY, why["data"])))
    if pick is None:  # no sender list at all: the card says why
        return text_of(senders)
    compose = card_in(await bot.act(who, verbs.PICK_SENDER, pick["data"]))
    if not any(a.get("verb") == verbs.PREVIEW for a in actions_of(compose)):
        choose = action(compose, verbs.PICK_TEMPLATE)
        compose = card_in(
            await bot.act(who, verbs.PICK_TEMPLATE, {**choose["data"], "template": flow.template})
        )
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs(flow.template, to=flow.to)}
    preview = card_in(await bot.act(who, verbs.PREVIEW, data))
    send = action(preview, verbs.SEND)["data"]
    await bot.act(who, verbs.SEND, send)
    for _ in range(300):  # the worker's outcome, once it reaches the card
        final = (await bot.services.store.get_request(str(send["request"]))).is_final
        text = text_of(bot.current_card(who))
        if final and "This card updates as messages go out." not in text:
            return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"the request did not finish: {text}")


@pytest.mark.parametrize(
    ("without", "missing"),
    [pytest.param(m, m, id=m.requirement) for m in MISSING],
    indirect=["without"],
)
async def test_a_missing_requirement_is_explained_where_the_flow_stops(
    without: RunningEmulator, missing: Missing, tmp_path: Path
) -> None:
    settings = settings_for(without, tmp_path, policy=policy_for(missing.flow, tmp_path))
    async with running_bot(settings, without) as bot:
        text = await answer_to_send(bot, missing.flow)

    assert "temporarily unavailable" not in text
    for words in missing.says:
        assert words in text, text
