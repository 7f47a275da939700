"""From /send to the delivered mail, one test per sender kind, through the real bot, the
outbox worker and the emulator's Exchange rules."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cards import verbs
from emulator.requirements import app_grants, load_statement
from emulator.seed import DEMO_SEED
from emulator.testing import RunningEmulator, start_emulator_thread
from tests.support.botapp import (
    BotHarness,
    Person,
    action,
    card_in,
    running_bot,
    settings_for,
    text_of,
)
from tests.support.templates import shipped_catalog

ROOT = Path(__file__).resolve().parents[2]
CATALOG = shipped_catalog()
STATEMENT = load_statement()
JOHANNA = "johanna.lorenz@contoso.com"
ADELE = "adele.vance@contoso.com"
ALEX = "alex.wilber@contoso.com"
MEGAN = "megan.bowen@contoso.com"
LYNNE = "lynne.robbins@contoso.com"
EVENTS = "events@contoso.com"
SUPPORT = "support@contoso.com"
NOREPLY = "noreply@contoso.com"


def inputs(template: str, **fields: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get(template).sample_values().items()}
    return {**values, **fields}


async def send_through_cards(
    bot: BotHarness, who: Person, sender: str, template: str, to: str
) -> dict[str, Any]:
    """Sender card → compose → preview → Send; returns the preview card."""
    senders = card_in(await bot.say(who, "/send"))
    pick = action(senders, verbs.PICK_SENDER, sender=sender)
    compose = card_in(await bot.act(who, verbs.PICK_SENDER, pick["data"]))
    if not any(a.get("verb") == verbs.PREVIEW for a in _actions(compose)):
        choose = action(compose, verbs.PICK_TEMPLATE)
        compose = card_in(
            await bot.act(who, verbs.PICK_TEMPLATE, {**choose["data"], "template": template})
        )
    data = {**action(compose, verbs.PREVIEW)["data"], **inputs(template, to=to)}
    preview = card_in(await bot.act(who, verbs.PREVIEW, data))
    sending = card_in(await bot.act(who, verbs.SEND, action(preview, verbs.SEND)["data"]))
    assert "Sending" in text_of(sending)
    return preview


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    from tests.support.botapp import actions_of

    return actions_of(card)


async def delivered(bot: BotHarness, mailbox: str, count: int = 1) -> list[dict[str, Any]]:
    for _ in range(200):
        inbox = bot.emulator.control.mailbox(mailbox, "inbox")
        if len(inbox) >= count:
            return inbox
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing delivered to {mailbox}")


def address(field: dict[str, Any] | None) -> str:
    assert field is not None
    return str(field["emailAddress"]["address"]).lower()


async def test_self_send_lands_in_the_users_sent_items(bot: BotHarness) -> None:
    johanna = bot.person("johanna.lorenz@contoso.com")
    await send_through_cards(
        bot, johanna, "johanna.lorenz@contoso.com", "ticket-reply", "adele.vance@contoso.com"
    )
    (mail,) = await delivered(bot, "adele.vance@contoso.com")
    assert address(mail["from"]) == "johanna.lorenz@contoso.com"
    assert len(bot.emulator.control.mailbox("johanna.lorenz@contoso.com", "sentitems")) == 1


async def test_send_as_recipient_sees_only_the_mailbox(bot: BotHarness) -> None:
    megan = bot.person("megan.bowen@contoso.com")
    await send_through_cards(
        bot, megan, "events@contoso.com", "on-behalf-note", "alex.wilber@contoso.com"
    )
    (mail,) = await delivered(bot, "alex.wilber@contoso.com")
    assert address(mail["from"]) == "events@contoso.com"
    assert address(mail["sender"]) == "events@contoso.com"


async def test_send_on_behalf_says_so_and_the_assistant_is_the_sender(bot: BotHarness) -> None:
    lynne = bot.person("lynne.robbins@contoso.com")
    preview = await send_through_cards(
        bot, lynne, "megan.bowen@contoso.com", "on-behalf-note", "johanna.lorenz@contoso.com"
    )
    assert "Lynne Robbins on behalf of Megan Bowen <megan.bowen@contoso.com>" in text_of(preview)
    (mail,) = await delivered(bot, "johanna.lorenz@contoso.com")
    assert address(mail["from"]) == "megan.bowen@contoso.com"
    assert address(mail["sender"]) == "lynne.robbins@contoso.com"


async def test_shared_mailbox_copy_lands_in_its_sent_items(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await send_through_cards(
        bot, adele, "support@contoso.com", "ticket-reply", "johanna.lorenz@contoso.com"
    )
    (mail,) = await delivered(bot, "johanna.lorenz@contoso.com")
    assert address(mail["from"]) == "support@contoso.com"
    assert len(bot.emulator.control.mailbox("support@contoso.com", "sentitems")) == 1
    assert bot.emulator.control.mailbox("adele.vance@contoso.com", "sentitems") == []


async def test_noreply_mail_carries_the_footer_in_html_and_text(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    await send_through_cards(
        bot, adele, "noreply@contoso.com", "outage-notice", "johanna.lorenz@contoso.com"
    )
    (mail,) = await delivered(bot, "johanna.lorenz@contoso.com")
    assert address(mail["from"]) == "noreply@contoso.com"
    body = str(mail["body"]["content"])
    assert "unmonitored mailbox" in body


# --- every sender kind in both modes, in a tenant set up from the requirements statement ---

MARK = 'custom_attributes = { 15 = "mailroom-app-sender" }'
APP_SENDERS_SCOPE = next(r for r in STATEMENT if r.kind == "management_scope")


@dataclass(frozen=True)
class Case:
    kind: str
    mode: str
    who: str
    sender: str
    template: str
    to: str
    url_mailbox: str
    """The mailbox in the URL of an application-mode send: what the RBAC scope must hold."""


CASES = [
    Case("self", "delegated", JOHANNA, JOHANNA, "ticket-reply", ADELE, JOHANNA),
    Case("self", "application", JOHANNA, JOHANNA, "ticket-reply", ADELE, JOHANNA),
    Case("send_as", "delegated", MEGAN, EVENTS, "on-behalf-note", ALEX, EVENTS),
    Case("send_as", "application", MEGAN, EVENTS, "on-behalf-note", ALEX, EVENTS),
    Case("send_on_behalf", "delegated", LYNNE, MEGAN, "on-behalf-note", JOHANNA, LYNNE),
    Case("send_on_behalf", "application", LYNNE, MEGAN, "on-behalf-note", JOHANNA, LYNNE),
    Case("shared", "delegated", ADELE, SUPPORT, "ticket-reply", JOHANNA, SUPPORT),
    Case("shared", "application", ADELE, SUPPORT, "ticket-reply", JOHANNA, SUPPORT),
    # A noreply sender has no person behind it: application mode only (docs/policy.md).
    Case("noreply", "application", ADELE, NOREPLY, "outage-notice", JOHANNA, NOREPLY),
]


def statement_tenant(folder: Path) -> Path:
    """The demo tenant as docs/deploy.md has an admin set it up: Mailroom's app built from the
    requirements statement alone (``requirements = "mailroom"``, no grant of its own), and
    every mailbox an application-mode send names in its URL marked for the statement's
    management scope (its fix: Set-Mailbox … -CustomAttribute15)."""
    assert "CustomAttribute15 -eq 'mailroom-app-sender'" in str(APP_SENDERS_SCOPE.filter)
    text = DEMO_SEED.read_text(encoding="utf-8")
    assert text.count('requirements = "mailroom"') == 1
    for line in (f'upn = "{JOHANNA}"', f'upn = "{LYNNE}"', f'address = "{EVENTS}"'):
        assert text.count(line) == 1
        text = text.replace(line, f"{line}\n{MARK}")
    path = folder / "statement-tenant.toml"
    path.write_text(text, encoding="utf-8")
    return path


def policy_for(case: Case, folder: Path) -> Path:
    """mailroom.example.toml with the case's sender in the case's mode."""
    text = (ROOT / "mailroom.example.toml").read_text(encoding="utf-8")
    if case.kind == "self":
        text = text.replace('[self]\nmode = "delegated"', f'[self]\nmode = "{case.mode}"')
    else:
        start = text.index(f'address = "{case.sender}"')
        end = text.find("[[senders]]", start)
        end = len(text) if end < 0 else end
        block = re.sub(r'mode = "\w+"', f'mode = "{case.mode}"', text[start:end], count=1)
        text = text[:start] + block + text[end:]
    path = folder / "mailroom.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def statement_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    folder = tmp_path_factory.mktemp("statement-tenant")
    running = start_emulator_thread(seed=statement_tenant(folder), state_dir=folder)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}-{c.mode}" for c in CASES])
async def test_every_sender_kind_sends_in_both_modes_in_a_tenant_built_from_the_statement(
    statement_emulator: RunningEmulator, case: Case, tmp_path: Path
) -> None:
    emulator = statement_emulator
    emulator.control.reset()
    emulator.control.set_move_delay(0)  # as the shared fixture: Inboxes can be read at once
    mailroom = emulator.bot_app
    granted = app_grants(STATEMENT, mailroom.client_id)
    assert mailroom.application_permissions == set(granted["application_permissions"])
    assert mailroom.delegated_permissions == set(granted["delegated_permissions"])
    assert mailroom.directory_roles == set(granted["directory_roles"])
    assert sorted(a.role for a in mailroom.exchange_role_assignments) == sorted(
        g["role"] for g in granted["exchange_role_assignments"]
    )
    settings = settings_for(emulator, tmp_path, policy=policy_for(case, tmp_path))
    async with running_bot(settings, emulator) as bot:
        who = bot.person(case.who)

        await send_through_cards(bot, who, case.sender, case.template, case.to)

        (mail,) = await delivered(bot, case.to)
        assert address(mail["from"]) == case.sender
        if case.kind == "send_on_behalf":
            assert address(mail["sender"]) == case.who
        else:
            assert address(mail["sender"]) == case.sender
        sends = [
            e for e in emulator.control.request_log()
            if e["method"] == "POST" and e["path"].endswith("/send") and e["status"] == 202
        ]  # fmt: skip
        assert len(sends) == 1
        if case.mode == "application":
            assert sends[0]["path"].startswith(f"/v1.0/users/{case.url_mailbox}/")
            assert sends[0]["subject"] == f"app:{emulator.bot_app.client_id}"
        else:
            assert sends[0]["subject"] == case.who
