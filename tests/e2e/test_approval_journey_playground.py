"""The approvals feature end to end, as two people live it: Adele Vance (a support agent) asks
for no-reply notices to more than 20 people, Megan Bowen (a Notice Approver) decides them, each
in their own Agents Playground, against one ``mailroom dev`` (emulator + bot + Playgrounds).

Megan never opens Mailroom herself: her approval cards reach her because the bot installs the
app for her through Graph and opens the 1:1 chat with the connector's ``createConversation``.
``mailroom dev`` gives its Playgrounds one Teams service URL (``bot/devmode/service_url.py``), as
one tenant's users have in Teams, so that chat is the one Megan's Playground shows.

The tests run in file order and share the run: the refused installation comes first, while
no approver has a chat with the bot yet.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from bot.devmode import playground_config, service_url
from cards import verbs
from emulator.seed import DEMO_SEED, load_seed
from emulator.state import TeamsApps
from emulator.testing import EmulatorControl
from tests.e2e.devrun import DevRun, PlaygroundRun, running_dev, running_playground
from tests.e2e.playground import (
    BotMessage,
    Playground,
    PlaygroundConfig,
    card_input_defaults,
    with_verb,
)
from tests.e2e.test_playground_flows import (
    BOT_REPLY_WAIT,
    DELIVERY_WAIT,
    NOREPLY,
    eventually,
    last_seq,
    notice_sends,
    start_send,
    template_values,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

MEGAN = "megan.bowen@contoso.com"
DIEGO = "diego.siciliani@contoso.com"  # the other Notice Approver
TEMPLATE = "outage-notice"


@pytest.fixture(scope="module")
def journey(
    playground_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevRun]:
    """``mailroom dev --as adele --second megan``, which gives the bot Mailroom's id in the
    emulated tenant's app catalog (``MAILROOM_TEAMS_APP_ID``); neither Playground has opened
    its chat."""
    workdir = tmp_path_factory.mktemp("approval-journey")
    # --startup-timeout again (the last one counts): three processes and two Playgrounds on a
    # busy machine may take longer than the 30 s bar test_dev_smoke.py holds mailroom dev to.
    args = ["--as", "adele", "--second", "megan", "--startup-timeout", "60"]
    env = {k: v for k, v in os.environ.items() if k != "MAILROOM_TEAMS_APP_ID"}
    with running_dev(workdir, args, env) as run:
        assert run.info["teams_app_id"] == TeamsApps.catalog_id
        yield run


@pytest.fixture(scope="module")
def diego(journey: DevRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlaygroundRun]:
    """Diego Siciliani, the other Notice Approver, in a third Playground on the run's service
    URL, listed beside the other two: his Teams client stays open for the module."""
    env = {**os.environ, service_url.ENV: service_url.service_url(journey.info["bot_url"])}
    with running_playground(
        tmp_path_factory.mktemp("diego"),
        user="diego",
        messaging_endpoint=journey.info["messaging_endpoint"],
        env=env,
    ) as run:
        account = playground_config.pick_user(load_seed(DEMO_SEED), "diego")
        clients = journey.workdir / ".mailroom" / service_url.CLIENTS_FILE
        service_url.register(clients, service_url.Client.of(run.url, account))
        yield run


@pytest.fixture(scope="module")
def emulator(journey: DevRun) -> Iterator[EmulatorControl]:
    control = journey.emulator()
    yield control
    control.close()


@asynccontextmanager
async def requester_and_approver(run: DevRun) -> AsyncIterator[tuple[Playground, Playground]]:
    """Adele's and Megan's Playgrounds (``mailroom dev``'s two), connected."""
    second = run.info.get("second_playground_url")
    assert isinstance(second, str), "mailroom dev started without the second Playground"
    async with (
        Playground.connect(run.playground_url) as adele,
        Playground.connect(second) as megan,
    ):
        yield adele, megan


def customers(tag: str) -> list[str]:
    return [f"customer{i}.{tag.lower()}@fabrikam.com" for i in range(21)]  # > 20: approval


async def request_notice(adele: Playground, incident: str) -> tuple[BotMessage, dict[str, str]]:
    """Adele's 21-recipient outage notice up to "Request approval": her waiting card and the
    values she entered."""
    compose = await start_send(adele, NOREPLY)
    if not with_verb(verbs.PREVIEW)(compose):  # noreply@ has two templates: pick one
        compose = await adele.click(compose, verbs.PICK_TEMPLATE, inputs={"template": TEMPLATE})
    entered = {
        "to": ",".join(customers(incident)),
        **template_values(TEMPLATE, incident_id=incident),
    }
    preview = await adele.click(compose, verbs.PREVIEW, inputs=entered)
    assert "more than 20" in preview.all_text(), preview.all_text()
    assert not with_verb(verbs.SEND)(preview), "no Send button before approval"
    waiting = await adele.click(preview, verbs.REQUEST_APPROVAL)
    assert "Waiting for approval" in waiting.all_text(), waiting.all_text()
    return waiting, entered


def as_entered(kept: dict[str, str], entered: dict[str, str]) -> dict[str, str]:
    """The compose card's values in the form they were entered: a date and time variable is
    shown as a date input plus a ``__time`` input, in the user's time zone (UTC here)."""
    found = {}
    for key, value in entered.items():
        shown = kept.get(key, "")
        if f"{key}__time" in kept and value.endswith("+00:00"):
            shown = f"{shown}T{kept[key + '__time']}+00:00"
        found[key] = shown
    return found


async def approval_card(approver: Playground, incident: str) -> BotMessage:
    """The next card with Approve in the approver's chat: the notice for ``incident``."""
    card = await approver.expect(with_verb(verbs.APPROVE), timeout=BOT_REPLY_WAIT)
    assert incident in card.all_text(), card.all_text()
    assert with_verb(verbs.REJECT)(card)
    return card


def updated(card: BotMessage, text: str) -> Callable[[BotMessage], bool]:
    """``card``'s message, updated in place, now saying ``text``."""
    return lambda m: m.message_id == card.message_id and text in m.all_text()


async def test_when_installing_is_refused_the_approver_is_emailed_a_link_that_leads_to_the_request(
    journey: DevRun, emulator: EmulatorControl, diego: PlaygroundRun
) -> None:
    incident = f"INC{uuid.uuid4().hex[:8].upper()}"
    emulator.teams_apps(install_blocked=True)  # the tenant's app permission policy
    try:
        async with Playground.connect(journey.playground_url) as adele:
            waiting, _ = await request_notice(adele, incident)
            # Adele's card says who was not reached in Teams and got an email instead.
            shown = waiting.all_text()
            for name in ("Megan Bowen", "Diego Siciliani"):
                assert f"{name} <" in shown, shown
            assert shown.count("emailed a link instead") == 2, shown

            def email() -> dict[str, Any] | None:
                found = [m for m in emulator.mailbox(DIEGO, "inbox") if incident in m["subject"]]
                return found[0] if found else None

            mail = await eventually(email, f"the approval email in {DIEGO}'s inbox", 20)
            assert mail["subject"].startswith("Approval needed"), mail["subject"]
            body = mail["body"]["content"]
            links = [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', body)]
            status = followed_command(links, body, adele.config)

            # Diego follows it: in his own Teams client, the chat with Mailroom, the command.
            async with Playground.connect(diego.url) as approver:
                await approver.send_text(status)
                card = await approver.expect(with_verb(verbs.APPROVE), timeout=BOT_REPLY_WAIT)
                assert incident in card.all_text(), card.all_text()
                assert with_verb(verbs.REJECT)(card)
            cancelled = await adele.click(waiting, verbs.CANCEL)
            assert not with_verb(verbs.CANCEL)(cancelled), cancelled.all_text()
    finally:
        emulator.teams_apps(install_blocked=False)


def followed_command(links: list[str], body: str, config: PlaygroundConfig) -> str:
    """What following the email's links makes the approver type. Each is a Teams deep link:
    to the chat with the bot with ``/status <ref>`` typed in, or to the app's install dialog
    (its catalog id, this tenant), the command then in the email's text. The chat link, when
    there is one, is the one that opens the request."""
    assert links, body
    chats = []
    for link in links:
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc) == ("https", "teams.microsoft.com"), link
        query = parse_qs(parts.query)
        assert query["tenantId"] == [config.tenant_id], link
        if parts.path.startswith("/l/chat/"):
            assert query["users"] == [config.bot_id], link  # the chat with the bot
            (message,) = query["message"]
            assert message.startswith("/status "), message
            chats.append(message)
        else:
            assert parts.path == f"/l/app/{TeamsApps.catalog_id}", link
    if chats:
        assert len(chats) == 1, links
        return chats[0]
    typed = re.search(r"<b>(/status [^<]+)</b>", unquote(body))
    assert typed is not None, body
    return typed.group(1)


async def eventually_seen(pg: Playground, predicate: Callable[[BotMessage], bool]) -> BotMessage:
    for message in reversed(pg.messages()):
        if predicate(message):
            return message
    return await pg.expect(predicate, timeout=BOT_REPLY_WAIT)


async def test_an_approver_who_never_opened_mailroom_gets_the_card_and_approves_with_a_comment(
    journey: DevRun, emulator: EmulatorControl
) -> None:
    incident = f"INC{uuid.uuid4().hex[:8].upper()}"
    before = last_seq(emulator)
    async with requester_and_approver(journey) as (adele, megan):
        megan_oid = megan.config.current_user_aad_object_id
        assert not [m for m in megan.messages() if m.has_card()], "Megan has seen nothing yet"
        waiting, _ = await request_notice(adele, incident)

        card = await megan.expect(with_verb(verbs.APPROVE), timeout=BOT_REPLY_WAIT)
        assert card.conversation_id == megan.config.personal_chat_id  # her own 1:1 chat
        assert incident in card.all_text()
        assert "21 recipients" in card.all_text()
        assert megan_oid in emulator.teams_apps()["installed"], "installed through Graph"
        minutes = {time.strftime("%H:%M", time.gmtime())}  # shown in Adele's zone, UTC
        decided = await megan.click(card, verbs.APPROVE, inputs={"comment": "Checked, go."})
        minutes.add(time.strftime("%H:%M", time.gmtime()))
        assert "Approved by Megan Bowen" in decided.all_text(), decided.all_text()
        assert not with_verb(verbs.APPROVE)(decided)

        sent = await adele.expect(updated(waiting, "Sent at"), timeout=DELIVERY_WAIT)
        shown = (
            await eventually_seen(adele, updated(waiting, "Approved by Megan Bowen"))
        ).all_text()
        assert "Checked, go." in shown, shown
        assert any(f"{minute} UTC" in shown for minute in minutes), shown
        assert "Sent at" in sent.all_text()

    def deliveries() -> list[dict[str, Any]] | None:
        found = [d for d in emulator.external_deliveries() if incident in d["message"]["subject"]]
        return found if len(found) >= 21 else None

    found = await eventually(deliveries, "the notice delivered to all 21 customers", 10)
    assert Counter(d["recipient"].lower() for d in found) == Counter(customers(incident))
    sends = notice_sends(emulator, before)
    assert len(sends) == 1, f"one send for the notice, got {sends}"


async def test_a_cancelled_request_leaves_the_approver_nothing_to_decide(journey: DevRun) -> None:
    incident = f"INC{uuid.uuid4().hex[:8].upper()}"
    async with requester_and_approver(journey) as (adele, megan):
        waiting, _ = await request_notice(adele, incident)
        card = await approval_card(megan, incident)
        cancelled = await adele.click(waiting, verbs.CANCEL)
        assert not with_verb(verbs.CANCEL)(cancelled), cancelled.all_text()
        now = await megan.expect(updated(card, "Cancelled"), timeout=BOT_REPLY_WAIT)
        assert now.action == "updateMessage"
        assert not with_verb(verbs.APPROVE)(now)
        assert not with_verb(verbs.REJECT)(now)


async def test_a_rejected_request_is_edited_with_every_value_kept_and_needs_a_new_approval(
    journey: DevRun,
) -> None:
    incident = f"INC{uuid.uuid4().hex[:8].upper()}"
    async with requester_and_approver(journey) as (adele, megan):
        waiting, entered = await request_notice(adele, incident)
        card = await approval_card(megan, incident)
        rejected = await megan.click(card, verbs.REJECT, inputs={"comment": "Wrong window."})
        assert "Rejected by Megan Bowen" in rejected.all_text(), rejected.all_text()

        told = await adele.expect(
            updated(waiting, "Rejected by Megan Bowen"), timeout=BOT_REPLY_WAIT
        )
        assert "Wrong window." in told.all_text()
        compose = await adele.click(told, verbs.RESUBMIT, title="Edit and resubmit")
        assert as_entered(card_input_defaults(compose.card), entered) == entered

        preview = await adele.click(compose, verbs.PREVIEW)
        again = await adele.click(preview, verbs.REQUEST_APPROVAL)
        assert "Waiting for approval" in again.all_text(), again.all_text()
        fresh = await approval_card(megan, incident)
        assert fresh.message_id != card.message_id, "a new card for the new request"
