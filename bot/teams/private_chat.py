"""Answers that only the asker may read, when they ask in a group chat or a channel.

Mailroom's cards show senders, recipients, mail bodies and why a send was refused: they go
to the person's 1:1 chat with Mailroom, never into a conversation others read. The shared
conversation gets one line that names nothing of the request and links to that chat.

Teams' *targeted messages* (a reply in a group conversation only its recipient sees) are in
public developer preview (learn.microsoft.com/microsoftteams/platform/agents-in-teams/
targeted-messages), so Mailroom does not rely on them. It creates (or, in Teams, finds) the
1:1 conversation with the Bot Connector's ``POST /v3/conversations`` and posts the card
there (learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/
send-proactive-messages), through the same connector client the turn came with.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import aiohttp
from microsoft_agents.activity import ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.i18n import _
from bot.teams.replies import card_activity
from bot.teams.turn import TurnInfo

logger = logging.getLogger(__name__)

PERSONAL = "personal"
CHAT_LINK = "https://teams.microsoft.com/l/chat/0/0?users="


def is_shared(info: TurnInfo) -> bool:
    """A group chat or a channel: what Mailroom posts there, everyone in it reads."""
    return info.conversation_type not in (None, PERSONAL)


def chat_link(bot_id: str) -> str:
    """The deep link that opens the user's 1:1 chat with the bot (learn.microsoft.com/
    microsoftteams/platform/concepts/build-and-test/deep-link-application, "Deep link to a
    chat with the application"): ``users=28:<bot id>``."""
    teams_id = bot_id if bot_id.startswith("28:") else f"28:{bot_id}"
    return CHAT_LINK + quote(teams_id, safe=":")


def bot_id_of(context: TurnContext) -> str:
    recipient = context.activity.recipient
    return str(recipient.id) if recipient is not None and recipient.id else ""


def pointer_text(context: TurnContext, *, delivered: bool) -> str:
    """The public line: where the answer is, and nothing of what it says."""
    link = chat_link(bot_id_of(context))
    if delivered:
        return _("I answered you in [our 1:1 chat]({link}), where only you can see it.", link=link)
    return _(
        "Mailroom works in your 1:1 chat with it, where only you can see your mail: "
        "[open the chat]({link}) and ask there.",
        link=link,
    )


async def post_privately(context: TurnContext, info: TurnInfo, card: dict[str, Any]) -> bool:
    """Post ``card`` into the user's 1:1 chat with the bot; False when Teams refused (for
    instance the app is not installed for the user) or could not be reached."""
    # The SDK registers the turn's client under its abstract base (as it reads it back).
    connector = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
    if connector is None or not info.user_id:
        return False
    parameters = ConversationParameters(
        is_group=False,
        agent=context.activity.recipient,
        members=[ChannelAccount(id=info.user_id)],
        tenant_id=info.tenant_id,
        channel_data={"tenant": {"id": info.tenant_id}} if info.tenant_id else None,
    )
    try:
        created = await connector.conversations.create_conversation(parameters)
        await connector.conversations.send_to_conversation(created.id, card_activity(card))
    except aiohttp.ClientResponseError as exc:
        logger.warning("1:1 chat not reached: Teams answered %s", exc.status)
        return False
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.warning("1:1 chat not reached: %s", type(exc).__name__)
        return False
    return True
