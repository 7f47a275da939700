"""Small helpers to put a card or a line of text into the conversation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, Attachment
from microsoft_agents.hosting.core import TurnContext

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def card_activity(card: Mapping[str, Any], activity_id: str | None = None) -> Activity:
    """A message carrying ``card``; with ``activity_id``, the update of that message."""
    return Activity(
        type=ActivityTypes.message,
        id=activity_id,
        attachments=[Attachment(content_type=CARD_CONTENT_TYPE, content=dict(card))],
    )


async def send_card(turn_context: TurnContext, card: dict[str, Any]) -> str | None:
    """Send ``card`` as a new message; returns the activity id Teams gave it."""
    response = await turn_context.send_activity(card_activity(card))
    return getattr(response, "id", None) if response is not None else None


async def send_text(turn_context: TurnContext, text: str) -> None:
    await turn_context.send_activity(Activity(type=ActivityTypes.message, text=text))
