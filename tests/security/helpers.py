"""Driving the bot the way an attacker (or a flaky network) would: any conversation, any
activity id, raw bodies. Built on tests/support/botapp.py's harness."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from cards import verbs
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, Person, action, card_in
from tests.support.servers import http_client
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()
Json = dict[str, Any]

ADELE = "adele.vance@contoso.com"
JOHANNA = "johanna.lorenz@contoso.com"
MEGAN = "megan.bowen@contoso.com"


def inputs(template: str, **fields: str) -> dict[str, str]:
    values = {f"var_{k}": v for k, v in CATALOG.get(template).sample_values().items()}
    return {**values, **fields}


def activity_for(
    bot: BotHarness,
    who: Person,
    *,
    conversation: str | None = None,
    activity_id: str | None = None,
    **fields: Any,
) -> Json:
    activity = bot.activity(who, **fields)
    if conversation is not None:
        activity["conversation"] = {
            "id": conversation,
            "conversationType": "groupChat",
            "tenantId": bot.emulator.tenant_id,
        }
    if activity_id is not None:
        activity["id"] = activity_id
    return activity


def invoke_for(
    bot: BotHarness,
    who: Person,
    verb: str,
    data: Json,
    *,
    conversation: str | None = None,
    activity_id: str | None = None,
    reply_to: str | None = None,
) -> Json:
    return activity_for(
        bot,
        who,
        conversation=conversation,
        activity_id=activity_id,
        type="invoke",
        name="adaptiveCard/action",
        replyToId=reply_to or f"card-{uuid.uuid4().hex[:8]}",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data},
               "trigger": "manual"},
    )  # fmt: skip


async def post(bot: BotHarness, activity: Json | bytes) -> httpx.Response:
    async with http_client(timeout=30) as http:
        if isinstance(activity, bytes):
            return await http.post(
                f"{bot.url}/api/messages",
                content=activity,
                headers={"Content-Type": "application/json"},
            )
        return await http.post(f"{bot.url}/api/messages", json=activity)


def conversation_replies(emulator: RunningEmulator, conversation: str) -> list[Json]:
    return emulator.control.connector_activities(conversation)


async def wait_for_replies(
    emulator: RunningEmulator, conversation: str, at_least: int, *, settle: float = 0.0
) -> list[Json]:
    for _ in range(100):
        replies = conversation_replies(emulator, conversation)
        if len(replies) >= at_least:
            break
        await asyncio.sleep(0.05)
    if settle:
        await asyncio.sleep(settle)
    return conversation_replies(emulator, conversation)


def mail_submissions(emulator: RunningEmulator) -> list[Json]:
    """Every request that could have put a message on the wire."""
    return [
        e
        for e in emulator.control.request_log()
        if e["method"] == "POST" and e["path"].endswith(("/sendMail", "/send"))
    ]


async def compose(bot: BotHarness, who: Person, sender: str, template: str) -> Json:
    """The user's compose card for ``sender`` with ``template`` chosen."""
    await bot.say(who, "/send")
    card = card_in(await bot.act(who, verbs.PICK_SENDER, {"sender": sender}))
    pick = [a for a in _actions(card) if a.get("verb") == verbs.PICK_TEMPLATE]
    if pick and not [a for a in _actions(card) if a.get("verb") == verbs.PREVIEW]:
        card = card_in(await bot.act(
            who, verbs.PICK_TEMPLATE, {**pick[0]["data"], "template": template}
        ))  # fmt: skip
    return card


async def preview(
    bot: BotHarness, who: Person, sender: str, template: str, to: str, **values: str
) -> Json:
    """The user's preview card for a send from ``sender`` with the template's sample values
    (``values`` override them: ``var_name=...``)."""
    card = await compose(bot, who, sender, template)
    data = {**action(card, verbs.PREVIEW)["data"], **inputs(template, to=to), **values}
    return card_in(await bot.act(who, verbs.PREVIEW, data))


def _actions(card: Json) -> list[Json]:
    from tests.support.botapp import actions_of

    return actions_of(card)


async def settle_outbox(bot: BotHarness, request_id: str, *, seconds: float = 5.0) -> str:
    """Wait until the request is in a final state (or ``seconds`` pass); its state."""
    from bot.domain.send_request import SendState

    final = {SendState.SENT, SendState.FAILED, SendState.CANCELLED, SendState.REJECTED,
             SendState.EXPIRED}  # fmt: skip
    state = ""
    for _ in range(int(seconds / 0.05)):
        request = await bot.services.store.get_request(request_id)
        state = request.state.value
        if request.state in final:
            break
        await asyncio.sleep(0.05)
    return state
