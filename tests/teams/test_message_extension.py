""" "Send as email with Mailroom" on a Teams message, as Teams drives it: fetchTask opens the
guided compose card in a dialog with the message's text and its author, the dialog's buttons
go through the same steps as in chat, and a send from it goes out once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.domain.send_request import SendState
from bot.teams.handlers.extension import plain_text, source_message
from cards import verbs
from cards.dialog import TITLE, VERB_KEY
from emulator.testing import RunningEmulator
from tests.cards.anatomy import inputs, nodes
from tests.support.botapp import BotHarness, Person, running_bot, settings_for

Json = dict[str, Any]
FETCH = "composeExtension/fetchTask"
SUBMIT = "composeExtension/submitAction"
AUTHOR = "johanna.lorenz@contoso.com"
GROUP_CHAT = {
    "id": "19:release-planning@thread.v2",
    "conversationType": "groupChat",
}
MESSAGE_HTML = (
    "<p>The release moves to <b>Thursday</b>.</p>"
    "<p>Please send your sign-off by Wednesday &amp; no later.</p>"
)
MESSAGE_TEXT = (
    "The release moves to Thursday.\n\nPlease send your sign-off by Wednesday & no later."
)


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(settings_for(emulator, tmp_path), emulator) as harness:
        yield harness


def message_action(author: Person, **payload: Any) -> Json:
    return {
        "commandId": "sendAsEmail",
        "commandContext": "message",
        "context": {"theme": "default"},
        "messagePayload": {
            "id": "1764661200000",
            "messageType": "message",
            "body": {"contentType": "html", "content": MESSAGE_HTML},
            "from": {
                "user": {
                    "id": author.oid,
                    "displayName": author.name,
                    "userIdentityType": "aadUser",
                }
            },
            **payload,
        },
    }


async def open_dialog(bot: BotHarness, who: Person, value: Json) -> Json:
    body = await bot.invoke(who, FETCH, value, conversation={**GROUP_CHAT,
                            "tenantId": bot.emulator.tenant_id})  # fmt: skip
    assert body["task"]["type"] == "continue", body
    assert body["task"]["value"]["title"] == TITLE
    card: Json = body["task"]["value"]["card"]["content"]
    return card


def submit_button(card: Json, verb: str) -> Json:
    for node in nodes(card):
        if node.get("type") == "Action.Submit" and node.get("data", {}).get(VERB_KEY) == verb:
            return node
    raise AssertionError(f"no {verb} button in the dialog card")


async def press(bot: BotHarness, who: Person, card: Json, verb: str, **typed: str) -> Json:
    """What Teams posts for a dialog button: the card's inputs merged into its data."""
    values = {key: str(node.get("value", "")) for key, node in inputs(card).items()}
    data = {**values, **typed, **submit_button(card, verb)["data"]}
    return await bot.invoke(who, SUBMIT, {"commandId": "sendAsEmail",
                            "commandContext": "message", "data": data})  # fmt: skip


async def test_the_action_opens_the_compose_card_with_the_message_and_its_author(
    bot: BotHarness,
) -> None:
    adele, johanna = bot.person("adele.vance@contoso.com"), bot.person(AUTHOR)

    card = await open_dialog(bot, adele, message_action(johanna))

    fields = inputs(card)
    assert fields["var_message"]["value"] == MESSAGE_TEXT
    assert fields["to"]["value"] == AUTHOR
    assert fields["var_topic"]["value"] == "The release moves to Thursday."
    assert not [n for n in nodes(card) if n.get("type") == "Action.Execute"]
    assert "refresh" not in card
    submit_button(card, verbs.PREVIEW)


async def test_a_send_from_the_dialog_goes_out_once(bot: BotHarness) -> None:
    adele, johanna = bot.person("adele.vance@contoso.com"), bot.person(AUTHOR)
    compose = await open_dialog(bot, adele, message_action(johanna))

    previewed = await press(bot, adele, compose, verbs.PREVIEW)
    assert previewed["task"]["type"] == "continue", previewed
    preview = previewed["task"]["value"]["card"]["content"]
    send = submit_button(preview, verbs.SEND)
    request_id = str(send["data"]["request"])
    sent = await press(bot, adele, preview, verbs.SEND)
    again = await press(bot, adele, preview, verbs.SEND)  # Teams re-sends a slow submit

    assert sent["task"]["type"] == "message", sent
    assert "on its way from adele.vance@contoso.com" in sent["task"]["value"]
    async with asyncio.timeout(30):
        while (await bot.services.store.get_request(request_id)).state is not SendState.SENT:
            await asyncio.sleep(0.05)
    assert again["task"]["type"] == "message"
    inbox = bot.emulator.control.mailbox(AUTHOR, "inbox")
    assert len(inbox) == 1
    assert inbox[0]["subject"] == "The release moves to Thursday."
    assert "Please send your sign-off by Wednesday &amp; no later." in inbox[0]["body"]["content"]
    assert len(await bot.services.store.list_jobs(request_id)) == 1


async def test_a_compose_mistake_comes_back_on_the_dialog_card_and_nothing_is_queued(
    bot: BotHarness,
) -> None:
    adele, johanna = bot.person("adele.vance@contoso.com"), bot.person(AUTHOR)
    compose = await open_dialog(bot, adele, message_action(johanna))

    answer = await press(bot, adele, compose, verbs.PREVIEW, to="not an address")

    assert answer["task"]["type"] == "continue"
    again = answer["task"]["value"]["card"]["content"]
    assert inputs(again)["var_message"]["value"] == MESSAGE_TEXT  # what was typed is kept
    assert "not an address" in str(again)
    submit_button(again, verbs.PREVIEW)


async def test_a_button_no_dialog_has_is_refused_and_changes_nothing(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    for data in ({VERB_KEY: verbs.APPROVE, "request": "abc", "version": "1"}, {}, "x"):
        body = await bot.invoke(adele, SUBMIT, {"commandId": "sendAsEmail", "data": data})
        assert body["task"]["type"] == "message"
    body = await bot.invoke(adele, SUBMIT, {"commandId": "somethingElse", "data": {}})
    assert body["task"]["type"] == "message"
    assert bot.emulator.control.mailbox(AUTHOR, "inbox") == []


async def test_a_message_from_an_app_or_without_a_body_opens_an_empty_form(
    bot: BotHarness,
) -> None:
    adele = bot.person("adele.vance@contoso.com")
    value = message_action(bot.person(AUTHOR), body="not a body",
                           **{"from": {"application": {"id": "28:other-bot"}}})  # fmt: skip

    card = await open_dialog(bot, adele, value)

    fields = inputs(card)
    assert not fields["var_message"].get("value")
    assert not fields["to"].get("value")


def test_message_html_becomes_paragraphs_of_plain_text() -> None:
    assert plain_text("<div>one<br>two</div><div>three &lt;b&gt;</div>") == "one\ntwo\n\nthree <b>"
    assert plain_text("<p>  lots   of\n space </p>") == "lots of space"


def test_an_author_that_is_not_an_entra_user_is_not_suggested() -> None:
    value = {"messagePayload": {"body": {"contentType": "text", "content": "hi"},
             "from": {"user": {"id": "x", "userIdentityType": "anonymousGuest"}}}}  # fmt: skip
    assert source_message(value).author_oid is None
    assert source_message(value).text == "hi"
    assert source_message({"messagePayload": []}).text == ""
