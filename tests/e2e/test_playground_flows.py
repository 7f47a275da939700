"""Whole sends through the real Teams client stand-in: ``mailroom dev`` (emulator + bot +
Microsoft 365 Agents Playground), driven through the Playground's HTTP/WebSocket API the way
its web UI drives it, down to the mail the emulator delivered.

* a support agent sends from the shared mailbox support@;
* a no-reply notice to more than 20 people is requested by one demo user and approved by
  another, in their own Playground, and delivered once;
* a Send As the user does not hold is explained, and nothing is sent.

Needs Node.js 20+ and npm (skipped otherwise). Each test writes to its own recipients or
subject so that they can share one ``mailroom dev``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.rendering import TemplateCatalog
from cards import verbs
from emulator.testing import EmulatorControl
from tests.e2e.devrun import REPO, DevRun, PlaygroundRun, running_playground
from tests.e2e.playground import BotMessage, Playground, saying, with_verb

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

T = TypeVar("T")
CATALOG = TemplateCatalog.load(REPO / "templates")
SUPPORT = "support@contoso.com"
NOREPLY = "noreply@contoso.com"
EVENTS = "events@contoso.com"  # Send As: Megan and Lynne only
JOHANNA = "johanna.lorenz@contoso.com"
BOT_REPLY_WAIT = 30.0  # seconds for a card the bot posts or updates
DELIVERY_WAIT = 45.0  # seconds for the outbox worker to send and the emulator to deliver


def template_values(template: str, **values: str) -> dict[str, str]:
    """Compose-card inputs: the template's sample values, ``values`` overriding them."""
    merged = {**CATALOG.get(template).sample_values(), **values}
    return {f"var_{name}": value for name, value in merged.items()}


def marker() -> str:
    """Something unique to put in a subject, to find this test's mail among the others."""
    return uuid.uuid4().hex[:10].upper()


async def eventually(probe: Callable[[], T | None], what: str, timeout: float) -> T:
    """Poll ``probe`` (blocking: run in a thread) until it gives something."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = await asyncio.to_thread(probe)
        if found is not None:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.2)


def address(field: dict[str, Any] | None) -> str:
    assert field is not None, "the message has no such address field"
    return str(field["emailAddress"]["address"]).lower()


def send_requests(control: EmulatorControl, after_seq: int = 0) -> list[dict[str, Any]]:
    """Every Graph request that sends mail (sendMail, or sending a draft) after ``after_seq``."""
    return [
        entry
        for entry in control.request_log()
        if entry["seq"] > after_seq
        and entry["method"] == "POST"
        and entry["path"].rstrip("/").lower().endswith(("/sendmail", "/send"))
    ]


def notice_sends(control: EmulatorControl, after_seq: int) -> list[dict[str, Any]]:
    """The sends of a no-reply notice: a draft of noreply@ sent by id (an approval email to
    an approver Mailroom could not reach in Teams is a sendMail of its own)."""
    return [
        r
        for r in send_requests(control, after_seq)
        if NOREPLY in r["path"].lower() and "/messages/" in r["path"]
    ]


def last_seq(control: EmulatorControl) -> int:
    return max((entry["seq"] for entry in control.request_log()), default=0)


async def seen(pg: Playground, predicate: Callable[[BotMessage], bool]) -> BotMessage:
    """A bot message matching ``predicate``, already received or still to come."""
    for message in pg.messages():
        if predicate(message):
            return message
    return await pg.expect(predicate, timeout=BOT_REPLY_WAIT)


@pytest.fixture(scope="module")
def mail(mailroom_dev: DevRun) -> Iterator[EmulatorControl]:
    control = mailroom_dev.emulator()
    yield control
    control.close()


async def start_send(pg: Playground, sender: str) -> BotMessage:
    """Type /send and choose ``sender`` on the sender card: the compose card."""
    await pg.send_text("/send")
    senders = await pg.expect(with_verb(verbs.PICK_SENDER), timeout=BOT_REPLY_WAIT)
    return await pg.click(senders, verbs.PICK_SENDER, data={"sender": sender})


async def test_a_support_agent_sends_from_the_shared_mailbox_through_the_playground(
    mailroom_dev: DevRun, mail: EmulatorControl
) -> None:
    ticket = marker()
    async with Playground.connect(mailroom_dev.playground_url) as pg:
        compose = await start_send(pg, SUPPORT)
        assert "Contoso Support <support@contoso.com>" in compose.all_text()
        preview = await pg.click(
            compose,
            verbs.PREVIEW,
            inputs={"to": JOHANNA, **template_values("ticket-reply", ticket_id=ticket)},
        )
        shown = preview.all_text()
        assert "Check before sending" in shown, shown
        assert "Contoso Support <support@contoso.com>" in shown  # the From line recipients see
        assert f"[Ticket #{ticket}]" in shown
        sending = await pg.click(preview, verbs.SEND)
        assert "Sending" in sending.all_text(), sending.all_text()
        # The outbox worker replaces the "Sending…" card in place with the result.
        result = await pg.expect(
            lambda m: m.message_id == preview.message_id and "Sent at" in m.all_text(),
            timeout=DELIVERY_WAIT,
        )
    assert result.action == "updateMessage"

    def delivered() -> list[dict[str, Any]] | None:
        found = [m for m in mail.mailbox(JOHANNA, "inbox") if ticket in m["subject"]]
        return found or None

    (message,) = await eventually(delivered, f"the ticket reply in {JOHANNA}'s inbox", 10)
    assert address(message["from"]) == SUPPORT
    assert address(message["sender"]) == SUPPORT  # the recipient sees only the mailbox
    copies = [m for m in mail.mailbox(SUPPORT, "sentitems") if ticket in m["subject"]]
    assert len(copies) == 1, "the copy belongs in the shared mailbox's Sent Items"
    mine = mail.mailbox("adele.vance@contoso.com", "sentitems")
    assert not [m for m in mine if ticket in m["subject"]], "nothing in the agent's Sent Items"


@pytest.fixture
def megan(mailroom_dev: DevRun, tmp_path: Path) -> Iterator[PlaygroundRun]:
    """Megan Bowen (a Notice Approver) in her own Playground, talking to the same bot."""
    with running_playground(
        tmp_path, user="megan", messaging_endpoint=mailroom_dev.info["messaging_endpoint"]
    ) as run:
        yield run


async def test_a_noreply_notice_approved_by_a_second_user_is_delivered_once(
    mailroom_dev: DevRun, megan: PlaygroundRun, mail: EmulatorControl
) -> None:
    incident = f"INC{marker()}"
    customers = [f"customer{i}.{incident.lower()}@fabrikam.com" for i in range(21)]  # > 20
    before = last_seq(mail)
    async with (
        Playground.connect(mailroom_dev.playground_url) as adele,
        Playground.connect(megan.url) as approver,
    ):
        # Megan has the bot installed (opening her chat), so the bot can reach her.
        await approver.install()
        await approver.expect(saying("Welcome to Mailroom"), timeout=BOT_REPLY_WAIT)

        compose = await start_send(adele, NOREPLY)
        if not with_verb(verbs.PREVIEW)(compose):  # noreply@ has two templates: pick one
            compose = await adele.click(
                compose, verbs.PICK_TEMPLATE, inputs={"template": "outage-notice"}
            )
        values = template_values("outage-notice", incident_id=incident)
        preview = await adele.click(
            compose, verbs.PREVIEW, inputs={"to": ",".join(customers), **values}
        )
        assert "more than 20" in preview.all_text(), preview.all_text()
        assert not with_verb(verbs.SEND)(preview), "no Send button before approval"
        waiting = await adele.click(preview, verbs.REQUEST_APPROVAL)
        assert "Waiting for approval" in waiting.all_text(), waiting.all_text()

        card = await approver.expect(with_verb(verbs.APPROVE), timeout=BOT_REPLY_WAIT)
        assert card.conversation_id == approver.config.personal_chat_id  # her own chat
        request = card.all_text()
        assert "Adele Vance <adele.vance@contoso.com>" in request
        assert "21 recipients" in request
        assert "more than 20" in request
        decided = await approver.click(card, verbs.APPROVE, inputs={"comment": "Checked."})
        assert "Approved by Megan Bowen" in decided.all_text(), decided.all_text()
        assert not with_verb(verbs.APPROVE)(decided), "the decision is final"

        # The requester's card is updated in place: to the decision, and to the result (the
        # outbox worker may claim the job before the decision's update went out: any order).
        await adele.expect(
            lambda m: m.message_id == preview.message_id and "Sent at" in m.all_text(),
            timeout=DELIVERY_WAIT,
        )
        await seen(
            adele,
            lambda m: m.message_id == preview.message_id and "Approved by Megan" in m.all_text(),
        )

    def deliveries() -> list[dict[str, Any]] | None:
        found = [d for d in mail.external_deliveries() if incident in d["message"]["subject"]]
        return found if len(found) >= len(customers) else None

    found = await eventually(deliveries, "the notice delivered to all 21 customers", 10)
    assert Counter(d["recipient"].lower() for d in found) == Counter(customers)  # each once
    assert {address(d["message"]["from"]) for d in found} == {NOREPLY}
    sends = notice_sends(mail, before)
    assert len(sends) == 1, f"one send for the notice, got {sends}"


async def test_a_send_as_the_user_does_not_hold_is_explained_and_nothing_is_sent(
    mailroom_dev: DevRun, mail: EmulatorControl
) -> None:
    before = last_seq(mail)
    fix = f"Add-RecipientPermission {EVENTS} -Trustee adele.vance@contoso.com -AccessRights SendAs"
    async with Playground.connect(mailroom_dev.playground_url) as pg:
        # The sender card lists events@ as unavailable, with the reason and a "Why?" button.
        await pg.send_text("/send")
        senders = await pg.expect(with_verb(verbs.PICK_SENDER), timeout=BOT_REPLY_WAIT)
        assert "you do not hold Send As" in senders.all_text()
        why = await pg.click(senders, verbs.WHY, data={"sender": EVENTS})
        assert f"You can't send as {EVENTS}" in why.all_text(), why.all_text()
        assert fix in why.all_text()

        # Typing the one-line fast path anyway gets the same explanation, not a preview.
        await pg.send_text(
            f"/send from:{EVENTS} template:on-behalf-note to:alex.wilber@contoso.com "
            'recipient_name=Alex topic="Budget review" message="Moved to Thursday."'
        )
        answer = await pg.expect(BotMessage.has_card, timeout=BOT_REPLY_WAIT)
        explained = answer.all_text()
        assert f"You can't send as {EVENTS}" in explained, explained
        assert "Exchange does not list you" in explained
        assert fix in explained
        assert not with_verb(verbs.SEND)(answer)

        # A forged click on a "Choose events@" button that was never shown: refused too.
        forged = await pg.execute(senders, verbs.PICK_SENDER, data={}, inputs={"sender": EVENTS})
        refused = senders.with_card(forged.card).all_text()
        assert f"You can't send as {EVENTS}" in refused, refused
    assert send_requests(mail, before) == [], "no sendMail may reach Graph"
    assert not [m for m in mail.mailbox("alex.wilber@contoso.com", "inbox") if EVENTS in str(m)]
