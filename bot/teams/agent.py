"""The Teams-facing agent: the Agents SDK's activity types in, the dispatcher's answers out.

Thin by design: it finds who is speaking and in which tenant, refuses other tenants, skips
redelivered messages, and hands text, installs and ``Action.Execute`` invokes to the
``Dispatcher`` (``bot/teams/dispatch.py``), which finds the one function that answers.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    InvokeResponse,
    TurnContextProtocol,
)
from microsoft_agents.hosting.core import ActivityHandler, TurnContext

from bot.i18n import _, use_language
from bot.teams.dispatch import EXTENSION_INVOKES, Dispatcher
from bot.teams.invoke import error_response
from bot.teams.turn import TurnInfo, turn_info, user_locale

logger = logging.getLogger(__name__)

_TURN_KEY = "mailroom.turn"


class MailroomAgent(ActivityHandler):
    def __init__(self, dispatcher: Dispatcher, *, allowed_tenants: tuple[str, ...]) -> None:
        self.dispatcher = dispatcher
        self._allowed_tenants = frozenset(t.lower() for t in allowed_tenants)

    async def on_turn(self, turn_context: TurnContextProtocol[Any]) -> None:
        # Everything this turn says is in the user's language (bot/i18n).
        with use_language(user_locale(turn_context.activity)):
            await self._turn(turn_context)

    async def _turn(self, turn_context: TurnContextProtocol[Any]) -> None:
        info = turn_info(turn_context.activity)
        turn_context.turn_state[_TURN_KEY] = info
        if self._allowed_tenants and (info.tenant_id or "").lower() not in self._allowed_tenants:
            await self._refuse_tenant(turn_context)
            return
        await super().on_turn(turn_context)

    async def _refuse_tenant(self, turn_context: TurnContextProtocol[Any]) -> None:
        logger.info("activity refused: tenant not allowed")
        text = _("Mailroom is not enabled for your organisation.")
        if turn_context.activity.type == ActivityTypes.invoke:
            response = error_response(403, "TenantNotAllowed", text)
            await _send_invoke_response(turn_context, response)
        elif turn_context.activity.type == ActivityTypes.message:
            await turn_context.send_activity(Activity(type=ActivityTypes.message, text=text))

    async def on_message_activity(self, turn_context: TurnContextProtocol[Any]) -> None:
        context = _context(turn_context)
        info = current_turn(context)
        if await self._redelivered(info):
            return
        await self.dispatcher.on_text(context, info)

    async def on_installation_update_add(self, turn_context: TurnContextProtocol[Any]) -> None:
        if turn_context.activity.action == "add-upgrade":
            return  # a new version of an installed app: no second welcome
        await self._welcome(turn_context)

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContextProtocol[Any]
    ) -> None:
        """``conversationUpdate`` naming Mailroom among the members added: an installation
        (Teams sends it beside ``installationUpdate``; the dispatcher welcomes once)."""
        recipient = turn_context.activity.recipient
        if recipient is not None and any(m.id == recipient.id for m in members_added):
            await self._welcome(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContextProtocol[Any]) -> None:
        if turn_context.activity.action == "remove":  # not "remove-upgrade"
            await self.dispatcher.on_removed(current_turn(_context(turn_context)))

    async def _welcome(self, turn_context: TurnContextProtocol[Any]) -> None:
        context = _context(turn_context)
        info = current_turn(context)
        if not await self._redelivered(info):
            await self.dispatcher.on_welcome(context, info)

    async def _redelivered(self, info: TurnInfo) -> bool:
        """Teams redelivers an activity the bot was slow to acknowledge: a message already
        answered is not answered again (a second fast-path preview would be a second request
        a careless click could send). Invokes are not skipped — they must be answered, and
        their handlers are idempotent by the version each card carries."""
        if not info.activity_id:
            return False
        key = hashlib.sha256(
            f"{info.conversation_id or ''}\n{info.activity_id}".encode()
        ).hexdigest()
        if await self.dispatcher.first_delivery(key):
            return False
        logger.info("activity redelivered: already answered")
        return True

    async def on_invoke_activity(
        self, turn_context: TurnContextProtocol[Any]
    ) -> InvokeResponse | None:
        """Answer an invoke and send the answer here, returning None so that
        ``ActivityHandler.on_turn`` sends nothing more: it would dump the response through
        pydantic first (see ``_send_invoke_response``)."""
        await _send_invoke_response(turn_context, await self._answer_invoke(turn_context))
        return None

    async def _answer_invoke(self, turn_context: TurnContextProtocol[Any]) -> InvokeResponse:
        name = turn_context.activity.name
        if name in EXTENSION_INVOKES:
            context = _context(turn_context)
            return await self.dispatcher.on_extension(
                context, current_turn(context), name, turn_context.activity.value
            )
        if name != "adaptiveCard/action":
            return InvokeResponse(status=200, body={})
        context = _context(turn_context)
        return await self.dispatcher.on_invoke(
            context, current_turn(context), turn_context.activity.value
        )


def _context(turn_context: TurnContextProtocol[Any]) -> TurnContext:
    assert isinstance(turn_context, TurnContext)
    return turn_context


def current_turn(turn_context: TurnContext) -> TurnInfo:
    """The TurnInfo the agent stored for this turn."""
    info = turn_context.turn_state.get(_TURN_KEY)
    assert isinstance(info, TurnInfo)
    return info


async def _send_invoke_response(
    turn_context: TurnContextProtocol[Any], response: InvokeResponse
) -> None:
    """The response as ``InvokeResponse.model_dump`` gives it, without passing the body
    through pydantic: every body is JSON already (a card is dumped once, when it is built),
    and dumping it again walked every node of a preview card for the same dict."""
    value: dict[str, Any] = {"status": response.status}
    if response.body is not None:
        value["body"] = response.body
    await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response, value=value))
