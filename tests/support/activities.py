"""Teams-shaped activities, as Teams sends them to a bot."""

from __future__ import annotations

import uuid
from typing import Any

TENANT = "7a3d7b8e-0c5e-4d9c-9f0e-6b1a2f3c4d5e"
USER_OID = "3f6a2c1e-9b7d-4e2a-8c5f-1d0e9a8b7c6d"


def message(text: str, service_url: str, **overrides: Any) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": "message",
        "id": str(uuid.uuid4()),
        "timestamp": "2026-11-26T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:1user", "name": "Adele Vance", "aadObjectId": USER_OID},
        "conversation": {
            "id": "a:1personal-chat",
            "conversationType": "personal",
            "tenantId": TENANT,
        },
        "recipient": {"id": "28:bot", "name": "Mailroom"},
        "text": text,
        "textFormat": "plain",
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
    }
    activity.update(overrides)
    return activity


def card_action(verb: str, service_url: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    activity = message("", service_url)
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        text=None,
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data or {}},
            "trigger": "manual",
        },
    )
    return activity
