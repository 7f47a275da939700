"""Who is speaking, where: read once per activity from Teams' fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import tzinfo

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import TurnContext

from bot.domain.send_request import JsonValue
from bot.teams.files import SharedFile, shared_files
from bot.teams.time_zone import user_zone

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
    files: tuple[SharedFile, ...] = ()
    """Files the user sent with the message (personal chat only)."""


@dataclass(frozen=True)
class Turn:
    """A turn of a person Teams identified (``from.aadObjectId``): what every command and
    card handler takes besides its payload."""

    context: TurnContext
    info: TurnInfo
    user_oid: str
    sso_token: str | None = field(default=None, repr=False)
    """The SSO token Teams adds when it re-sends an action after a login request."""
    magic_code: str | None = field(default=None, repr=False)
    """The sign-in page's code Teams adds (``state``) after a sign-in through the button."""

    @property
    def time_zone(self) -> tzinfo | None:
        """The user's zone from the activity (None: unknown, times are UTC)."""
        return user_zone(self.context.activity)

    @property
    def tenant_id(self) -> str:
        return self.info.tenant_id or ""

    @property
    def card_activity_id(self) -> str | None:
        """The message holding the card that was clicked (invokes carry it as replyToId)."""
        return self.context.activity.reply_to_id

    def reference(self) -> dict[str, JsonValue]:
        return reference_json(self.context.activity)


def user_locale(activity: Activity) -> str | None:
    """The client's language: ``activity.locale``, else the ``clientInfo`` entity's
    ``locale`` (docs/platform.md, "Languages")."""
    if activity.locale:
        return str(activity.locale)
    for entity in activity.entities or []:
        data = entity.model_dump() if hasattr(entity, "model_dump") else entity
        if isinstance(data, dict) and data.get("type") == "clientInfo":
            locale = data.get("locale")
            if isinstance(locale, str) and locale:
                return locale
    return None


def reference_json(activity: Activity) -> dict[str, JsonValue]:
    """What to store (``Store.save_conversation_ref`` / ``CardRef.reference``) to reach the
    conversation of ``activity`` later."""
    reference = activity.get_conversation_reference()
    data: dict[str, JsonValue] = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


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
        # Teams delivers files to a bot in personal chat only.
        files=shared_files(activity.attachments)
        if getattr(conversation, "conversation_type", None) in (None, "personal")
        else (),
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
