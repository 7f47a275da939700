"""Who is speaking, where: read once per activity from Teams' fields."""

from __future__ import annotations

import re
from dataclasses import dataclass

from microsoft_agents.activity import Activity

_MENTION = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class TurnInfo:
    user_oid: str | None  # Entra object id (from.aadObjectId)
    user_id: str | None  # Teams user id (29:...)
    user_name: str | None
    tenant_id: str | None
    conversation_id: str | None
    conversation_type: str | None  # personal | groupChat | channel
    activity_id: str | None
    text: str


def turn_info(activity: Activity) -> TurnInfo:
    sender = activity.from_property
    conversation = activity.conversation
    return TurnInfo(
        user_oid=getattr(sender, "aad_object_id", None) if sender else None,
        user_id=sender.id if sender else None,
        user_name=sender.name if sender else None,
        tenant_id=_tenant_id(activity),
        conversation_id=conversation.id if conversation else None,
        conversation_type=getattr(conversation, "conversation_type", None)
        if conversation
        else None,
        activity_id=activity.id,
        text=clean_text(activity.text or ""),
    )


def _tenant_id(activity: Activity) -> str | None:
    channel_data = activity.channel_data
    if isinstance(channel_data, dict):
        tenant = channel_data.get("tenant")
        if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
            return str(tenant["id"])
    conversation = activity.conversation
    tenant_id = getattr(conversation, "tenant_id", None) if conversation else None
    return tenant_id if isinstance(tenant_id, str) else None


def clean_text(text: str) -> str:
    """Drop @mentions and stray HTML tags Teams adds in group chats; collapse spaces."""
    without_mentions = _MENTION.sub(" ", text)
    without_tags = _TAG.sub(" ", without_mentions)
    return " ".join(without_tags.replace("&nbsp;", " ").split())
