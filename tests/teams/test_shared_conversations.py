"""In a group chat or a channel, Mailroom's cards (senders, compose, preview, denials) never
go into the shared conversation: the card goes to the person's 1:1 chat with the bot
(created through the Bot Connector) and the shared conversation gets one line that names
nothing of the request and links to that chat."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from cards import verbs
from tests.support.botapp import BotHarness, Person, action, card_in, text_of

JOHANNA = "johanna.lorenz@contoso.com"
SHARED = {
    "groupChat": "19:3f0c5a1e2b@thread.v2",
    "channel": "19:general-channel@thread.tacv2;messageid=1700000000000",
}
COMMANDS = {
    "sender list": "/send",
    "preview": f"/send from:support template:ticket-reply to:{JOHANNA} customer_name=Johanna "
    "ticket_id=7",
    "denial": "/why hr",
}


async def say_in(bot: BotHarness, who: Person, kind: str, text: str) -> None:
    conversation = {"id": SHARED[kind], "conversationType": kind, "isGroup": True,
                    "tenantId": bot.emulator.tenant_id}  # fmt: skip
    activity = bot.activity(
        who, type="message", text=f"<at>Mailroom</at> {text}", conversation=conversation
    )
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(f"{bot.url}/api/messages", json=activity)
    assert answer.status_code == 202, answer.text


async def posted_to(bot: BotHarness, conversation: str) -> list[dict[str, Any]]:
    """What the bot posted to ``conversation``, once its answer there has arrived."""
    for _ in range(200):
        found = bot.emulator.control.connector_activities(conversation)
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing posted to {conversation}")


def private_chats(bot: BotHarness, who: Person) -> list[dict[str, Any]]:
    """Activities posted into the 1:1 conversation the bot created with ``who`` (Teams answers
    ``createConversation`` for a user and the bot with their one personal chat)."""
    created = [
        e for e in bot.emulator.control.request_log()
        if e["method"] == "POST" and e["path"] == "/v3/conversations" and e["status"] == 201
    ]  # fmt: skip
    assert created, "no 1:1 conversation was created"
    return bot.replies(who)  # who never chatted with the bot here: all of it came that way


def with_mailroom(bot: BotHarness, email: str) -> Person:
    """A person with Mailroom in their personal scope (an admin's app setup policy, or they
    opened it once): Teams starts a 1:1 chat with the bot only then."""
    person = bot.person(email)
    bot.emulator.control.teams_apps(install_for=[person.oid])
    return person


@pytest.mark.parametrize("kind", list(SHARED))
@pytest.mark.parametrize("command", list(COMMANDS))
async def test_a_command_in_a_shared_conversation_is_answered_in_the_1_1_chat(
    bot: BotHarness, kind: str, command: str
) -> None:
    adele = with_mailroom(bot, "adele.vance@contoso.com")

    await say_in(bot, adele, kind, COMMANDS[command])

    (public,) = await posted_to(bot, SHARED[kind])
    assert not public["activity"].get("attachments"), "a card was posted publicly"
    line = public["activity"]["text"]
    assert "https://teams.microsoft.com/l/chat/0/0?users=28:mailroom" in line
    assert "@" not in line
    assert "support" not in line.lower()
    assert "answered you in" in line
    (private,) = private_chats(bot, adele)
    card = card_in(private)
    assert text_of(card)  # the card itself, only where adele alone reads it


async def test_the_sender_list_reaches_the_1_1_chat_with_its_actions(bot: BotHarness) -> None:
    adele = with_mailroom(bot, "adele.vance@contoso.com")

    await say_in(bot, adele, "groupChat", "/send")

    (public,) = await posted_to(bot, SHARED["groupChat"])
    assert public["activity"]["type"] == "message"
    (private,) = private_chats(bot, adele)
    assert action(card_in(private), verbs.PICK_SENDER, sender="support@contoso.com")


async def test_a_card_action_in_a_shared_conversation_gets_the_link_and_runs_nothing(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    activity = bot.activity(
        adele,
        type="invoke",
        name="adaptiveCard/action",
        replyToId="welcome-card",
        conversation={"id": SHARED["channel"], "conversationType": "channel"},
        value={"action": {"type": "Action.Execute", "verb": verbs.SEND_START, "data": {}}},
    )

    async with httpx.AsyncClient(timeout=30) as http:
        answer = await http.post(f"{bot.url}/api/messages", json=activity)

    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "https://teams.microsoft.com/l/chat/0/0?users=28:mailroom" in body["value"]
    assert bot.emulator.control.connector_activities(SHARED["channel"]) == []


async def test_when_the_1_1_chat_cannot_be_reached_the_line_says_where_to_ask(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")  # Mailroom is not installed for her

    await say_in(bot, adele, "groupChat", "/why hr")

    (public,) = await posted_to(bot, SHARED["groupChat"])
    assert not public["activity"].get("attachments")
    assert "open the chat" in public["activity"]["text"]
    assert bot.emulator.control.connector_activities() == [public]
